// StateStore: everything emsync remembers, in one SQLite database (WAL).
//
// Holds activations (as applied), runs (one row per run, with the run
// report's counters; pruned after run_history_days), per-contact state (a
// contact hash and one hash per mapped field, for change detection), where
// each incremental activation's reads stand (ReadState: its watermark) and
// rejected rows (for `emsyncctl errors`). All SQL of the state DB lives in queries.cpp;
// the schema is created and upgraded by the numbered migrations in schema/
// (compiled into the binary), tracked with PRAGMA user_version.
//
// Durability: WAL with synchronous=FULL, so a committed batch survives a
// power loss; each commit_contacts() call is one transaction.
//
// Thread-safety: every method may be called from any thread; calls are
// serialised by an internal mutex. Methods block (disk I/O), so the daemon
// calls them on its blocking thread pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/activation.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/contact_hashes.hpp"

namespace emsync::store {

// An activation as stored. Its definition was parsed once, when the row was
// read (config::parse_activations, the bounded parse), so callers take the
// typed value and never parse JSON again.
//
// A stored definition that no longer parses (written by a newer emsync
// before a downgrade, or edited by hand), or that names another activation or
// destination than its row, is not dropped: `definition` is null,
// `definition_error` says why (naming the activation and the remedy: apply it
// again) and `stored_text` holds the text as it is. Such an activation is
// listed and shown, never scheduled; a run of it fails with that error.
struct ActivationRecord {
  std::int64_t id = 0;
  std::string name;
  // The parsed definition, null when it does not parse. Immutable: copies of
  // the record (a schedule plan keeps one) share it.
  std::shared_ptr<const config::Activation> definition;
  std::string definition_error;  // empty exactly when `definition` is set
  std::string stored_text;       // the definition as stored: canonical JSON when applied
  std::string destination;       // destination name (a change drops contact state)
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
  bool paused = false;  // by emsyncctl pause: its schedule does not start it
  // Consecutive runs that failed for a reason that will not fix itself.
  int failure_streak = 0;
  // Set when the daemon paused it after such failures; its schedule does not
  // start it until a check passes or `emsyncctl resume`.
  std::optional<std::string> auto_paused_reason;
};

enum class RunStatus { queued, running, succeeded, partial, failed, cancelled, interrupted };
const char* to_string(RunStatus status);

// The run report's counters. Every row read is counted exactly once:
// rows_read == unchanged + updated + inserted + not_found + rejected + failed
// (+ added, for a list activation).
struct RunCounts {
  std::int64_t rows_read = 0;
  std::int64_t unchanged = 0;
  std::int64_t updated = 0;
  std::int64_t inserted = 0;
  std::int64_t not_found = 0;
  std::int64_t rejected = 0;
  std::int64_t failed = 0;
  // Rows read whose cursor column was NULL (incremental activations): an
  // incremental read never selects them. Not one of the classes above: each
  // such row is also counted in one of them.
  std::int64_t cursor_null = 0;
  // List activations (config::Mode::list): rows whose contact joined the list
  // (`unchanged` counts those already members; `updated` and `inserted` stay
  // 0), and members removed because they left the model (not rows).
  std::int64_t added = 0;
  std::int64_t removed = 0;
};

// How a run read its model (config::Incremental).
enum class ReadKind { full, incremental };
const char* to_string(ReadKind kind);  // "full", "incremental"

// What a run read: recorded when its read is planned (set_run_read), shown
// by `runs` and the run report.
struct RunRead {
  ReadKind kind = ReadKind::full;
  // An incremental read: the watermark it started from, and the rows it read
  // (cursor >= read_from: the watermark minus the lookback). Canonical text
  // of the cursor's type (source::Value); nullopt for a full read.
  std::optional<std::string> watermark;
  std::optional<std::string> read_from;
};

// Where an activation's incremental reads stand, between runs
// (schema/010_incremental.sql). Written by a run at its end, in one
// transaction; dropped with the activation's contact state (a changed
// destination), so that the watermark never covers state that is gone.
struct ReadState {
  std::string cursor_type;  // "integer", "date" or "timestamp" (source::to_string)
  // The highest cursor value up to which every row read is settled; nullopt:
  // the next read is full.
  std::optional<std::string> watermark;
  // When the last full read that reached the end of its run ended; nullopt:
  // never.
  std::optional<UnixMillis> last_full_read_at;
  // Of the definition the watermark belongs to (sync/read_plan.hpp): another
  // one means the query or the mapping changed, and the next read is full.
  std::uint64_t fingerprint = 0;
  // Of the last full read that reached the end of its run (of any
  // definition): the rows it read, and the contacts it left stored
  // (unchanged, updated or inserted). The safety valve compares the next full
  // read with the first, and takes the second as a lower bound of the
  // contacts stored since (only a full read drops contacts). 0: none yet.
  std::int64_t last_full_read_rows = 0;
  std::int64_t last_full_read_stored = 0;

  bool operator==(const ReadState&) const = default;
};

struct RunRecord {
  std::int64_t id = 0;
  std::int64_t activation_id = 0;
  std::string activation;  // name
  RunStatus status = RunStatus::running;
  bool full = false;
  RunCounts counts;
  RunRead read;
  UnixMillis started_at = 0;
  std::optional<UnixMillis> finished_at;
  std::optional<std::string> error;
  // What the run warns of besides its error (set_run_warnings): e.g. the rows
  // it rejected, by reason.
  std::vector<std::string> warnings;
};

// What became of a row a run did not settle (schema/011_run_rows.sql):
// rejected (by emsync or by Emarsys: it is not sent again until its data
// changes or it is unparked), failed (never acknowledged: a batch that failed
// as a whole; sent again next run) or not_found (Emarsys does not know the
// contact and insert_new_contacts is off).
enum class RowKind { rejected, failed, not_found };
const char* to_string(RowKind kind);  // "rejected", "failed", "not_found"
// The kind named `text`, nullopt for any other text.
std::optional<RowKind> row_kind_from_string(std::string_view text);

// A row that was not sent or not settled, and why. `row_key` is the
// normalised email when there is one (its hash under rejected_row_keys
// hashed), else "row <n>" (1-based position in the model's result).
struct Rejection {
  std::int64_t run_id = 0;
  std::string row_key;
  std::string code;     // e.g. "invalid_email", "duplicate_email", "2007"
  std::string message;  // names the field and what to fix
  RowKind kind = RowKind::rejected;
};

// The detailed rejections one run keeps (schema/009_rejection_cap.sql): the
// rest are only counted. The run's `rejected` counter counts them all.
inline constexpr std::int64_t k_max_kept_rejections = 10'000;
// What add_rejections() keeps of a rejection's text, at most (quote_value,
// core/quote.hpp): its key and code 256 bytes, its message 1000. Whoever
// writes a message quotes values shorter than that already.
inline constexpr std::size_t k_max_rejection_message_bytes = 1000;

// One page of a run's kept rows (of one kind, or all), in the order they
// were stored.
struct RejectionPage {
  std::vector<Rejection> rejections;  // the page
  std::int64_t total = 0;             // kept rows of the run (of the kind), every page
  std::int64_t not_kept = 0;          // rows of the run past the cap, of any kind
};

// Emarsys rejected a contact: `code` for the data whose hash is contact_hash.
struct ContactRejection {
  std::string email;
  std::string code;
  std::uint64_t contact_hash = 0;
};

// A contact Emarsys rejected with the same code for the same data `streak`
// runs in a row.
struct RejectionStreak {
  std::string email;
  std::string code;
  std::uint64_t contact_hash = 0;
  int streak = 0;
};

// What one prune_runs() call deleted.
struct PrunedRuns {
  std::int64_t runs = 0;
  std::int64_t rejections = 0;  // rejected rows of those runs
};

// One state-changing admin command, as the audit log keeps it.
struct AuditEntry {
  UnixMillis at = 0;
  int peer_uid = -1;  // SO_PEERCRED of the client; -1 when unknown
  int peer_gid = -1;
  int peer_pid = -1;
  std::string method;                 // "apply", "run", "reload", ...
  std::optional<std::string> target;  // the activation(s) concerned
  std::string outcome;                // "ok" or an error code
  std::optional<std::string> detail;  // error message, or what was done
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // -- activations --
  // Creates or updates every activation in one transaction (all or none),
  // matched with the stored ones by name; each is stored as its canonical JSON
  // (config::to_json). When an existing activation's destination changes, its
  // contact state and its read state are dropped, so the next run reads and
  // sends everything; when its destination, mode or list changes, its list
  // members and list id are dropped (they belong to another list).
  virtual Result<void> apply_activations(const std::vector<config::Activation>& activations) = 0;
  virtual Result<std::vector<ActivationRecord>> list_activations() = 0;
  virtual Result<std::optional<ActivationRecord>> find_activation(const std::string& name) = 0;
  // Deletes the activation with its runs, contact state and rejections.
  // Returns false when there was no such activation.
  virtual Result<bool> delete_activation(const std::string& name) = 0;
  // Pauses or resumes an activation; false when there is no such activation.
  virtual Result<bool> set_paused(const std::string& name, bool paused) = 0;
  // After a run: a failure that needs attention extends the failure streak,
  // anything else ends it. Returns the new streak.
  virtual Result<int> record_run_health(const std::string& name, bool needs_attention) = 0;
  // Auto-pauses with `reason`, or lifts an auto-pause (nullopt; also ends the
  // failure streak). Resuming (set_paused false) lifts it too.
  virtual Result<void> set_auto_paused(const std::string& name,
                                       const std::optional<std::string>& reason) = 0;

  // -- runs --
  // Records a new run as `queued` (started_at = queued_at) and returns its id.
  virtual Result<std::int64_t> create_run(std::int64_t activation_id, bool full,
                                          UnixMillis queued_at) = 0;
  // queued -> running; sets started_at.
  virtual Result<void> start_run(std::int64_t run_id, UnixMillis started_at) = 0;
  // Stores counters while the run goes on (status stays `running`).
  virtual Result<void> update_run_counts(std::int64_t run_id, const RunCounts& counts) = 0;
  virtual Result<void> finish_run(std::int64_t run_id, RunStatus status, const RunCounts& counts,
                                  UnixMillis finished_at,
                                  const std::optional<std::string>& error) = 0;
  // Records the run's warnings (RunRecord::warnings), replacing any.
  virtual Result<void> set_run_warnings(std::int64_t run_id,
                                        const std::vector<std::string>& warnings) = 0;
  // Records what the run reads (RunRecord::read), once it is planned.
  virtual Result<void> set_run_read(std::int64_t run_id, const RunRead& read) = 0;
  // Newest first.
  virtual Result<std::vector<RunRecord>> list_runs(std::int64_t activation_id, int limit) = 0;
  virtual Result<std::optional<RunRecord>> find_run(std::int64_t run_id) = 0;
  // Marks runs left `queued` or `running` by a crashed daemon as
  // `interrupted` (finished_at = now); returns how many.
  virtual Result<int> mark_unfinished_runs_interrupted(UnixMillis now) = 0;
  // Run history retention: deletes the oldest finished runs whose
  // finished_at is before `finished_before`, with their rejected rows, in one
  // transaction. Never an activation's latest run nor its latest succeeded
  // run (last run and last success, as `list` and the safety valve read
  // them). One call is one bounded chunk, so the write lock is held briefly:
  // at most `max_runs` runs, and only as many as fit in `max_rejections`
  // rejected rows by their counters (at least one run). Call it again until
  // it prunes nothing. Contact state, rejection streaks and the audit log are
  // not history: they stay (the audit log is the record of who changed what,
  // holds no email and grows only with admin commands).
  virtual Result<PrunedRuns> prune_runs(UnixMillis finished_before, int max_runs,
                                        std::int64_t max_rejections) = 0;

  // -- contact state --
  // Committed contacts are appended to a log (a few sequential pages) and
  // folded into the stored state in email hash order later (why: schema/007,
  // ARCHITECTURE.md "Durability"). The store follows what its connection
  // logged, up to 65,536 contacts per activation: while it does, the reads
  // below read through the log, which stays as it is, also between runs. The
  // log is folded before it is read when what it holds is not known: after a
  // restart or a crash (a crashed run's acknowledged contacts are folded
  // before the next run diffs), after another connection wrote it, or once it
  // outgrew what is followed; drop_contacts(), which a run calls at its end,
  // folds it then too, and whenever it drops contacts. Every method below
  // sees a committed contact, folded or not.

  // The stored states of several contacts (one entry per email, in order,
  // empty for a contact never acknowledged), read in one transaction. A run
  // looks a contact up before it commits it, at most once. A contact in the
  // followed log is read from its latest log entry, the others from the
  // folded state; a log whose content is not known is folded first.
  virtual Result<std::vector<std::optional<ContactState>>> load_contacts(
      std::int64_t activation_id, const std::vector<std::string>& emails) = 0;
  // Stores the state of contacts Emarsys acknowledged, in one transaction,
  // durable when it returns (appended to the log).
  virtual Result<void> commit_contacts(std::int64_t activation_id,
                                       const std::vector<ContactUpdate>& contacts) = 0;
  // Every stored contact of the activation as (hash64(email), contact hash),
  // sorted by email hash: the folded state with the followed log's latest
  // entries over it (a log whose content is not known is folded first). What
  // a run diffs the model against without a lookup per row. `expected`, when
  // not 0, is the capacity reserved up front (e.g. the previous run's count),
  // so a large result is not copied while it grows. The default argument is
  // on this declaration only: call through StateStore.
  virtual Result<std::vector<ContactDigest>> load_contact_digests(std::int64_t activation_id,
                                                                  std::size_t expected = 0) = 0;
  // Drops the state of the contacts whose hash64(email) is in `email_hashes`
  // (contacts that left the model: one that comes back is sent in full).
  // Returns how many were dropped. Folds the activation's log first when
  // `email_hashes` is not empty or what the log holds is not known (a large
  // log included); else leaves it as it is.
  virtual Result<std::int64_t> drop_contacts(std::int64_t activation_id,
                                             const std::vector<std::uint64_t>& email_hashes) = 0;
  // How many contacts are stored, folded or not. Does not fold (`emsyncctl
  // show` reads it during a run): costs a lookup per logged contact then.
  virtual Result<std::int64_t> count_contacts(std::int64_t activation_id) = 0;

  // -- contact lists (list activations, schema/014_list_members.sql) --
  // The members emsync added to the activation's list and Emarsys
  // acknowledged (normalised emails), as hash64(email), sorted and unique
  // (SqliteStateStore keeps them from one call to the next, following its
  // own changes: member_cache.hpp).
  virtual Result<std::vector<std::uint64_t>> load_list_members(std::int64_t activation_id) = 0;
  // The emails of the members whose hash64 is in `email_hashes` (sorted),
  // in no particular order: whom to remove from the list.
  virtual Result<std::vector<std::string>> list_member_emails(
      std::int64_t activation_id, const std::vector<std::uint64_t>& email_hashes) = 0;
  // Adds `added` to the members, as added by run `run_id` (a member already
  // there keeps its run), and removes `removed` (normalised emails), in one
  // transaction, durable when it returns (an email already there, or not
  // there, is no error).
  virtual Result<void> change_list_members(std::int64_t activation_id, std::int64_t run_id,
                                           const std::vector<std::string>& added,
                                           const std::vector<std::string>& removed) = 0;
  // Whether `email` (normalised) is a member emsync added: the run that
  // added it (0 when not known: added before schema 15), nullopt when it is
  // no member. One lookup.
  virtual Result<std::optional<std::int64_t>> find_list_member(std::int64_t activation_id,
                                                               const std::string& email) = 0;
  virtual Result<std::int64_t> count_list_members(std::int64_t activation_id) = 0;
  // The Emarsys id of the activation's list as last found or created for
  // `list_ref` (config::describe), nullopt when none was saved for it.
  virtual Result<std::optional<std::int64_t>> load_list_id(std::int64_t activation_id,
                                                           const std::string& list_ref) = 0;
  // Remembers the list's id, replacing any saved for the activation.
  virtual Result<void> save_list_id(std::int64_t activation_id, const std::string& list_ref,
                                    std::int64_t list_id) = 0;

  // -- incremental reads --
  // nullopt when none was saved (a new activation, or its state was dropped).
  virtual Result<std::optional<ReadState>> load_read_state(std::int64_t activation_id) = 0;
  // Replaces the activation's read state; durable when it returns.
  virtual Result<void> save_read_state(std::int64_t activation_id, const ReadState& state) = 0;

  // -- rows a run did not settle (rejected, failed, not_found) --
  // Stores each row while its run keeps fewer than k_max_kept_rejections
  // (of every kind together), cut to the bounds above; counts the others as
  // the run's not kept. One transaction.
  virtual Result<void> add_rejections(std::int64_t activation_id,
                                      const std::vector<Rejection>& rejections) = 0;
  // At most `limit` kept rows of the activation's run `run_id` from the
  // `offset`th (0-based), only those of `kind` when it is set. A run of
  // another activation has none.
  virtual Result<RejectionPage> list_rejections(std::int64_t activation_id, std::int64_t run_id,
                                                std::optional<RowKind> kind, std::int64_t offset,
                                                int limit) = 0;

  // -- rejection streaks (parked contacts) --
  // Extends each contact's streak when code and data are the same as last
  // time, else starts it at 1.
  virtual Result<void> record_rejections(std::int64_t activation_id,
                                         const std::vector<ContactRejection>& rejections) = 0;
  // The contacts whose streak reached `min_streak`.
  virtual Result<std::vector<RejectionStreak>> list_parked(std::int64_t activation_id,
                                                           int min_streak) = 0;
  // Forgets every streak of the activation (`emsyncctl retry`); returns how many.
  virtual Result<std::int64_t> clear_rejection_streaks(std::int64_t activation_id) = 0;
  // Forgets the streaks of `emails` (normalised; one without a streak is no
  // error), in one transaction: contacts Emarsys acknowledged, and a list
  // run's that joined the list or left the model, start again at 0.
  virtual Result<void> forget_rejection_streaks(std::int64_t activation_id,
                                                const std::vector<std::string>& emails) = 0;

  // -- audit log (state-changing admin commands) --
  virtual Result<void> add_audit_entry(const AuditEntry& entry) = 0;
  // The latest `limit` entries, newest first.
  virtual Result<std::vector<AuditEntry>> list_audit_entries(int limit) = 0;
};

// Opens (creating if needed) the state DB at `path` and runs pending
// migrations. Fails with a clear message if the file is not a SQLite
// database, is corrupt, or was written by a newer emsync (user_version ahead).
Result<std::unique_ptr<StateStore>> open_state_store(const std::string& path);

}  // namespace emsync::store
