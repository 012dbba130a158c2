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
#include <cstdio>
#include <deque>
#include <future>
#include <memory>

#include "core/blocking.hpp"
#include "core/memory.hpp"
#include "sync/batch_preparer.hpp"
#include "sync/batch_sender.hpp"
#include "sync/choice_reader.hpp"
#include "sync/field_plan.hpp"
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

class Run {
 public:
  Run(const RunRequest& request, const RunEnvironment& env)
      : m_request(request),
        m_env(env),
        m_resources(env.resources),
        m_spool_path(m_resources.spool_dir + "/run-" + std::to_string(request.run_id) + ".spool") {}
  ~Run() { std::remove(m_spool_path.c_str()); }

  awaitable<RunOutcome> execute() {
    RunOutcome outcome = co_await steps();
    outcome.read = m_plan.read;
    if (m_request.activation.incremental) {
      co_await save_read_state(outcome);
    }
    co_return outcome;
  }

 private:
  using Digests = Result<std::vector<store::ContactDigest>>;
  using Plan = Result<std::vector<PlannedField>>;

  awaitable<RunOutcome> steps() {
    if (auto planned = co_await plan(); !planned) {
      co_return abort(planned.error());
    }
    if (auto found = co_await find_last_full_read(); !found) {
      co_return abort(found.error());
    }
    auto snapshot = co_await read();
    if (!snapshot) {
      co_return abort(snapshot.error());
    }
    m_cursor = snapshot->cursor;
    m_counts.rows_read = snapshot->rows_read;
    m_counts.rejected = snapshot->rejected;
    m_counts.unchanged = snapshot->unchanged;
    m_counts.cursor_null = m_cursor ? m_cursor->nulls() : 0;
    report_progress();
    if (m_env.control.progress) {
      m_env.control.progress->sending_since.store(now_millis());
    }
    auto known = co_await known_contacts(*snapshot);
    if (!known) {
      co_return abort(known.error());
    }
    const ValveFacts facts = valve_facts(*snapshot, *known);
    const bool enforce_valve = m_request.safety_valve == SafetyValve::enforce;
    // An incremental read returns a few rows by design: the model's volume
    // is judged on full reads only.
    if (auto stop = enforce_valve && full_read() ? volume_stop(facts) : std::nullopt) {
      co_return stop_for_safety(*stop);
    }
    if (enforce_valve && may_clear_too_many(facts, snapshot->rows_with_null)) {
      auto clearing = co_await on_pool(m_resources.pool, [&] { return count_clearing(*snapshot); });
      if (!clearing) {
        co_return abort(clearing.error());
      }
      if (auto stop = clearing_stop(facts, *clearing)) {
        co_return stop_for_safety(*stop);
      }
    }
    auto reader = SpoolReader::open(m_spool_path);
    if (!reader) {
      co_return abort(reader.error());
    }
    BatchPreparer preparer(m_request, m_resources.store, std::move(*reader), *snapshot,
                           snapshot->plan);
    if (const int park_after = m_env.rejections.park_after; park_after > 0) {
      auto parked = co_await on_pool(m_resources.pool, [&] {
        return m_resources.store.list_parked(m_request.activation_id, park_after);
      });
      if (!parked) {
        co_return abort(parked.error());
      }
      preparer.park(std::move(*parked));
    }
    auto sent = co_await send_all(preparer);
    report_skipped_values(snapshot->plan, preparer.skipped_values());
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
    if (!incremental || m_request.run_id == 0) {
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
  // query starts on another (an incremental read loads them only past
  // look_up_rows, on the reading thread); the fields are resolved on the
  // event loop once the model's columns are known. The reading thread waits
  // for both.
  awaitable<Result<ModelSnapshot>> read() {
    const auto executor = co_await boost::asio::this_coro::executor;
    const auto load_digests = [&store = m_resources.store, id = m_request.activation_id,
                               expected = static_cast<std::size_t>(
                                   m_last_success_rows.value_or(0))] {
      return store.load_contact_digests(id, expected);
    };
    ModelInputs inputs;
    inputs.resolve_plan = [&](const std::vector<source::ColumnType>& column_types) -> Plan {
      auto plan =
          boost::asio::co_spawn(executor, resolve_fields(column_types), boost::asio::use_future);
      return std::move(*plan.get());
    };
    std::future<Digests> digests;
    if (full_read()) {
      auto load = std::make_shared<std::packaged_task<Digests()>>(load_digests);
      digests = load->get_future();
      boost::asio::post(m_resources.pool, [load] { (*load)(); });
      inputs.stored_contacts = [&] { return digests.get(); };
    } else {
      inputs.stored_contacts = load_digests;
      inputs.look_up_rows = std::max(k_min_look_up_rows, m_last_success_rows.value_or(0) / 32);
    }
    ModelSource model = m_resources.model;
    model.query_options.filter = m_plan.filter;
    const ReadEnvironment read_env{.model = model,
                                   .store = m_resources.store,
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

  // How many contacts the run's updates would clear a field of: a dry pass
  // over the spool that sends nothing and stores nothing. Blocking.
  Result<std::int64_t> count_clearing(const ModelSnapshot& snapshot) {
    auto reader = SpoolReader::open(m_spool_path);
    if (!reader) {
      return reader.error();
    }
    BatchPreparer dry_run(m_request, m_resources.store, std::move(*reader), snapshot,
                          snapshot.plan);
    std::int64_t clearing = 0;
    for (bool last = false; !last;) {
      auto batch = dry_run.next();
      if (!batch) {
        return batch.error();
      }
      last = batch->last;
      for (const auto& contact : batch->contacts) {
        clearing += contact.clears_field ? 1 : 0;
      }
    }
    return clearing;
  }

  // Wrapped in an optional: co_spawn needs a default-constructible result.
  awaitable<std::optional<Plan>> resolve_fields(std::vector<source::ColumnType> column_types) {
    co_return co_await plan_fields_for(column_types);
  }

  awaitable<Plan> plan_fields_for(const std::vector<source::ColumnType>& column_types) {
    emarsys::ContactApi& api = m_resources.destination.api;
    auto fields = co_await api.list_fields(m_env.request_stats);
    if (!fields) {
      co_return fields.error();
    }
    for (const auto& missing : missing_custom_fields(m_request.activation, column_types, *fields)) {
      auto id =
          co_await api.create_field(missing.name, missing.application_type, m_env.request_stats);
      if (!id) {
        co_return id.error();
      }
      spdlog::info("activation {}: created custom field '{}' ({}) with id {}",
                   m_request.activation.name, missing.name, missing.application_type, *id);
      fields->push_back({*id, missing.name, "", missing.application_type});
    }
    auto plan = plan_fields(m_request.activation, column_types, *fields);
    if (!plan) {
      co_return plan.error();
    }
    if (auto read = co_await read_choices(api, *plan, m_env.request_stats); !read) {
      co_return read.error();
    }
    co_return plan;
  }

  // The values left out for being too long (on_value_too_long: skip_field),
  // logged as warnings. Hook for the run report: once RunOutcome carries a
  // `warnings` list, these strings go there too.
  void report_skipped_values(const std::vector<PlannedField>& plan,
                             const std::vector<std::int64_t>& skipped) const {
    for (const std::string& warning : skipped_value_warnings(plan, skipped)) {
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

  // Stores what Emarsys acknowledged, the rejections and the progress.
  Result<void> commit(const PreparedBatch& batch, const BatchOutcome& outcome) {
    auto& store = m_resources.store;
    EMSYNC_TRY(store.commit_contacts(m_request.activation_id, outcome.acknowledged));
    EMSYNC_TRY(store.add_rejections(m_request.activation_id, as_stored(batch.rejections)));
    EMSYNC_TRY(store.add_rejections(m_request.activation_id, as_stored(outcome.rejections)));
    EMSYNC_TRY(store.record_rejections(m_request.activation_id, outcome.contact_rejections));
    return store.update_run_counts(m_request.run_id, m_counts);
  }

  // Contacts' rows (rejected, failed, not found: keyed by email) as the run
  // history keeps them.
  std::vector<store::Rejection> as_stored(std::vector<store::Rejection> rejections) const {
    for (auto& rejection : rejections) {
      finish_rejection(rejection, rejection.row_key, m_env.rejections.hash_row_keys);
    }
    return rejections;
  }

  RunOutcome abort(const Error& error) {
    // Every row is counted once: what was not settled failed (it is retried next run).
    m_counts.failed += std::max<std::int64_t>(0, m_counts.rows_read - settled());
    const auto status =
        error.code == Errc::cancelled ? store::RunStatus::cancelled : store::RunStatus::failed;
    const bool needs_attention = error.code == Errc::source_error ||
                                 error.code == Errc::auth_failed ||
                                 error.code == Errc::invalid_input || error.code == Errc::rejected;
    return {status, m_counts, error.message, needs_attention, m_batches};
  }

  // The safety valve is a decision, not a fault: it never auto-pauses.
  RunOutcome stop_for_safety(const std::string& reason) {
    RunOutcome outcome = abort(make_error(Errc::invalid_input, reason));
    outcome.needs_attention = false;
    return outcome;
  }

  RunOutcome finish() {
    if (m_counts.failed > 0) {
      return {store::RunStatus::partial, m_counts,
              std::to_string(m_counts.failed) +
                  " contacts were not delivered and will be retried "
                  "next run; last error: " +
                  m_last_failure.value_or("unknown"),
              false, m_batches};
    }
    return {store::RunStatus::succeeded, m_counts, std::nullopt, false, m_batches};
  }

  const RunRequest& m_request;
  const RunEnvironment& m_env;
  const RunResources& m_resources;  // m_env's
  std::string m_spool_path;
  store::RunCounts m_counts;
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

awaitable<RunOutcome> execute_run(const RunRequest& request, const RunEnvironment& env) {
  std::optional<RunOutcome> outcome;
  try {
    Run run(request, env);
    outcome = co_await run.execute();
  } catch (const std::exception& e) {
    outcome = RunOutcome{store::RunStatus::failed, {},
                         std::string("internal error (please report): ") + e.what()};
  }
  co_await on_pool(env.resources.pool,
                   [] { release_free_memory(); });  // the run's memory is free now
  co_return std::move(*outcome);
}

}  // namespace emsync::sync
