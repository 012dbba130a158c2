// open_state_store(), runs and read states (incremental reads). Activations
// are in activations.cpp, contact state and rejections in contact_state.cpp.
#include "store/state_store.hpp"

#include <sqlite3.h>

#include <bit>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "core/json_limits.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_state_store.hpp"

namespace emsync::store {
namespace {

// How long a call waits for a lock held by another connection (e.g. a backup).
constexpr int k_busy_timeout_ms = 5000;

struct StatusName {
  RunStatus status;
  const char* name;  // as stored in runs.status
};

constexpr StatusName k_status_names[] = {
    {RunStatus::queued, "queued"},           {RunStatus::running, "running"},
    {RunStatus::succeeded, "succeeded"},     {RunStatus::partial, "partial"},
    {RunStatus::failed, "failed"},           {RunStatus::cancelled, "cancelled"},
    {RunStatus::interrupted, "interrupted"},
};

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (const StatusName& entry : k_status_names) {
    if (text == entry.name) {
      return entry.status;
    }
  }
  return std::nullopt;
}

std::optional<ReadKind> parse_read_kind(std::string_view text) {
  for (const ReadKind kind : {ReadKind::full, ReadKind::incremental}) {
    if (text == to_string(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

// Binds the ten counters to parameters first..first+9 (EMSYNC_COUNT_COLUMNS order).
void bind_counts(Statement& statement, int first, const RunCounts& counts) {
  statement.bind(first, counts.rows_read);
  statement.bind(first + 1, counts.unchanged);
  statement.bind(first + 2, counts.updated);
  statement.bind(first + 3, counts.inserted);
  statement.bind(first + 4, counts.not_found);
  statement.bind(first + 5, counts.rejected);
  statement.bind(first + 6, counts.failed);
  statement.bind(first + 7, counts.cursor_null);
  statement.bind(first + 8, counts.added);
  statement.bind(first + 9, counts.removed);
}

// The eight counters from `first` on, and added and removed at `list_first`
// (EMSYNC_RUN_COLUMNS).
RunCounts read_counts(const Statement& row, int first, int list_first) {
  return RunCounts{.rows_read = row.get_int64(first),
                   .unchanged = row.get_int64(first + 1),
                   .updated = row.get_int64(first + 2),
                   .inserted = row.get_int64(first + 3),
                   .not_found = row.get_int64(first + 4),
                   .rejected = row.get_int64(first + 5),
                   .failed = row.get_int64(first + 6),
                   .cursor_null = row.get_int64(first + 7),
                   .added = row.get_int64(list_first),
                   .removed = row.get_int64(list_first + 1)};
}

// runs.warnings (schema/012_run_warnings.sql): a JSON array of strings, or
// NULL for none.
std::optional<std::string> warnings_text(const std::vector<std::string>& warnings) {
  if (warnings.empty()) {
    return std::nullopt;
  }
  return nlohmann::json(warnings).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The warnings stored as warnings_text() writes them; what is not such an
// array (edited by hand) is kept as one warning, as it is.
std::vector<std::string> read_warnings(const std::optional<std::string>& text) {
  if (!text) {
    return {};
  }
  auto parsed = parse_json_bounded(*text);
  if (!parsed || !parsed->is_array()) {
    return {*text};
  }
  std::vector<std::string> warnings;
  for (const auto& warning : *parsed) {
    warnings.push_back(warning.is_string() ? warning.get<std::string>() : warning.dump());
  }
  return warnings;
}

// Reads a row of EMSYNC_RUN_COLUMNS (queries.cpp).
Result<RunRecord> read_run(const Statement& row) {
  const std::string status = row.get_text(3);
  auto parsed = parse_run_status(status);
  const std::string read = row.get_text(16);
  auto read_kind = parse_read_kind(read);
  if (!parsed || !read_kind) {
    return make_error(Errc::state_error,
                      "state DB: run " + std::to_string(row.get_int64(0)) + " has an unknown " +
                          (!parsed ? "status '" + status + "'" : "read '" + read + "'"));
  }
  return RunRecord{.id = row.get_int64(0),
                   .activation_id = row.get_int64(1),
                   .activation = row.get_text(2),
                   .status = *parsed,
                   .full = row.get_int64(4) != 0,
                   .counts = read_counts(row, 5, 20),
                   .read = {.kind = *read_kind,
                            .watermark = row.get_optional_text(17),
                            .read_from = row.get_optional_text(18)},
                   .started_at = row.get_int64(13),
                   .finished_at = row.get_optional_int64(14),
                   .error = row.get_optional_text(15),
                   .warnings = read_warnings(row.get_optional_text(19))};
}

// Durability and integrity settings; journal_mode is persistent, the others
// are per connection. auto_vacuum takes effect only in a new database (before
// its first table): there a fold of the contact log gives the log's pages
// back to the file system rather than keeping them as free pages, so a first
// run leaves a file the size of its contact state, not of state and log.
// journal_size_limit: a WAL that grew past 4 MiB (a large transaction, or
// checkpoints held back by a reader) is truncated to it when next reset,
// rather than kept at its largest size (issue 19: bytes on disk per contact).
Result<void> configure(Db& db) {
  db.set_busy_timeout(k_busy_timeout_ms);
  return db.exec(
      "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; "
      "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 4194304");
}

Error run_not_in_state(std::int64_t run_id, const char* state) {
  return make_error(Errc::state_error,
                    "run " + std::to_string(run_id) + " does not exist or is not " + state);
}

}  // namespace

const char* to_string(RunStatus status) {
  for (const StatusName& entry : k_status_names) {
    if (entry.status == status) {
      return entry.name;
    }
  }
  return "unknown";
}

Result<std::unique_ptr<StateStore>> open_state_store(const std::string& path) {
  auto opened = [&]() -> Result<std::unique_ptr<StateStore>> {
    // NOMUTEX: the store serialises every use of its connection with its
    // own mutex, so SQLite's per-call locking only cost time (a fifth of a
    // million-contact digest load).
    auto db = Db::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    if (!db) {
      return db.error();
    }
    EMSYNC_TRY(configure(*db));
    EMSYNC_TRY(migrate(*db));
    return SqliteStateStore::create(std::move(*db));
  }();
  if (!opened) {
    return make_error(Errc::state_error, "cannot open the state DB: " + opened.error().message);
  }
  return opened;
}

Result<std::unique_ptr<StateStore>> SqliteStateStore::create(Db db) {
  std::vector<Statement> statements;
  statements.reserve(k_query_count);
  for (std::size_t i = 0; i < k_query_count; ++i) {
    auto statement = db.prepare(sql(static_cast<Query>(i)));
    if (!statement) {
      return statement.error();
    }
    statements.push_back(std::move(*statement));
  }
  return std::unique_ptr<StateStore>(new SqliteStateStore(std::move(db), std::move(statements)));
}

SqliteStateStore::SqliteStateStore(Db db, std::vector<Statement> statements)
    : m_db(std::move(db)), m_statements(std::move(statements)) {}

// -- runs --

Result<std::int64_t> SqliteStateStore::create_run(std::int64_t activation_id, bool full,
                                                  UnixMillis queued_at) {
  std::lock_guard lock(m_mutex);
  auto insert = use(Query::create_run);
  insert->bind_all(activation_id, std::int64_t{full}, queued_at);
  EMSYNC_TRY(insert->run());
  return m_db.last_insert_rowid();
}

Result<void> SqliteStateStore::start_run(std::int64_t run_id, UnixMillis started_at) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::start_run);
  update->bind_all(run_id, started_at);
  EMSYNC_TRY(update->run());
  return m_db.changes() > 0 ? ok() : Result<void>(run_not_in_state(run_id, "queued"));
}

Result<void> SqliteStateStore::update_run_counts(std::int64_t run_id, const RunCounts& counts) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::update_run_counts);
  update->bind(1, run_id);
  bind_counts(*update, 2, counts);
  EMSYNC_TRY(update->run());
  return m_db.changes() > 0 ? ok() : Result<void>(run_not_in_state(run_id, "running"));
}

Result<void> SqliteStateStore::finish_run(std::int64_t run_id, RunStatus status,
                                          const RunCounts& counts, UnixMillis finished_at,
                                          const std::optional<std::string>& error) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::finish_run);
  update->bind(1, run_id);
  bind_counts(*update, 2, counts);
  update->bind(12, to_string(status));
  update->bind(13, finished_at);
  update->bind(14, error);
  EMSYNC_TRY(update->run());
  return m_db.changes() > 0 ? ok() : Result<void>(run_not_in_state(run_id, "recorded"));
}

Result<std::vector<RunRecord>> SqliteStateStore::read_runs(Statement& statement) {
  std::vector<RunRecord> runs;
  for (;;) {
    auto row = statement.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return runs;
    }
    auto run = read_run(statement);
    if (!run) {
      return run.error();
    }
    runs.push_back(std::move(*run));
  }
}

Result<std::vector<RunRecord>> SqliteStateStore::list_runs(std::int64_t activation_id, int limit) {
  std::lock_guard lock(m_mutex);
  auto list = use(Query::list_runs);
  list->bind_all(activation_id, std::int64_t{limit});
  return read_runs(*list);
}

Result<std::optional<RunRecord>> SqliteStateStore::find_run(std::int64_t run_id) {
  std::lock_guard lock(m_mutex);
  auto find = use(Query::find_run);
  find->bind_all(run_id);
  auto runs = read_runs(*find);
  if (!runs) {
    return runs.error();
  }
  return runs->empty() ? std::nullopt : std::optional(std::move(runs->front()));
}

Result<int> SqliteStateStore::mark_unfinished_runs_interrupted(UnixMillis now) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::interrupt_unfinished_runs);
  update->bind_all(now);
  EMSYNC_TRY(update->run());
  return static_cast<int>(m_db.changes());
}

Result<PrunedRuns> SqliteStateStore::prune_runs(UnixMillis finished_before, int max_runs,
                                                std::int64_t max_rejections) {
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  // The oldest prunable runs, as many as fit in max_rejections (at least one).
  std::vector<std::int64_t> run_ids;
  {
    auto select = use(Query::prunable_runs);
    select->bind_all(finished_before, std::int64_t{max_runs});
    std::int64_t rejections = 0;
    for (;;) {
      auto row = select->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      rejections += select->get_int64(1);
      if (!run_ids.empty() && rejections > max_rejections) {
        break;
      }
      run_ids.push_back(select->get_int64(0));
    }
  }
  PrunedRuns pruned;
  for (const std::int64_t run_id : run_ids) {
    auto rejections = use(Query::delete_run_rejections);
    rejections->bind_all(run_id);
    EMSYNC_TRY(rejections->run());
    pruned.rejections += m_db.changes();
    auto run = use(Query::delete_run);
    run->bind_all(run_id);
    EMSYNC_TRY(run->run());
    pruned.runs += m_db.changes();
  }
  EMSYNC_TRY(transaction->commit());
  return pruned;
}

Result<void> SqliteStateStore::set_run_read(std::int64_t run_id, const RunRead& read) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::set_run_read);
  update->bind_all(run_id, to_string(read.kind), read.watermark, read.read_from);
  EMSYNC_TRY(update->run());
  return m_db.changes() > 0 ? ok() : Result<void>(run_not_in_state(run_id, "recorded"));
}

Result<void> SqliteStateStore::set_run_warnings(std::int64_t run_id,
                                                const std::vector<std::string>& warnings) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::set_run_warnings);
  update->bind_all(run_id, warnings_text(warnings));
  EMSYNC_TRY(update->run());
  return m_db.changes() > 0 ? ok() : Result<void>(run_not_in_state(run_id, "recorded"));
}

// -- incremental reads --

Result<std::optional<ReadState>> SqliteStateStore::load_read_state(std::int64_t activation_id) {
  std::lock_guard lock(m_mutex);
  auto load = use(Query::load_read_state);
  load->bind_all(activation_id);
  auto row = load->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return std::optional<ReadState>();
  }
  return std::optional(ReadState{.cursor_type = load->get_text(0),
                                 .watermark = load->get_optional_text(1),
                                 .last_full_read_at = load->get_optional_int64(2),
                                 .fingerprint = std::bit_cast<std::uint64_t>(load->get_int64(3)),
                                 .last_full_read_rows = load->get_int64(4),
                                 .last_full_read_stored = load->get_int64(5)});
}

Result<void> SqliteStateStore::save_read_state(std::int64_t activation_id,
                                               const ReadState& state) {
  std::lock_guard lock(m_mutex);
  auto save = use(Query::save_read_state);
  save->bind_all(activation_id, state.cursor_type, state.watermark, state.last_full_read_at,
                 std::bit_cast<std::int64_t>(state.fingerprint), state.last_full_read_rows,
                 state.last_full_read_stored);
  return save->run();
}

const char* to_string(ReadKind kind) {
  return kind == ReadKind::incremental ? "incremental" : "full";
}

const char* to_string(RowKind kind) {
  switch (kind) {
    case RowKind::failed:
      return "failed";
    case RowKind::not_found:
      return "not_found";
    case RowKind::rejected:
      break;
  }
  return "rejected";
}

std::optional<RowKind> row_kind_from_string(std::string_view text) {
  for (const RowKind kind : {RowKind::rejected, RowKind::failed, RowKind::not_found}) {
    if (text == to_string(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

}  // namespace emsync::store
