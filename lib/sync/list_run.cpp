#include "sync/list_run.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "core/blocking.hpp"
#include "core/hash.hpp"
#include "sync/batch_preparer.hpp"
#include "sync/data_quality.hpp"
#include "sync/diff.hpp"
#include "sync/list_changes.hpp"
#include "sync/model_reader.hpp"
#include "sync/row_digest.hpp"
#include "sync/row_key.hpp"
#include "sync/safety_valve.hpp"
#include "sync/spool.hpp"

namespace emsync::sync {

namespace {

using boost::asio::awaitable;

// How far back the volume rule looks for the last successful run.
constexpr int k_runs_searched_for_success = 50;

// Previews run concurrently (and beside runs), each with its own spool.
std::atomic<std::uint64_t> g_list_previews{0};

// The contact hash of a row that maps no column: what the model reader
// computes for each row of a list activation, and so what a member is
// stored under in the ContactIndex (a member the model has is unchanged).
std::uint64_t member_hash() {
  static const std::uint64_t hash = RowDigester({})({});
  return hash;
}

enum class Change { add, remove };

// The emails of the members that left, read on the pool (a scan of every
// member) while the run does other work.
using LeavingEmails = std::future<Result<std::vector<std::string>>>;

// What becomes of a spooled email: added, rejected as a repeated email, or
// skipped as parked.
enum class Entry { add, duplicate, parked };

class ListRun {
 public:
  // A run (`preview` false) or a preview (preview_list_run), which reads and
  // judges as the run does and sends and stores nothing.
  ListRun(const RunRequest& request, const RunEnvironment& env, bool preview)
      : m_request(request),
        m_env(env),
        m_resources(env.resources),
        m_preview(preview),
        m_prefix("activation '" + request.activation.name + "': "),
        m_spool_path(m_resources.spool_dir +
                     (preview ? "/preview-" + std::to_string(request.activation_id) + "-list-" +
                                    std::to_string(++g_list_previews)
                              : "/run-" + std::to_string(request.run_id)) +
                     ".spool") {}
  ~ListRun() { std::remove(m_spool_path.c_str()); }
  ListRun(const ListRun&) = delete;
  ListRun& operator=(const ListRun&) = delete;

  awaitable<RunOutcome> execute() {
    auto list_id = co_await find_list_id(true);
    if (!list_id) {
      co_return abort(list_id.error());
    }
    m_list_id = *list_id;
    if (auto loaded = co_await load_streaks(); !loaded) {
      co_return abort(loaded.error());
    }
    auto snapshot = co_await read();
    if (!snapshot) {
      co_return abort(snapshot.error());
    }
    m_counts.rows_read = snapshot->rows_read;
    m_counts.rejected = snapshot->rejected;
    m_counts.unchanged = snapshot->unchanged;
    m_rejections = snapshot->rejections;
    std::vector<std::uint64_t> leaving = snapshot->index.departed();  // sorted
    report_progress();
    if (m_env.control.progress) {
      m_env.control.progress->sending_since.store(now_millis());
    }
    if (m_request.safety_valve == SafetyValve::enforce) {
      if (auto stop = co_await check_before_sending(*snapshot, std::ssize(leaving))) {
        co_return std::move(*stop);
      }
    }
    // Step 5's emails are read back (a scan of every member) while step 4 sends.
    LeavingEmails leaving_emails = read_member_emails(std::move(leaving));
    if (auto added = co_await add_entering(*snapshot); !added) {
      co_return abort(added.error());
    }
    if (auto forgot = co_await forget_streaks(); !forgot) {
      co_return abort(forgot.error());
    }
    if (auto removed = co_await remove_leaving(leaving_emails); !removed) {
      co_return abort(removed.error());
    }
    co_return finish();
  }

  // preview_list_run(): steps 1 to 3 judged, nothing sent or stored (a list
  // given by name that Emarsys does not have is not created: list_id 0).
  awaitable<Result<RunPreview>> preview(int sample_limit) {
    auto list_id = co_await find_list_id(false);
    if (!list_id) {
      co_return list_id.error();
    }
    m_list_id = *list_id;
    if (auto loaded = co_await load_streaks(); !loaded) {
      co_return loaded.error();
    }
    auto snapshot = co_await read();
    if (!snapshot) {
      co_return snapshot.error();
    }
    const std::vector<std::uint64_t> leaving = snapshot->index.departed();  // sorted
    RunPreview out;
    ListPreview list{.list = config::describe(*m_request.activation.list),
                     .list_id = m_list_id,
                     .members = static_cast<std::int64_t>(snapshot->index.size()),
                     .remove = std::ssize(leaving)};
    const auto sample = static_cast<std::size_t>(std::max(0, sample_limit));
    std::vector<store::Rejection> skipped;  // repeated and parked emails
    auto scanned = co_await on_pool(m_resources.pool, [&] {
      return scan_spool(*snapshot, [&](SpooledRow& row) {
        switch (classify(*snapshot, row.email)) {
          case Entry::duplicate:
            skipped.push_back(duplicate_rejection(row));
            break;
          case Entry::parked:
            ++list.parked;
            skipped.push_back(parked_rejection(row.email));
            break;
          case Entry::add:
            if (list.add_sample.size() < sample) {
              list.add_sample.push_back(row.email);
            }
            ++list.add;
            break;
        }
      });
    });
    if (!scanned) {
      co_return scanned.error();
    }
    const std::vector<std::uint64_t> shown(
        leaving.begin(), leaving.begin() + static_cast<std::ptrdiff_t>(
                                               std::min(sample, leaving.size())));
    auto removed = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.list_member_emails(m_request.activation_id, shown);
    });
    if (!removed) {
      co_return removed.error();
    }
    list.remove_sample = std::move(*removed);
    std::sort(list.remove_sample.begin(), list.remove_sample.end());
    RejectionTally rejections = snapshot->rejections;
    rejections.add(skipped);
    out.rows_read = snapshot->rows_read;
    out.unchanged = snapshot->unchanged;
    out.rejected = rejections.total();
    out.rejected_by_reason = rejections.by_code();
    const auto duplicates = rejections.by_code().find("duplicate_email");
    out.duplicate_rows = duplicates == rejections.by_code().end() ? 0 : duplicates->second;
    out.duplicate_emails = static_cast<std::int64_t>(snapshot->duplicate_hashes.size());
    out.safety_valve_stop = valve_stop(*snapshot, list.remove);
    out.rejected_share_stop =
        rejected_share_stop(rejections, snapshot->rows_read, m_request.activation);
    out.warnings = run_warnings(rejections, {.rows_read = snapshot->rows_read},
                                m_request.activation);
    out.list = std::move(list);
    co_return out;
  }

  // empty_list(): every managed member removed; how many.
  awaitable<Result<std::int64_t>> empty() {
    auto list_id = co_await find_list_id(false);
    if (!list_id) {
      co_return list_id.error();
    }
    if (*list_id == 0) {
      co_return 0;  // no such list: none of its members is left to remove
    }
    m_list_id = *list_id;
    auto members = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.load_list_members(m_request.activation_id);
    });
    if (!members) {
      co_return members.error();
    }
    LeavingEmails emails = read_member_emails(std::move(*members));
    if (auto removed = co_await remove_leaving(emails); !removed) {
      co_return removed.error();
    }
    if (m_removals_refused > 0) {
      co_return make_error(Errc::rejected,
                           m_prefix + std::to_string(m_removals_refused) +
                               " members could not be removed from contact list " +
                               std::to_string(m_list_id) + ": " + m_last_refusal);
    }
    co_return m_counts.removed;
  }

 private:
  // Step 1: the list's id (list_run.hpp). Without `create`, a list given by
  // name that Emarsys does not have is 0.
  awaitable<Result<std::int64_t>> find_list_id(bool create) {
    const config::ListRef& ref = *m_request.activation.list;
    emarsys::ContactApi& api = m_resources.destination.api;
    auto lists = co_await api.list_contact_lists(m_env.request_stats);
    if (!lists) {
      co_return lists.error();
    }
    if (const auto* id = std::get_if<std::int64_t>(&ref)) {
      if (find_list(*lists, ref)) {
        co_return *id;
      }
      co_return make_error(
          Errc::invalid_input,
          m_prefix + "Emarsys has no contact list with id " + std::to_string(*id) +
              " (destination '" + m_request.activation.destination +
              "'): give the id of an existing list, or its name (\"list\": {\"name\": ...}) to "
              "have emsync create it, and apply the activation again");
    }
    const std::string& name = std::get<std::string>(ref);
    const std::string list_ref = config::describe(ref);
    auto remembered = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.load_list_id(m_request.activation_id, list_ref);
    });
    if (!remembered) {
      co_return remembered.error();
    }
    if (*remembered && find_list(*lists, **remembered)) {
      co_return **remembered;  // renamed since, perhaps: still the list emsync fills
    }
    if (*remembered) {
      co_return make_error(Errc::invalid_input,
                           m_prefix + "contact list '" + name + "' (id " +
                               std::to_string(**remembered) +
                               "), which emsync found or created, is no longer in Emarsys; to "
                               "start again with a new list, delete the activation (emsyncctl "
                               "delete " + m_request.activation.name + ") and apply it again");
    }
    std::optional<std::int64_t> found = find_list(*lists, ref);
    if (!found && !create) {
      co_return 0;
    }
    if (!found) {
      auto created = co_await api.create_contact_list(name, m_env.request_stats);
      if (!created && created.error().reply_code == 3005) {  // created meanwhile: look again
        lists = co_await api.list_contact_lists(m_env.request_stats);
        if (!lists) {
          co_return lists.error();
        }
        found = find_list(*lists, ref);
      } else if (!created) {
        co_return created.error();
      } else {
        spdlog::info("activation {}: created contact list '{}' with id {}",
                     m_request.activation.name, name, *created);
        found = *created;
      }
      if (!found) {
        co_return make_error(Errc::rejected, m_prefix + "contact list '" + name +
                                                 "' could not be created: Emarsys says the "
                                                 "name is taken, but lists no list of that name");
      }
    }
    if (m_preview) {
      co_return *found;  // a preview stores nothing: the run remembers it
    }
    auto saved = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.save_list_id(m_request.activation_id, list_ref, *found);
    });
    if (!saved) {
      co_return saved.error();  // the next run finds the list by its name
    }
    co_return *found;
  }

  // Step 2: the model read and diffed against the managed members.
  awaitable<Result<ModelSnapshot>> read() {
    auto runs = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.list_runs(m_request.activation_id, k_runs_searched_for_success);
    });
    if (!runs) {
      co_return runs.error();
    }
    const auto success = std::find_if(runs->begin(), runs->end(), [](const auto& run) {
      return run.status == store::RunStatus::succeeded;
    });
    if (success != runs->end()) {
      m_last_success_rows = success->counts.rows_read;
    }
    ModelInputs inputs;
    inputs.resolve_plan = [](const std::vector<source::Column>&) {
      return Result<std::vector<PlannedField>>(std::vector<PlannedField>());  // no field
    };
    // The members load on another pool thread while the query starts and
    // streams (ModelInputs::stored_contacts_ready).
    using Digests = Result<std::vector<store::ContactDigest>>;
    auto load = std::make_shared<std::packaged_task<Digests()>>(
        [&store = m_resources.store, id = m_request.activation_id]() -> Digests {
          auto members = store.load_list_members(id);
          if (!members) {
            return members.error();
          }
          std::vector<store::ContactDigest> digests;
          digests.reserve(members->size());
          for (const std::uint64_t email_hash : *members) {
            digests.push_back({email_hash, member_hash()});
          }
          return digests;
        });
    std::future<Digests> digests = load->get_future();
    boost::asio::post(m_resources.pool, [load] { (*load)(); });
    inputs.stored_contacts = [&] { return digests.get(); };
    inputs.stored_contacts_ready = [&] {
      return digests.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    };
    const ReadEnvironment read_env{.model = m_resources.model,
                                   .store = m_resources.store,
                                   .store_rejections = !m_preview,
                                   .control = m_env.control,
                                   .hash_row_keys = m_env.rejections.hash_row_keys};
    co_return co_await on_pool(m_resources.pool, [&] {
      return read_model(m_request, read_env, m_spool_path, inputs);
    });
  }

  // The streaks of emails Emarsys did not take (list_parked from 1 on: those
  // not seen again are forgotten, forget_streaks).
  awaitable<Result<void>> load_streaks() {
    auto streaks = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.list_parked(m_request.activation_id, 1);
    });
    if (!streaks) {
      co_return streaks.error();
    }
    for (store::RejectionStreak& streak : *streaks) {
      std::string email = streak.email;
      m_streaks.emplace(std::move(email), std::move(streak));
    }
    co_return ok();
  }

  // Step 3's safety valve: the model's volume, then the share of managed
  // members that would be removed.
  std::optional<std::string> valve_stop(const ModelSnapshot& snapshot,
                                        std::int64_t leaving) const {
    ValveFacts facts;
    facts.known_contacts = snapshot.index.size();
    facts.model_rows = snapshot.rows_read;
    facts.model_contacts = snapshot.rows_read - snapshot.rejected;
    facts.last_success_rows = m_last_success_rows;
    if (auto stop = volume_stop(facts)) {
      return stop;
    }
    return removal_stop(snapshot.index.size(), leaving, m_request.activation.max_remove_percent);
  }

  // Step 3: the rules judged before anything is sent.
  awaitable<std::optional<RunOutcome>> check_before_sending(const ModelSnapshot& snapshot,
                                                            std::int64_t leaving) {
    if (auto stop = valve_stop(snapshot, leaving)) {
      co_return stop_for_safety(*stop);
    }
    if (!may_reject_too_many(snapshot.rejections.of_data(), snapshot.spooled, snapshot.rows_read,
                             m_request.activation.max_rejected_percent)) {
      co_return std::nullopt;
    }
    std::vector<store::Rejection> duplicates;  // the spooled rows of repeated emails
    auto counted = co_await on_pool(m_resources.pool, [&] {
      return scan_spool(snapshot, [&](const SpooledRow& row) {
        if (repeated(snapshot, row.email)) {
          duplicates.push_back(duplicate_rejection(row));
        }
      });
    });
    if (!counted) {
      co_return abort(counted.error());
    }
    RejectionTally tally = snapshot.rejections;
    tally.add(duplicates);
    auto stop = rejected_share_stop(tally, snapshot.rows_read, m_request.activation);
    if (!stop) {
      co_return std::nullopt;
    }
    // Stored, so that `emsyncctl errors` lists every row the rule counted.
    auto stored = co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.add_rejections(m_request.activation_id, duplicates);
    });
    if (!stored) {
      co_return abort(stored.error());
    }
    m_counts.rejected += std::ssize(duplicates);
    co_return stop_for_safety(*stop);
  }

  // Calls `each` with every spooled row of `snapshot`'s read, from the
  // spool's start. Blocking.
  Result<void> scan_spool(const ModelSnapshot& snapshot,
                          const std::function<void(SpooledRow&)>& each) const {
    auto reader = SpoolReader::open(m_spool_path, snapshot.unspooled_rows);
    if (!reader) {
      return reader.error();
    }
    SpooledRow row;
    for (;;) {
      auto next = reader->next(row);
      if (!next || !*next) {
        return next ? ok() : Result<void>(next.error());
      }
      each(row);
    }
  }

  // What the run does with a spooled email; notes the streaks it keeps.
  Entry classify(const ModelSnapshot& snapshot, const std::string& email) {
    const auto streak = m_streaks.find(email);
    if (streak != m_streaks.end()) {
      m_kept_streaks.insert(email);  // in the model still: the streak goes on
    }
    if (repeated(snapshot, email)) {
      return Entry::duplicate;
    }
    const int park_after = m_env.rejections.park_after;
    if (park_after > 0 && streak != m_streaks.end() && streak->second.streak >= park_after &&
        streak->second.contact_hash == member_hash()) {
      return Entry::parked;
    }
    return Entry::add;
  }

  // A parked email's row, as the contacts mode keeps it (batch_preparer.cpp):
  // rejected, with code "parked", which max_rejected_percent does not count.
  store::Rejection parked_rejection(const std::string& email) const {
    const store::RejectionStreak& streak = m_streaks.at(email);
    store::Rejection rejection{
        m_request.run_id, email, k_parked_code,
        "Emarsys answered " + streak.code + " for this email " + std::to_string(streak.streak) +
            " runs in a row; it is not added to the list until it leaves the model and comes "
            "back, or `emsyncctl retry " + m_request.activation.name + "`"};
    finish_rejection(rejection, email, m_env.rejections.hash_row_keys);
    return rejection;
  }

  static bool repeated(const ModelSnapshot& snapshot, const std::string& email) {
    return std::binary_search(snapshot.duplicate_hashes.begin(), snapshot.duplicate_hashes.end(),
                              hash64(email));
  }

  // A row of a repeated email, as the run history keeps it.
  store::Rejection duplicate_rejection(const SpooledRow& row) const {
    store::Rejection rejection{m_request.run_id, row.email, "duplicate_email",
                               duplicate_email_message(row.row_number, row.email)};
    finish_rejection(rejection, row.email, m_env.rejections.hash_row_keys);
    return rejection;
  }

  // Step 4: the spooled emails (but those of repeated emails, and parked
  // ones) added, one request at a time.
  awaitable<Result<void>> add_entering(const ModelSnapshot& snapshot) {
    auto reader = SpoolReader::open(m_spool_path, snapshot.unspooled_rows);
    if (!reader) {
      co_return reader.error();
    }
    SpooledRow row;
    for (bool more = true; more;) {
      if (m_env.control.cancelled()) {
        co_return make_error(Errc::cancelled, "run cancelled");
      }
      std::vector<std::string> emails;
      std::vector<store::Rejection> skipped;  // repeated and parked emails
      auto read = co_await on_pool(m_resources.pool, [&]() -> Result<bool> {
        while (emails.size() < emarsys::k_max_list_change_emails) {
          auto next = reader->next(row);
          if (!next || !*next) {
            return next;
          }
          switch (classify(snapshot, row.email)) {
            case Entry::duplicate:
              skipped.push_back(duplicate_rejection(row));
              break;
            case Entry::parked:
              skipped.push_back(parked_rejection(row.email));
              break;
            case Entry::add:
              emails.push_back(std::move(row.email));
              break;
          }
        }
        return true;
      });
      if (!read) {
        co_return read.error();
      }
      more = *read;
      m_counts.rejected += std::ssize(skipped);
      m_rejections.add(skipped);
      if (auto sent = co_await send_change(Change::add, std::move(emails), std::move(skipped));
          !sent) {
        co_return sent.error();
      }
    }
    co_return ok();
  }

  // After step 4: the streaks of emails that joined the list, or that the
  // model no longer has, are forgotten (one that comes back starts again).
  awaitable<Result<void>> forget_streaks() {
    std::vector<std::string> forgotten;
    for (const auto& [email, streak] : m_streaks) {
      if (!m_kept_streaks.contains(email)) {
        forgotten.push_back(email);
      }
    }
    if (forgotten.empty()) {
      co_return ok();
    }
    co_return co_await on_pool(m_resources.pool, [&] {
      return m_resources.store.forget_rejection_streaks(m_request.activation_id, forgotten);
    });
  }

  // Starts reading the emails of the members of `hashes` (sorted) on the
  // pool; remove_leaving() waits for them. The task owns what it reads.
  LeavingEmails read_member_emails(std::vector<std::uint64_t> hashes) const {
    if (hashes.empty()) {
      std::promise<Result<std::vector<std::string>>> none;
      none.set_value(std::vector<std::string>());
      return none.get_future();
    }
    auto task = std::make_shared<std::packaged_task<Result<std::vector<std::string>>()>>(
        [&store = m_resources.store, id = m_request.activation_id, hashes = std::move(hashes)] {
          return store.list_member_emails(id, hashes);
        });
    LeavingEmails emails = task->get_future();
    boost::asio::post(m_resources.pool, [task] { (*task)(); });
    return emails;
  }

  // Step 5: the members that left (read_member_emails) removed, one request
  // at a time.
  awaitable<Result<void>> remove_leaving(LeavingEmails& leaving) {
    auto emails = co_await on_pool(m_resources.pool, [&] { return leaving.get(); });
    if (!emails) {
      co_return emails.error();
    }
    const std::size_t size = emails->size();
    for (std::size_t first = 0; first < size; first += emarsys::k_max_list_change_emails) {
      if (m_env.control.cancelled()) {
        co_return make_error(Errc::cancelled, "run cancelled");
      }
      const auto begin = emails->begin() + static_cast<std::ptrdiff_t>(first);
      const auto end = emails->begin() + static_cast<std::ptrdiff_t>(std::min(
                                             size, first + emarsys::k_max_list_change_emails));
      std::vector<std::string> request(std::make_move_iterator(begin),
                                       std::make_move_iterator(end));
      if (auto sent = co_await send_change(Change::remove, std::move(request), {}); !sent) {
        co_return sent.error();
      }
    }
    co_return ok();
  }

  // Sends one request (none when `emails` is empty), then commits what
  // Emarsys took with `rows` (rows the run did not settle) and the run's
  // counts. A request that failed as a whole is the error, after the commit.
  awaitable<Result<void>> send_change(Change change, std::vector<std::string> emails,
                                      std::vector<store::Rejection> rows) {
    std::vector<std::string> joined;
    std::vector<std::string> left;
    std::vector<store::ContactRejection> streaks;  // emails Emarsys did not add
    std::optional<Error> failure;
    if (!emails.empty()) {
      ++m_requests;
      const std::vector<std::string_view> views(emails.begin(), emails.end());
      emarsys::ContactApi& api = m_resources.destination.api;
      // Not one conditional expression of two co_awaits: GCC 12 destroys its result twice.
      Result<emarsys::ListChangeResult> result = emarsys::ListChangeResult{};
      if (change == Change::add) {
        result = co_await api.add_to_contact_list(m_list_id, views, m_env.request_stats);
      } else {
        result = co_await api.remove_from_contact_list(m_list_id, views, m_env.request_stats);
      }
      if (!result) {
        failure = result.error();
        if (change == Change::add) {
          failed_adds(emails, *failure, rows);
        }
      } else if (change == Change::add) {
        settle_adds(sort_list_reply(std::move(emails), result->errors), joined, rows, streaks);
      } else {
        settle_removals(sort_list_reply(std::move(emails), result->errors), left);
      }
    }
    auto committed = co_await on_pool(m_resources.pool, [&]() -> Result<void> {
      auto& store = m_resources.store;
      EMSYNC_TRY(store.change_list_members(m_request.activation_id, m_request.run_id, joined, left));
      EMSYNC_TRY(store.add_rejections(m_request.activation_id, rows));
      EMSYNC_TRY(store.record_rejections(m_request.activation_id, streaks));
      return m_request.run_id == 0 ? ok() : store.update_run_counts(m_request.run_id, m_counts);
    });
    report_progress();
    if (!committed) {
      co_return committed.error();
    }
    if (failure) {
      co_return *failure;
    }
    co_return ok();
  }

  void failed_adds(const std::vector<std::string>& emails, const Error& error,
                   std::vector<store::Rejection>& rows) {
    m_counts.failed += std::ssize(emails);
    for (const std::string& email : emails) {
      store::Rejection row{m_request.run_id, email, "request_failed",
                           "the add request to contact list " + std::to_string(m_list_id) +
                               " failed (sent again next run): " + error.message,
                           store::RowKind::failed};
      finish_rejection(row, email, m_env.rejections.hash_row_keys);
      rows.push_back(std::move(row));
    }
  }

  // An add's reply: who joined, the rows of those who did not, and their
  // streaks (each email Emarsys did not take, under member_hash()).
  void settle_adds(ListReply reply, std::vector<std::string>& joined,
                   std::vector<store::Rejection>& rows,
                   std::vector<store::ContactRejection>& streaks) {
    m_counts.added += std::ssize(reply.taken);
    m_counts.not_found += std::ssize(reply.not_found);
    m_counts.rejected += std::ssize(reply.refused);
    std::vector<store::Rejection> rejected;
    for (const std::string& email : reply.not_found) {
      rows.push_back({m_request.run_id, email, "2008",
                      "Emarsys has no contact with this email; a list activation never creates "
                      "contacts, so it is not in the list (tried again next run)",
                      store::RowKind::not_found});
      finish_rejection(rows.back(), email, m_env.rejections.hash_row_keys);
    }
    for (const RefusedEmail& refused : reply.refused) {
      rejected.push_back({m_request.run_id, refused.email, refused.code,
                          "Emarsys refused to add it to contact list " +
                              std::to_string(m_list_id) + ": " + refused.message});
      finish_rejection(rejected.back(), refused.email, m_env.rejections.hash_row_keys);
    }
    for (const std::string& email : reply.not_found) {
      streaks.push_back({email, "2008", member_hash()});
    }
    for (const RefusedEmail& refused : reply.refused) {
      streaks.push_back({refused.email, refused.code, member_hash()});
    }
    for (const std::string& email : reply.taken) {
      m_kept_streaks.erase(email);  // a member now: its streak is forgotten
    }
    m_rejections.add(rejected);
    rows.insert(rows.end(), std::make_move_iterator(rejected.begin()),
                std::make_move_iterator(rejected.end()));
    joined = std::move(reply.taken);
  }

  // A 2008 on delete: the contact is gone from Emarsys, so from the list.
  void settle_removals(ListReply reply, std::vector<std::string>& left) {
    m_counts.removed += std::ssize(reply.taken) + std::ssize(reply.not_found);
    left = std::move(reply.taken);
    left.insert(left.end(), std::make_move_iterator(reply.not_found.begin()),
                std::make_move_iterator(reply.not_found.end()));
    for (const RefusedEmail& refused : reply.refused) {
      ++m_removals_refused;
      m_last_refusal = refused.code + ": " + refused.message;
    }
  }

  void report_progress() {
    if (m_env.control.progress) {
      m_env.control.progress->rows_settled.store(settled());
    }
  }

  std::int64_t settled() const {
    const auto& c = m_counts;
    return c.unchanged + c.added + c.not_found + c.rejected + c.failed;
  }

  RunOutcome abort(const Error& error) {
    RunOutcome outcome = stopped_run(error, m_counts, settled(), m_requests);
    m_counts = outcome.counts;
    return outcome;
  }

  RunOutcome stop_for_safety(const std::string& reason) {
    RunOutcome outcome = safety_stop(reason, m_counts, settled(), m_requests);
    m_counts = outcome.counts;
    return outcome;
  }

  RunOutcome finish() {
    RunOutcome outcome{store::RunStatus::succeeded, m_counts, std::nullopt, false, m_requests};
    if (m_removals_refused > 0) {
      outcome.status = store::RunStatus::partial;
      outcome.error = std::to_string(m_removals_refused) +
                      " list members could not be removed from contact list " +
                      std::to_string(m_list_id) + " (tried again next run); last error: " +
                      m_last_refusal;
    }
    outcome.warnings = run_warnings(m_rejections, m_counts, m_request.activation);
    return outcome;
  }

  const RunRequest& m_request;
  const RunEnvironment& m_env;
  const RunResources& m_resources;  // m_env's
  const bool m_preview;
  const std::string m_prefix;       // "activation 'x': "
  const std::string m_spool_path;
  std::int64_t m_list_id = 0;
  store::RunCounts m_counts;
  RejectionTally m_rejections;  // every row rejected so far, by reason (for the warnings)
  std::optional<std::int64_t> m_last_success_rows;
  std::int64_t m_requests = 0;  // add and delete requests sent
  std::int64_t m_removals_refused = 0;
  std::string m_last_refusal;
  // Emails Emarsys did not add in earlier runs, by email (list_parked from 1).
  std::unordered_map<std::string, store::RejectionStreak> m_streaks;
  // Those the model still has and that did not join: their streaks go on.
  std::unordered_set<std::string> m_kept_streaks;
};

}  // namespace

awaitable<RunOutcome> execute_list_run(const RunRequest& request, const RunEnvironment& env) {
  ListRun run(request, env, false);
  co_return co_await run.execute();
}

awaitable<Result<RunPreview>> preview_list_run(const RunRequest& request,
                                               const RunEnvironment& env, int sample_limit) {
  ListRun run(request, env, true);
  co_return co_await run.preview(sample_limit);
}

awaitable<Result<std::int64_t>> empty_list(const RunRequest& request, const RunEnvironment& env) {
  if (request.activation.mode != config::Mode::list) {
    co_return make_error(Errc::invalid_input, "activation '" + request.activation.name +
                                                  "' is no list activation: it has no list to "
                                                  "empty");
  }
  ListRun run(request, env, false);
  co_return co_await run.empty();
}

}  // namespace emsync::sync
