// CommitFailingStore: a StateStore passed through whose batch commits fail on
// demand (run_fixture.hpp: a crash between send and commit).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/state_store.hpp"

namespace emsync::sync::test {

// The state store, passed through, whose commit_contacts() and
// change_list_members() fail while `fail_commits` is set (a disk that filled
// up between send and commit).
class CommitFailingStore final : public store::StateStore {
 public:
  explicit CommitFailingStore(std::unique_ptr<store::StateStore> inner)
      : m_inner(std::move(inner)) {}

  std::atomic<bool> fail_commits{false};

  Result<void> commit_contacts(std::int64_t activation_id,
                               const std::vector<store::ContactUpdate>& contacts) override {
    if (fail_commits) {
      return make_error(Errc::state_error, "state DB commit failed: disk I/O error (test)");
    }
    return m_inner->commit_contacts(activation_id, contacts);
  }

  Result<void> change_list_members(std::int64_t activation_id, std::int64_t run_id,
                                   const std::vector<std::string>& added,
                                   const std::vector<std::string>& removed) override {
    if (fail_commits) {
      return make_error(Errc::state_error, "state DB commit failed: disk I/O error (test)");
    }
    return m_inner->change_list_members(activation_id, run_id, added, removed);
  }

  // Everything else as the store does it.
  Result<std::vector<std::uint64_t>> load_list_members(std::int64_t id) override {
    return m_inner->load_list_members(id);
  }
  Result<std::vector<std::string>> list_member_emails(
      std::int64_t id, const std::vector<std::uint64_t>& hashes) override {
    return m_inner->list_member_emails(id, hashes);
  }
  Result<std::int64_t> count_list_members(std::int64_t id) override {
    return m_inner->count_list_members(id);
  }
  Result<std::optional<std::int64_t>> load_list_id(std::int64_t id,
                                                   const std::string& ref) override {
    return m_inner->load_list_id(id, ref);
  }
  Result<void> save_list_id(std::int64_t id, const std::string& ref, std::int64_t list) override {
    return m_inner->save_list_id(id, ref, list);
  }
  Result<void> apply_activations(const std::vector<config::Activation>& a) override {
    return m_inner->apply_activations(a);
  }
  Result<std::vector<store::ActivationRecord>> list_activations() override {
    return m_inner->list_activations();
  }
  Result<std::optional<store::ActivationRecord>> find_activation(const std::string& n) override {
    return m_inner->find_activation(n);
  }
  Result<bool> delete_activation(const std::string& n) override {
    return m_inner->delete_activation(n);
  }
  Result<bool> set_paused(const std::string& n, bool p) override {
    return m_inner->set_paused(n, p);
  }
  Result<int> record_run_health(const std::string& n, bool attention) override {
    return m_inner->record_run_health(n, attention);
  }
  Result<void> set_auto_paused(const std::string& n,
                               const std::optional<std::string>& reason) override {
    return m_inner->set_auto_paused(n, reason);
  }
  Result<std::int64_t> create_run(std::int64_t id, bool full, UnixMillis at) override {
    return m_inner->create_run(id, full, at);
  }
  Result<void> start_run(std::int64_t run, UnixMillis at) override {
    return m_inner->start_run(run, at);
  }
  Result<void> update_run_counts(std::int64_t run, const store::RunCounts& c) override {
    return m_inner->update_run_counts(run, c);
  }
  Result<void> finish_run(std::int64_t run, store::RunStatus s, const store::RunCounts& c,
                          UnixMillis at, const std::optional<std::string>& error) override {
    return m_inner->finish_run(run, s, c, at, error);
  }
  Result<void> set_run_warnings(std::int64_t run, const std::vector<std::string>& warnings) override {
    return m_inner->set_run_warnings(run, warnings);
  }
  Result<void> set_run_read(std::int64_t run, const store::RunRead& read) override {
    return m_inner->set_run_read(run, read);
  }
  Result<std::optional<store::ReadState>> load_read_state(std::int64_t id) override {
    return m_inner->load_read_state(id);
  }
  Result<void> save_read_state(std::int64_t id, const store::ReadState& state) override {
    return m_inner->save_read_state(id, state);
  }
  Result<std::vector<store::RunRecord>> list_runs(std::int64_t id, int limit) override {
    return m_inner->list_runs(id, limit);
  }
  Result<std::optional<store::RunRecord>> find_run(std::int64_t run) override {
    return m_inner->find_run(run);
  }
  Result<int> mark_unfinished_runs_interrupted(UnixMillis now) override {
    return m_inner->mark_unfinished_runs_interrupted(now);
  }
  Result<store::PrunedRuns> prune_runs(UnixMillis before, int runs, std::int64_t rows) override {
    return m_inner->prune_runs(before, runs, rows);
  }
  Result<std::vector<std::optional<store::ContactState>>> load_contacts(
      std::int64_t id, const std::vector<std::string>& emails) override {
    return m_inner->load_contacts(id, emails);
  }
  Result<std::vector<store::ContactDigest>> load_contact_digests(std::int64_t id,
                                                                 std::size_t expected) override {
    return m_inner->load_contact_digests(id, expected);
  }
  Result<std::int64_t> drop_contacts(std::int64_t id,
                                     const std::vector<std::uint64_t>& hashes) override {
    return m_inner->drop_contacts(id, hashes);
  }
  Result<std::int64_t> count_contacts(std::int64_t id) override {
    return m_inner->count_contacts(id);
  }
  Result<void> add_rejections(std::int64_t id, const std::vector<store::Rejection>& r) override {
    return m_inner->add_rejections(id, r);
  }
  Result<store::RejectionPage> list_rejections(std::int64_t id, std::int64_t run,
                                               std::optional<store::RowKind> kind,
                                               std::int64_t offset, int limit) override {
    return m_inner->list_rejections(id, run, kind, offset, limit);
  }
  Result<void> record_rejections(std::int64_t id,
                                 const std::vector<store::ContactRejection>& r) override {
    return m_inner->record_rejections(id, r);
  }
  Result<std::vector<store::RejectionStreak>> list_parked(std::int64_t id, int streak) override {
    return m_inner->list_parked(id, streak);
  }
  Result<std::int64_t> clear_rejection_streaks(std::int64_t id) override {
    return m_inner->clear_rejection_streaks(id);
  }
  Result<std::optional<std::int64_t>> find_list_member(std::int64_t id,
                                                       const std::string& email) override {
    return m_inner->find_list_member(id, email);
  }
  Result<void> forget_rejection_streaks(std::int64_t id,
                                        const std::vector<std::string>& emails) override {
    return m_inner->forget_rejection_streaks(id, emails);
  }
  Result<void> add_audit_entry(const store::AuditEntry& entry) override {
    return m_inner->add_audit_entry(entry);
  }
  Result<std::vector<store::AuditEntry>> list_audit_entries(int limit) override {
    return m_inner->list_audit_entries(limit);
  }

 private:
  std::unique_ptr<store::StateStore> m_inner;
};

}  // namespace emsync::sync::test
