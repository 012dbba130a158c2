// The StateStore on SQLite (internal to lib/store). Methods are split by
// topic: activations in activations.cpp, runs and read states in
// state_store.cpp, contact state and rejections in contact_state.cpp (its
// stored form in contact_codec.cpp), list members in list_members.cpp, the
// audit log in audit_log.cpp; the SQL
// is in queries.cpp.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "store/contact_codec.hpp"
#include "store/member_cache.hpp"
#include "store/queries.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"

namespace emsync::store {

// A contact in an activation's contact log, as SqliteStateStore follows it.
struct LoggedContact {
  std::uint64_t email_hash = 0;
  std::int64_t seq = 0;  // of its latest log entry
  std::uint64_t contact_hash = 0;
};

// What one connection appended to an activation's contact log since the log
// was last seen empty.
struct LogMirror {
  std::vector<LoggedContact> contacts;  // sorted by email hash, latest entries
  std::int64_t entries = 0;             // log rows, superseded ones too
  std::int64_t last_seq = 0;
  bool verified = true;  // false after another connection committed: count again
};

// The member hashes SqliteStateStore keeps between runs, of all list
// activations (8 bytes each: 32 MiB).
inline constexpr std::size_t k_max_cached_list_members = std::size_t{1} << 22;

class SqliteStateStore final : public StateStore {
 public:
  // Prepares every statement of queries.cpp on `db`, which must be migrated.
  static Result<std::unique_ptr<StateStore>> create(Db db);

  Result<void> apply_activations(const std::vector<config::Activation>& activations) override;
  Result<std::vector<ActivationRecord>> list_activations() override;
  Result<std::optional<ActivationRecord>> find_activation(const std::string& name) override;
  Result<bool> delete_activation(const std::string& name) override;
  Result<bool> set_paused(const std::string& name, bool paused) override;
  Result<int> record_run_health(const std::string& name, bool needs_attention) override;
  Result<void> set_auto_paused(const std::string& name,
                               const std::optional<std::string>& reason) override;

  Result<std::int64_t> create_run(std::int64_t activation_id, bool full,
                                  UnixMillis queued_at) override;
  Result<void> start_run(std::int64_t run_id, UnixMillis started_at) override;
  Result<void> update_run_counts(std::int64_t run_id, const RunCounts& counts) override;
  Result<void> finish_run(std::int64_t run_id, RunStatus status, const RunCounts& counts,
                          UnixMillis finished_at, const std::optional<std::string>& error) override;
  Result<void> set_run_warnings(std::int64_t run_id,
                                const std::vector<std::string>& warnings) override;
  Result<void> set_run_read(std::int64_t run_id, const RunRead& read) override;
  Result<std::vector<RunRecord>> list_runs(std::int64_t activation_id, int limit) override;
  Result<std::optional<RunRecord>> find_run(std::int64_t run_id) override;
  Result<int> mark_unfinished_runs_interrupted(UnixMillis now) override;
  Result<PrunedRuns> prune_runs(UnixMillis finished_before, int max_runs,
                                std::int64_t max_rejections) override;

  Result<std::vector<std::optional<ContactState>>> load_contacts(
      std::int64_t activation_id, const std::vector<std::string>& emails) override;
  Result<void> commit_contacts(std::int64_t activation_id,
                               const std::vector<ContactUpdate>& contacts) override;
  Result<std::vector<ContactDigest>> load_contact_digests(std::int64_t activation_id,
                                                          std::size_t expected) override;
  Result<std::int64_t> drop_contacts(std::int64_t activation_id,
                                     const std::vector<std::uint64_t>& email_hashes) override;
  Result<std::int64_t> count_contacts(std::int64_t activation_id) override;

  Result<std::vector<std::uint64_t>> load_list_members(std::int64_t activation_id) override;
  Result<std::vector<std::string>> list_member_emails(
      std::int64_t activation_id, const std::vector<std::uint64_t>& email_hashes) override;
  Result<std::optional<std::int64_t>> find_list_member(std::int64_t activation_id,
                                                       const std::string& email) override;
  Result<void> change_list_members(std::int64_t activation_id, std::int64_t run_id,
                                   const std::vector<std::string>& added,
                                   const std::vector<std::string>& removed) override;
  Result<std::int64_t> count_list_members(std::int64_t activation_id) override;
  Result<std::optional<std::int64_t>> load_list_id(std::int64_t activation_id,
                                                   const std::string& list_ref) override;
  Result<void> save_list_id(std::int64_t activation_id, const std::string& list_ref,
                            std::int64_t list_id) override;

  Result<std::optional<ReadState>> load_read_state(std::int64_t activation_id) override;
  Result<void> save_read_state(std::int64_t activation_id, const ReadState& state) override;

  Result<void> add_rejections(std::int64_t activation_id,
                              const std::vector<Rejection>& rejections) override;
  Result<RejectionPage> list_rejections(std::int64_t activation_id, std::int64_t run_id,
                                        std::optional<RowKind> kind, std::int64_t offset,
                                        int limit) override;

  Result<void> record_rejections(std::int64_t activation_id,
                                 const std::vector<ContactRejection>& rejections) override;
  Result<std::vector<RejectionStreak>> list_parked(std::int64_t activation_id,
                                                   int min_streak) override;
  Result<std::int64_t> clear_rejection_streaks(std::int64_t activation_id) override;
  Result<void> forget_rejection_streaks(std::int64_t activation_id,
                                        const std::vector<std::string>& emails) override;

  Result<void> add_audit_entry(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> list_audit_entries(int limit) override;

 private:
  SqliteStateStore(Db db, std::vector<Statement> statements);

  // The field slots of `activation_id`, as committed: cached, and read from
  // the database when not cached or when another connection committed.
  // REQUIRES: m_mutex held.
  Result<FieldSlots*> field_slots_locked(std::int64_t activation_id);
  // Drops the caches when another connection committed since the last
  // check. REQUIRES: m_mutex held.
  Result<void> check_other_writers_locked();
  // Folds the activation's contact log into contact_state and empties it, in
  // one transaction of its own (nothing to do when the log is empty).
  // REQUIRES: m_mutex held, no transaction open.
  // Deletes the activation's log rows (in slices: memory stays flat).
  Result<void> delete_contact_log_locked(std::int64_t activation_id);
  Result<void> fold_contact_log_locked(std::int64_t activation_id);
  Result<void> shrink_wal_locked();
  // The mirror of the activation's contact log (see m_logged); nullptr when
  // what the log holds is not known. After another connection committed,
  // checks that the log still holds only what the mirror says.
  // REQUIRES: m_mutex held.
  Result<LogMirror*> followed_log_locked(std::int64_t activation_id);
  // Runs `read` in one read transaction with the mirror of the activation's
  // contact log, folding the log first when what it holds is not known.
  // REQUIRES: m_mutex held, no transaction open.
  Result<void> read_with_log_locked(std::int64_t activation_id,
                                    const std::function<Result<void>(const LogMirror&)>& read);
  // The stored states of `emails`, from the log for those in `logged`.
  // REQUIRES: m_mutex held, a read transaction open.
  Result<std::vector<std::optional<ContactState>>> read_contact_states_locked(
      std::int64_t activation_id, const std::vector<std::string>& emails,
      const std::vector<LoggedContact>& logged, const FieldSlots& slots);
  // REQUIRES: m_mutex held.
  StatementUse use(Query query) { return StatementUse(m_statements[static_cast<int>(query)]); }
  Result<void> upsert_activation(const config::Activation& activation, UnixMillis now);
  // Drops the activation's list members and list id. REQUIRES: m_mutex held.
  Result<void> drop_list_state_locked(std::int64_t activation_id);
  // change_list_members() in the state DB alone. REQUIRES: m_mutex held.
  Result<void> change_list_members_locked(std::int64_t activation_id, std::int64_t run_id,
                                          const std::vector<std::string>& added,
                                          const std::vector<std::string>& removed);
  Result<std::vector<RunRecord>> read_runs(Statement& statement);

  // Every member is guarded by m_mutex: a connection serves one call at a time.
  std::mutex m_mutex;
  Db m_db;
  std::vector<Statement> m_statements;  // indexed by Query
  // Field slots by activation id. Only ever what the database holds: an
  // entry is dropped whenever its slots may change other than by a
  // committed commit_contacts() (a rollback, a dropped contact state).
  std::unordered_map<std::int64_t, FieldSlots> m_field_slots;
  // What this connection appended to each activation's contact log since
  // the log was last seen empty (sorted by email hash, the latest entry of
  // each contact): the log holds nothing else, so lookups and the digest
  // load read through it, and the log is folded into contact_state only
  // once it is large. A fold rewrites pages all over contact_state: after
  // every run it cost a 1% change of 1M contacts 0.25 s. No entry when what
  // the log holds is not known (log rows of a crashed run or of another
  // connection, or more than k_max_logged contacts logged): the log is then
  // folded before it is read. Another connection's commit (the health
  // probe's, every 10 s) only has the mirror checked against the log again.
  std::unordered_map<std::int64_t, LogMirror> m_logged;
  std::optional<std::int64_t> m_data_version;  // when the caches were last checked
  // List activations' member hashes between runs (member_cache.hpp), at most
  // k_max_cached_list_members in all.
  MemberCache m_list_members{k_max_cached_list_members};
};

}  // namespace emsync::store
