#include "sync/run.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cctype>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "core/blocking.hpp"
#include "core/json_limits.hpp"
#include "core/memory.hpp"
#include "sync/batch_preparer.hpp"
#include "sync/batch_sender.hpp"
#include "sync/choice_reader.hpp"
#include "sync/field_plan.hpp"
#include "sync/list_run.hpp"
#include "sync/model_reader.hpp"
#include "sync/read_plan.hpp"
#include "sync/row_key.hpp"
#include "sync/safety_valve.hpp"

namespace emsync::sync {

namespace {

using boost::asio::awaitable;

// How far back the safety valve looks for the last successful run.
constexpr int k_runs_searched_for_success = 50;
// An incremental read looks its contacts up one by one up to this many rows,
// or a 32nd of the last full read's, whichever is more (ModelInputs::look_up_rows).
constexpr std::int64_t k_min_look_up_rows = 10'000;

// Previews run concurrently (and beside runs), each with its own spool.
std::atomic<std::uint64_t> g_previews{0};

// A JSON value of a contact payload as the preview shows it: a string as it
// is, any other value as its JSON text.
std::string value_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string lower_ascii(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

class Run {
 public:
  // A run (`preview` false) or a preview (preview_run), which stops once the
  // batches are prepared and sends and stores nothing.
  Run(const RunRequest& request, const RunEnvironment& env, bool preview)
      : m_request(request),
        m_env(env),
        m_resources(env.resources),
        m_preview(preview),
        m_spool_path(m_resources.spool_dir +
                     (preview ? "/preview-" + std::to_string(request.activation_id) + "-" +
                                    std::to_string(++g_previews)
                              : "/run-" + std::to_string(request.run_id)) +
                     ".spool") {}
  ~Run() { std::remove(m_spool_path.c_str()); }

  awaitable<RunOutcome> execute() {
    RunOutcome outcome = co_await steps();
    outcome.read = m_plan.read;
    if (m_request.activation.incremental) {
      co_await save_read_state(outcome);
    }
    co_return outcome;
  }

  awaitable<Result<RunPreview>> preview(int sample_limit) {
    auto snapshot = co_await read_and_look_up();
    if (!snapshot) {
      co_return snapshot.error();
    }
    RunPreview out;
    out.read = m_plan.read;
    out.rows_read = snapshot->rows_read;
    for (const PlannedField& field : snapshot->plan) {
      const auto to_create = m_fields_to_create.find(field.field_id);
      const bool created = to_create != m_fields_to_create.end();
      out.fields.push_back({field.column, created ? 0 : field.field_id,
                            created ? to_create->second : std::string()});
    }
    auto tally = co_await on_pool(m_resources.pool, [&] {
      return tally_spool(*snapshot, [&](const PendingContact& contact) {
        return preview_contact(contact, snapshot->plan, sample_limit, out);
      });
    });
    if (!tally) {
      co_return tally.error();
    }
    RejectionTally rejections = snapshot->rejections;
    rejections.merge(tally->rejections);
    out.new_contacts = tally->fresh;
    out.changed = tally->known;
    out.unchanged = snapshot->unchanged + tally->unchanged;
    out.rejected = rejections.total();
    out.rejected_by_reason = rejections.by_code();
    const auto duplicates = rejections.by_code().find("duplicate_email");
    out.duplicate_rows = duplicates == rejections.by_code().end() ? 0 : duplicates->second;
    out.duplicate_emails = static_cast<std::int64_t>(snapshot->duplicate_hashes.size());
    const ValveFacts facts = valve_facts(*snapshot, m_known_contacts);
    out.safety_valve_stop = full_read() ? volume_stop(facts) : std::nullopt;
    if (!out.safety_valve_stop) {
      out.safety_valve_stop = clearing_stop(facts, tally->clearing);
    }
    out.rejected_share_stop =
        rejected_share_stop(rejections, snapshot->rows_read, m_request.activation);
    out.warnings = run_warnings(rejections, {.rows_read = snapshot->rows_read},
                                m_request.activation);
    for (std::string& warning : skipped_value_warnings(snapshot->plan, tally->skipped_values)) {
      out.warnings.push_back(std::move(warning));
    }
    co_await read_current_values(out);
    co_return out;
  }

 private:
  using Digests = Result<std::vector<store::ContactDigest>>;
  using Plan = Result<std::vector<PlannedField>>;

  // What a dry pass over the spool found (tally_spool).
  struct SpoolTally {
    std::int64_t clearing = 0;   // contacts whose update clears a field
    std::int64_t unchanged = 0;  // contacts the spool held that are unchanged after all
    std::int64_t fresh = 0;      // contacts to send that emsync never sent
    std::int64_t known = 0;      // contacts to send that emsync sent before
    RejectionTally rejections;   // rows rejected, keyed as the run history keeps them
    std::vector<std::int64_t> skipped_values;  // per planned field (skip_field)
  };

  // Steps 1 and 2 up to the checks, shared by a run and a preview: plans the
  // read, reads the model, counts what it knows, finds the stored contacts
  // (m_known_contacts) and the parked ones (m_parked).
  awaitable<Result<ModelSnapshot>> read_and_look_up() {
    if (auto planned = co_await plan(); !planned) {
      co_return planned.error();
    }
    if (auto found = co_await find_last_full_read(); !found) {
      co_return found.error();
    }
    auto snapshot = co_await read();
    if (!snapshot) {
      co_return snapshot.error();
    }
    m_cursor = snapshot->cursor;
    m_counts.rows_read = snapshot->rows_read;
    m_counts.rejected = snapshot->rejected;
    m_counts.unchanged = snapshot->unchanged;
    m_counts.cursor_null = m_cursor ? m_cursor->nulls() : 0;
    m_rejections = snapshot->rejections;
    auto known = co_await known_contacts(*snapshot);
    if (!known) {
      co_return known.error();
    }
    m_known_contacts = *known;
    // Every streak: those of park_after runs or more park their contacts;
    // any ends when Emarsys acknowledges its contact (commit()).
    auto streaks = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.list_parked(m_request.activation_id, 1);
    });
    if (!streaks) {
      co_return streaks.error();
    }
    const int park_after = m_env.rejections.park_after;
    for (store::RejectionStreak& streak : *streaks) {
      m_streak_emails.insert(streak.email);
      if (park_after > 0 && streak.streak >= park_after) {
        m_parked.push_back(std::move(streak));
      }
    }
    co_return snapshot;
  }

  awaitable<RunOutcome> steps() {
    auto snapshot = co_await read_and_look_up();
    if (!snapshot) {
      co_return abort(snapshot.error());
    }
    report_progress();
    if (m_env.control.progress) {
      m_env.control.progress->sending_since.store(now_millis());
    }
    if (m_request.safety_valve == SafetyValve::enforce) {
      if (auto stop = co_await check_before_sending(*snapshot)) {
        co_return std::move(*stop);
      }
    }
    auto preparer = spool_preparer(*snapshot);
    if (!preparer) {
      co_return abort(preparer.error());
    }
    auto sent = co_await send_all(*preparer);
    note_skipped_values(snapshot->plan, preparer->skipped_values());
    if (!sent) {
      co_return abort(sent.error());
    }
    // Only a full read sees every row, so only it knows who left the model
    // (an empty list still folds a large log, store::drop_contacts).
    auto dropped = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.drop_contacts(
          m_request.activation_id,
          full_read() ? snapshot->index.departed() : std::vector<std::uint64_t>());
    });
    if (!dropped) {
      co_return abort(dropped.error());
    }
    co_return finish();
  }

  bool full_read() const { return m_plan.read.kind == store::ReadKind::full; }

  // Which read the run makes (read_plan.hpp), recorded with the run when the
  // activation is incremental (else it is a full read, the stored default).
  awaitable<Result<void>> plan() {
    const bool incremental = m_request.activation.incremental.has_value();
    std::optional<store::ReadState> stored;
    if (incremental) {
      auto loaded = co_await on_pool(m_resources.pool, [&] {
        return m_resources.store.load_read_state(m_request.activation_id);
      });
      if (!loaded) {
        co_return loaded.error();
      }
      stored = std::move(*loaded);
    }
    auto planned = plan_read(m_request.activation, m_request.scope, stored, now_millis());
    if (!planned) {
      co_return planned.error();
    }
    m_plan = std::move(*planned);
    if (!incremental || m_request.run_id == 0 || m_preview) {
      co_return ok();
    }
    spdlog::info("run {} of activation {}: {} read: {}", m_request.run_id,
                 m_request.activation.name, store::to_string(m_plan.read.kind), m_plan.reason);
    co_return co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.set_run_read(m_request.run_id, m_plan.read);
    });
  }

  // The watermark the run leaves (read_plan.hpp: it advances only over
  // settled rows). A failure to store it keeps the older one, which reads
  // more next time and misses nothing.
  awaitable<void> save_read_state(const RunOutcome& outcome) {
    const NextReadState next = next_read_state(
        {.plan = m_plan,
         .cursor = m_cursor ? &*m_cursor : nullptr,
         .all_settled = outcome.status == store::RunStatus::succeeded,
         .reached_end = outcome.status == store::RunStatus::succeeded ||
                        outcome.status == store::RunStatus::partial,
         .rows_read = outcome.counts.rows_read,
         .stored = outcome.counts.unchanged + outcome.counts.updated + outcome.counts.inserted,
         .now = now_millis()});
    for (const std::string& warning : next.warnings) {
      spdlog::warn("run {} of activation {}: {}", m_request.run_id, m_request.activation.name,
                   warning);
    }
    if (!next.state) {
      co_return;
    }
    auto saved = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.save_read_state(m_request.activation_id, *next.state);
    });
    if (!saved) {
      spdlog::error("run {} of activation {}: could not store its watermark (the next run reads "
                    "from the older one): {}",
                    m_request.run_id, m_request.activation.name, saved.error().message);
    }
  }

  // Step 1 and 2: the stored digests load on one pool thread while the
  // query starts and streams on another (ModelInputs::stored_contacts_ready;
  // an incremental read loads them only past
  // look_up_rows, on the reading thread); the fields are resolved on the
  // event loop once the model's columns are known. The reading thread waits
  // for the fields, and for the digests once it read as far ahead as it may.
  awaitable<Result<ModelSnapshot>> read() {
    const auto executor = co_await boost::asio::this_coro::executor;
    const auto load_digests = [&store = m_resources.store, id = m_request.activation_id,
                               expected = static_cast<std::size_t>(
                                   m_last_success_rows.value_or(0))] {
      return store.load_contact_digests(id, expected);
    };
    ModelInputs inputs;
    inputs.resolve_plan = [&](const std::vector<source::Column>& columns) -> Plan {
      auto plan =
          boost::asio::co_spawn(executor, resolve_fields(columns), boost::asio::use_future);
      return std::move(*plan.get());
    };
    std::future<Digests> digests;
    if (full_read()) {
      auto load = std::make_shared<std::packaged_task<Digests()>>(load_digests);
      digests = load->get_future();
      boost::asio::post(m_resources.pool, [load] { (*load)(); });
      inputs.stored_contacts = [&] { return digests.get(); };
      inputs.stored_contacts_ready = [&] {
        return digests.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      };
    } else {
      inputs.stored_contacts = load_digests;
      inputs.look_up_rows = std::max(k_min_look_up_rows, m_last_success_rows.value_or(0) / 32);
    }
    ModelSource model = m_resources.model;
    model.query_options.filter = m_plan.filter;
    const ReadEnvironment read_env{.model = model,
                                   .store = m_resources.store,
                                   .store_rejections = !m_preview,
                                   .control = m_env.control,
                                   .hash_row_keys = m_env.rejections.hash_row_keys};
    auto snapshot = co_await on_pool(
        m_resources.pool, [&] { return read_model(m_request, read_env, m_spool_path, inputs); });
    co_return snapshot;
  }

  ValveFacts valve_facts(const ModelSnapshot& snapshot, std::int64_t known_contacts) const {
    ValveFacts facts;
    facts.model_rows = snapshot.rows_read;
    facts.model_contacts = snapshot.rows_read - snapshot.rejected;
    facts.max_clear_percent = m_request.activation.max_clear_percent;
    facts.known_contacts = known_contacts;
    facts.last_success_rows = m_last_success_rows;
    return facts;
  }

  // The contacts stored before the run, for the clearing rule: the index's.
  // When the read looked contacts up one by one there is no index: the
  // contacts the last full read left stored (find_last_full_read) are a
  // lower bound (only full reads drop contacts), and when even that bound lets the
  // rows with a NULL pass the rule, the rule has nothing to judge;
  // otherwise the stored contacts are counted (a scan of the activation's
  // state).
  awaitable<Result<std::int64_t>> known_contacts(const ModelSnapshot& snapshot) {
    if (snapshot.index_complete) {
      co_return snapshot.index.size();
    }
    ValveFacts lower = valve_facts(snapshot, m_stored_after_full_read.value_or(0));
    if (!may_clear_too_many(lower, snapshot.rows_with_null)) {
      co_return lower.known_contacts;
    }
    co_return co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.count_contacts(m_request.activation_id);
    });
  }

  // The rows of the activation's last full read, for the safety valve and as
  // the expected size of the stored digests. An incremental activation keeps
  // those of its last full read that reached the end in its read state
  // (however many incremental runs came since, and whatever history was
  // pruned), with the contacts it left stored; for another it is its last
  // successful run. REQUIRES: plan() done.
  awaitable<Result<void>> find_last_full_read() {
    if (m_request.activation.incremental) {
      if (const auto& stored = m_plan.stored; stored && stored->last_full_read_rows > 0) {
        m_last_success_rows = stored->last_full_read_rows;
        m_stored_after_full_read = stored->last_full_read_stored;
      }
      co_return ok();
    }
    auto runs = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.list_runs(m_request.activation_id, k_runs_searched_for_success);
    });
    if (!runs) {
      co_return runs.error();
    }
    for (const auto& run : *runs) {
      if (run.status == store::RunStatus::succeeded) {
        m_last_success_rows = run.counts.rows_read;
        break;
      }
    }
    co_return ok();
  }

  // Step 2's rules (safety_valve.hpp, data_quality.hpp): the outcome of a
  // run they stop before anything is sent, or nullopt. An incremental read
  // returns a few rows by design: the model's volume is judged on full
  // reads only. The spool is read through (tally_spool) only when the rows
  // read could break the clearing or the rejection rule.
  awaitable<std::optional<RunOutcome>> check_before_sending(const ModelSnapshot& snapshot) {
    const ValveFacts facts = valve_facts(snapshot, m_known_contacts);
    if (auto stop = full_read() ? volume_stop(facts) : std::nullopt) {
      co_return stop_for_safety(*stop);
    }
    const bool may_clear = may_clear_too_many(facts, snapshot.rows_with_null);
    const bool may_reject =
        may_reject_too_many(snapshot.rejections.of_data(), snapshot.spooled, snapshot.rows_read,
                            m_request.activation.max_rejected_percent);
    if (!may_clear && !may_reject) {
      co_return std::nullopt;
    }
    auto tally = co_await on_pool(m_resources.pool, [&] { return tally_spool(snapshot); });
    if (!tally) {
      co_return abort(tally.error());
    }
    if (auto stop = clearing_stop(facts, tally->clearing)) {
      co_return stop_for_safety(*stop);
    }
    RejectionTally before_sending = snapshot.rejections;
    before_sending.merge(tally->rejections);
    if (auto stop = rejected_share_stop(before_sending, snapshot.rows_read, m_request.activation)) {
      co_return co_await stop_for_rejections(snapshot, *tally, *stop);
    }
    co_return std::nullopt;
  }

  // Stops a run over max_rejected_percent: the rows step 3 rejects are
  // stored with it (another dry pass: the first one kept only their count),
  // so that `emsyncctl errors` lists them all.
  awaitable<RunOutcome> stop_for_rejections(const ModelSnapshot& snapshot, const SpoolTally& tally,
                                            const std::string& reason) {
    auto stored = co_await on_pool(m_resources.pool, [&] {
      return dry_pass(snapshot, [&](PreparedBatch& batch) -> Result<void> {
        return m_resources.store.add_rejections(m_request.activation_id,
                                                as_stored(std::move(batch.rejections)));
      });
    });
    if (!stored) {
      co_return abort(stored.error());
    }
    m_counts.rejected += tally.rejections.total();
    co_return stop_for_safety(reason);
  }

  // A BatchPreparer over the spool from its start, skipping the parked
  // contacts (m_parked).
  Result<BatchPreparer> spool_preparer(const ModelSnapshot& snapshot) {
    auto reader = SpoolReader::open(m_spool_path, snapshot.unspooled_rows);
    if (!reader) {
      return reader.error();
    }
    BatchPreparer preparer(m_request, m_resources.store, std::move(*reader), snapshot,
                           snapshot.plan);
    preparer.park(m_parked);
    return preparer;
  }

  // Prepares every batch as the send would, and hands each to `on_batch`
  // instead of sending it. Returns the values left out for being too long
  // (BatchPreparer::skipped_values). Blocking.
  Result<std::vector<std::int64_t>> dry_pass(
      const ModelSnapshot& snapshot, const std::function<Result<void>(PreparedBatch&)>& on_batch) {
    auto preparer = spool_preparer(snapshot);
    if (!preparer) {
      return preparer.error();
    }
    for (bool last = false; !last;) {
      if (m_env.control.cancelled()) {
        return make_error(Errc::cancelled, "run cancelled");
      }
      auto batch = preparer->next();
      if (!batch) {
        return batch.error();
      }
      last = batch->last;
      EMSYNC_TRY(on_batch(*batch));
    }
    return preparer->skipped_values();
  }

  // What the send would do with the spooled rows, counted by a dry pass that
  // sends nothing and stores nothing; `on_contact` (optional) sees each
  // contact the run would send. Blocking.
  Result<SpoolTally> tally_spool(
      const ModelSnapshot& snapshot,
      const std::function<Result<void>(const PendingContact&)>& on_contact = {}) {
    SpoolTally tally;
    auto skipped = dry_pass(snapshot, [&](PreparedBatch& batch) -> Result<void> {
      tally.unchanged += batch.unchanged;
      tally.rejections.add(as_stored(std::move(batch.rejections)));
      for (const PendingContact& contact : batch.contacts) {
        tally.clearing += contact.clears_field ? 1 : 0;
        ++(contact.known ? tally.known : tally.fresh);
        if (on_contact) {
          EMSYNC_TRY(on_contact(contact));
        }
      }
      return ok();
    });
    if (!skipped) {
      return skipped.error();
    }
    tally.skipped_values = std::move(*skipped);
    return tally;
  }

  // Counts a contact the preview would send in `out`'s fields, and samples
  // it while the sample holds fewer than `sample_limit`. Blocking.
  Result<void> preview_contact(const PendingContact& contact, const std::vector<PlannedField>& plan,
                               int sample_limit, RunPreview& out) {
    auto changed = parse_json_bounded(contact.update_json);  // {"3": email, "<id>": value, ...}
    if (!changed) {
      return changed.error();
    }
    const bool sampled = out.sample.size() < static_cast<std::size_t>(std::max(0, sample_limit));
    SampleContact sample{contact.email, contact.known, false, {}};
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const auto value = changed->find(std::to_string(plan[i].field_id));
      if (value == changed->end()) {
        continue;
      }
      // "" (null for a multi-choice field) clears the field in Emarsys (diff.hpp).
      const bool cleared = *value == "" || value->is_null();
      ++(cleared ? out.fields[i].cleared : out.fields[i].set);
      if (sampled) {
        sample.fields.push_back({plan[i].column, out.fields[i].field_id,
                                 cleared ? std::nullopt : std::optional(value_text(*value)),
                                 std::nullopt});
      }
    }
    if (sampled) {
      out.sample.push_back(std::move(sample));
    }
    return ok();
  }

  // The sample's current values in Emarsys (POST /contact/getdata, one
  // read-only call). When Emarsys cannot answer, the preview says why.
  awaitable<void> read_current_values(RunPreview& out) {
    if (out.sample.empty()) {
      co_return;
    }
    std::vector<std::string> emails;
    std::vector<std::int64_t> field_ids;
    for (const SampleContact& contact : out.sample) {
      emails.push_back(contact.email);
    }
    for (const FieldPreview& field : out.fields) {
      if (field.field_id > 0) {
        field_ids.push_back(field.field_id);
      }
    }
    auto data = co_await m_resources.destination.api.get_contact_data(emails, field_ids,
                                                                      m_env.request_stats);
    if (!data) {
      out.sample_error = "the current values could not be read from Emarsys: " +
                         data.error().message;
      co_return;
    }
    std::unordered_map<std::string, const emarsys::ContactData*> by_email;
    for (const emarsys::ContactData& contact : data->contacts) {
      if (const auto email = contact.values.find("3");
          email != contact.values.end() && email->second) {
        by_email.emplace(lower_ascii(*email->second), &contact);
      }
    }
    for (SampleContact& contact : out.sample) {
      const auto found = by_email.find(lower_ascii(contact.email));
      contact.in_emarsys = found != by_email.end();
      if (!contact.in_emarsys) {
        continue;
      }
      for (SampleField& field : contact.fields) {
        const auto value = found->second->values.find(std::to_string(field.field_id));
        if (field.field_id > 0 && value != found->second->values.end()) {
          field.current = value->second;
        }
      }
    }
  }

  // Wrapped in an optional: co_spawn needs a default-constructible result.
  awaitable<std::optional<Plan>> resolve_fields(std::vector<source::Column> columns) {
    co_return co_await plan_fields_for(columns);
  }

  awaitable<Plan> plan_fields_for(const std::vector<source::Column>& columns) {
    emarsys::ContactApi& api = m_resources.destination.api;
    auto fields = co_await api.list_fields(m_env.request_stats);
    if (!fields) {
      co_return fields.error();
    }
    for (const auto& missing : missing_custom_fields(m_request.activation, columns, *fields)) {
      if (m_preview) {  // not created: planned under a placeholder id (negative)
        const auto placeholder = -static_cast<std::int64_t>(m_fields_to_create.size() + 1);
        m_fields_to_create.emplace(placeholder, missing.name);
        fields->push_back({placeholder, missing.name, "", missing.application_type});
        continue;
      }
      auto id =
          co_await api.create_field(missing.name, missing.application_type, m_env.request_stats);
      if (!id) {
        co_return id.error();
      }
      spdlog::info("activation {}: created custom field '{}' ({}) with id {}",
                   m_request.activation.name, missing.name, missing.application_type, *id);
      fields->push_back({*id, missing.name, "", missing.application_type});
    }
    auto plan = plan_fields(m_request.activation, columns, *fields);
    if (!plan) {
      co_return plan.error();
    }
    if (auto read = co_await read_choices(api, *plan, m_env.request_stats); !read) {
      co_return read.error();
    }
    co_return plan;
  }

  // The values left out for being too long (on_value_too_long: skip_field):
  // logged, and warned of in the run's report.
  void note_skipped_values(const std::vector<PlannedField>& plan,
                           const std::vector<std::int64_t>& skipped) {
    m_skipped_values = skipped_value_warnings(plan, skipped);
    for (const std::string& warning : m_skipped_values) {
      spdlog::warn("run {} of activation {}: {}", m_request.run_id, m_request.activation.name,
                   warning);
    }
  }

  // A batch on its way to Emarsys; settled (counted, committed) in order.
  struct InFlight {
    explicit InFlight(boost::asio::any_io_executor executor)
        : wake(executor, boost::asio::steady_timer::time_point::max()) {}
    PreparedBatch batch;
    BatchOutcome outcome;
    bool done = false;
    boost::asio::steady_timer wake;  // cancelled when done
  };

  // Keeps up to one batch per Emarsys connection in flight, so that reply
  // latency does not cap throughput; settles them in order. After a failure
  // that stops the run (or a cancel), no new batch is sent but those already
  // sent are settled: what Emarsys acknowledged is stored.
  awaitable<Result<void>> send_all(BatchPreparer& preparer) {
    const auto executor = co_await boost::asio::this_coro::executor;
    const auto window = static_cast<std::size_t>(m_resources.destination.api.concurrent_requests());
    std::deque<std::shared_ptr<InFlight>> in_flight;
    std::optional<Error> stop;
    for (bool last = false; !(last || stop) || !in_flight.empty();) {
      while (!last && !stop && in_flight.size() < window) {
        if (m_env.control.cancelled()) {
          stop = make_error(Errc::cancelled, "run cancelled");
          break;
        }
        auto batch = co_await on_pool(m_resources.pool, [&] { return preparer.next(); });
        if (!batch) {
          stop = batch.error();
          break;
        }
        last = batch->last;
        auto entry = std::make_shared<InFlight>(executor);
        entry->batch = std::move(*batch);
        in_flight.push_back(entry);
        boost::asio::co_spawn(executor, send(entry), boost::asio::detached);
      }
      if (in_flight.empty()) {
        break;
      }
      auto entry = std::move(in_flight.front());
      in_flight.pop_front();
      while (!entry->done) {
        boost::system::error_code woken;
        co_await entry->wake.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, woken));
      }
      finish_rejections(entry->batch.rejections);
      finish_rejections(entry->outcome.rejections);
      count(entry->batch, entry->outcome);
      auto committed =
          co_await on_pool(m_resources.pool, [&] { return commit(entry->batch, entry->outcome); });
      if (!committed && !stop) {
        stop = committed.error();
      }
      if (entry->outcome.abort_run && !stop) {
        stop = *entry->outcome.failure;
      }
    }
    if (stop) {
      co_return *stop;
    }
    co_return ok();
  }

  awaitable<void> send(std::shared_ptr<InFlight> entry) {
    try {
      if (!entry->batch.contacts.empty()) {
        ++m_batches;
        entry->outcome =
            co_await send_batch(m_resources.destination.api, entry->batch, m_send_options, m_route);
      }
    } catch (const std::exception& e) {  // detached: nothing may escape
      entry->outcome = {};
      entry->outcome.failed = static_cast<std::int64_t>(entry->batch.contacts.size());
      entry->outcome.failure = make_error(
          Errc::protocol_error, std::string("internal error (please report): ") + e.what());
      for (const auto& contact : entry->batch.contacts) {
        entry->outcome.rejections.push_back({m_request.run_id, contact.email, "internal_error",
                                             entry->outcome.failure->message,
                                             store::RowKind::failed});
      }
      entry->outcome.abort_run = true;
    }
    entry->done = true;
    entry->wake.cancel();
  }

  void count(const PreparedBatch& batch, const BatchOutcome& outcome) {
    m_counts.unchanged += batch.unchanged;
    m_counts.rejected += static_cast<std::int64_t>(batch.rejections.size()) + outcome.rejected;
    m_counts.updated += outcome.updated;
    m_counts.inserted += outcome.inserted;
    m_counts.not_found += outcome.not_found;
    m_counts.failed += outcome.failed;
    m_rejections.add(batch.rejections);
    m_rejections.add(outcome.rejections);
    if (outcome.failure) {
      m_last_failure = outcome.failure->message;
    }
    report_progress();
  }

  std::int64_t settled() const {
    const auto& c = m_counts;
    return c.unchanged + c.updated + c.inserted + c.not_found + c.rejected + c.failed;
  }

  void report_progress() {
    if (m_env.control.progress) {
      m_env.control.progress->rows_settled.store(settled());
    }
  }

  // Stores what Emarsys acknowledged, the refreshed states, the rejections
  // and the progress.
  Result<void> commit(const PreparedBatch& batch, const BatchOutcome& outcome) {
    auto& store = m_resources.store;
    EMSYNC_TRY(store.commit_contacts(m_request.activation_id, outcome.acknowledged));
    std::vector<std::string> accepted;  // contacts whose rejection streak is over
    for (const store::ContactUpdate& contact : outcome.acknowledged) {
      if (!m_streak_emails.empty() && m_streak_emails.erase(contact.email) > 0) {
        accepted.push_back(contact.email);
      }
    }
    if (!accepted.empty()) {
      EMSYNC_TRY(store.forget_rejection_streaks(m_request.activation_id, accepted));
    }
    if (!batch.refreshed.empty()) {
      EMSYNC_TRY(store.commit_contacts(m_request.activation_id, batch.refreshed));
    }
    EMSYNC_TRY(store.add_rejections(m_request.activation_id, batch.rejections));
    EMSYNC_TRY(store.add_rejections(m_request.activation_id, outcome.rejections));
    EMSYNC_TRY(store.record_rejections(m_request.activation_id, outcome.contact_rejections));
    return store.update_run_counts(m_request.run_id, m_counts);
  }

  // Contacts' rows (rejected, failed, not found: keyed by email) as the run
  // history keeps them.
  void finish_rejections(std::vector<store::Rejection>& rejections) const {
    for (auto& rejection : rejections) {
      finish_rejection(rejection, rejection.row_key, m_env.rejections.hash_row_keys);
    }
  }
  std::vector<store::Rejection> as_stored(std::vector<store::Rejection> rejections) const {
    finish_rejections(rejections);
    return rejections;
  }

  RunOutcome abort(const Error& error) {
    RunOutcome outcome = stopped_run(error, m_counts, settled(), m_batches);
    m_counts = outcome.counts;
    return outcome;
  }

  RunOutcome stop_for_safety(const std::string& reason) {
    RunOutcome outcome = safety_stop(reason, m_counts, settled(), m_batches);
    m_counts = outcome.counts;
    return outcome;
  }

  RunOutcome finish() {
    RunOutcome outcome{store::RunStatus::succeeded, m_counts, std::nullopt, false, m_batches};
    if (m_counts.failed > 0) {
      outcome.status = store::RunStatus::partial;
      outcome.error = std::to_string(m_counts.failed) +
                      " contacts were not delivered and will be retried next run; last error: " +
                      m_last_failure.value_or("unknown");
    }
    outcome.warnings = run_warnings(m_rejections, m_counts, m_request.activation);
    outcome.warnings.insert(outcome.warnings.end(), m_skipped_values.begin(),
                            m_skipped_values.end());
    return outcome;
  }

  const RunRequest& m_request;
  const RunEnvironment& m_env;
  const RunResources& m_resources;  // m_env's
  const bool m_preview;
  std::string m_spool_path;
  store::RunCounts m_counts;
  RejectionTally m_rejections;  // every row rejected so far, by reason (for the warnings)
  std::vector<std::string> m_skipped_values;  // warnings of values left out (skip_field)
  std::int64_t m_known_contacts = 0;  // stored before the run (known_contacts)
  std::vector<store::RejectionStreak> m_parked;  // contacts skipped while their data is the same
  std::unordered_set<std::string> m_streak_emails;  // contacts with a rejection streak
  // A preview's custom fields that do not exist: placeholder id -> name.
  std::map<std::int64_t, std::string> m_fields_to_create;
  std::optional<std::string> m_last_failure;
  std::optional<std::int64_t> m_last_success_rows;
  // Contacts the last full read of an incremental activation left stored: a
  // lower bound of those stored now.
  std::optional<std::int64_t> m_stored_after_full_read;
  std::int64_t m_batches = 0;
  ReadPlan m_plan;                        // which read, once planned
  std::optional<CursorTracker> m_cursor;  // set once a read of an incremental activation completed
  const SendOptions m_send_options{m_request.run_id, m_request.activation.insert_new_contacts,
                                   m_resources.destination.new_contacts_list_id,
                                   m_env.request_stats};
  NewContactRoute m_route;  // shared by the run's batches
};

}  // namespace

RunOutcome stopped_run(const Error& error, store::RunCounts counts, std::int64_t settled,
                       std::int64_t batches) {
  // Every row is counted once: what was not settled failed (it is retried next run).
  counts.failed += std::max<std::int64_t>(0, counts.rows_read - settled);
  const auto status =
      error.code == Errc::cancelled ? store::RunStatus::cancelled : store::RunStatus::failed;
  const bool needs_attention = error.code == Errc::source_error ||
                               error.code == Errc::auth_failed ||
                               error.code == Errc::invalid_input || error.code == Errc::rejected;
  return {status, counts, error.message, needs_attention, batches};
}

RunOutcome safety_stop(const std::string& reason, store::RunCounts counts, std::int64_t settled,
                       std::int64_t batches) {
  RunOutcome outcome =
      stopped_run(make_error(Errc::invalid_input, reason), counts, settled, batches);
  outcome.needs_attention = false;
  return outcome;
}

awaitable<RunOutcome> execute_run(const RunRequest& request, const RunEnvironment& env) {
  std::optional<RunOutcome> outcome;
  try {
    if (request.activation.mode == config::Mode::list) {
      outcome = co_await execute_list_run(request, env);
    } else {
      Run run(request, env, false);
      outcome = co_await run.execute();
    }
  } catch (const std::exception& e) {
    outcome = RunOutcome{store::RunStatus::failed, {},
                         std::string("internal error (please report): ") + e.what()};
  }
  co_await on_pool(env.resources.pool,
                   [] { release_free_memory(); });  // the run's memory is free now
  co_return std::move(*outcome);
}

awaitable<Result<RunPreview>> preview_run(const RunRequest& request, const RunEnvironment& env,
                                         int sample_limit) {
  std::optional<Result<RunPreview>> preview;
  try {
    if (request.activation.mode == config::Mode::list) {
      preview = co_await preview_list_run(request, env, sample_limit);
    } else {
      Run run(request, env, true);
      preview = co_await run.preview(sample_limit);
    }
  } catch (const std::exception& e) {
    preview = make_error(Errc::protocol_error,
                         std::string("internal error (please report): ") + e.what());
  }
  co_await on_pool(env.resources.pool, [] { release_free_memory(); });
  co_return std::move(*preview);
}

}  // namespace emsync::sync
