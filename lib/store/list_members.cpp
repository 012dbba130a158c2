// The members emsync added to list activations' contact lists, and their
// lists' ids (schema/014_list_members.sql); the rejection streaks a list run
// forgets (schema/005_parked.sql).
#include <algorithm>
#include <bit>
#include <string_view>

#include "core/hash.hpp"
#include "store/sqlite_state_store.hpp"

namespace emsync::store {

namespace {

// Calls `each` with every member email of the activation, a view valid
// during the call (1M members are scanned per run: no copy of each).
template <class Each>
Result<void> scan_members(Statement& list, std::int64_t activation_id, Each each) {
  list.bind_all(activation_id);
  for (;;) {
    auto row = list.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return ok();
    }
    each(list.get_text_view(0));
  }
}

std::vector<std::uint64_t> hashes_of(const std::vector<std::string>& emails) {
  std::vector<std::uint64_t> hashes;
  hashes.reserve(emails.size());
  for (const std::string& email : emails) {
    hashes.push_back(hash64(email));
  }
  return hashes;
}

}  // namespace

Result<std::vector<std::uint64_t>> SqliteStateStore::load_list_members(
    std::int64_t activation_id) {
  std::lock_guard lock(m_mutex);
  if (const std::vector<std::uint64_t>* kept = m_list_members.find(activation_id)) {
    return *kept;
  }
  std::vector<std::uint64_t> members;
  EMSYNC_TRY(scan_members(*use(Query::list_list_members), activation_id,
                          [&](std::string_view email) { members.push_back(hash64(email)); }));
  sort_hashes(members);
  // Two emails with one hash are one duplicate email to a run.
  members.erase(std::unique(members.begin(), members.end()), members.end());
  m_list_members.keep(activation_id, members);
  return members;
}

Result<std::vector<std::string>> SqliteStateStore::list_member_emails(
    std::int64_t activation_id, const std::vector<std::uint64_t>& email_hashes) {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> emails;
  if (email_hashes.empty()) {
    return emails;
  }
  // A bit per range of hashes (their top bits), set for those of
  // `email_hashes`, 64 bits or more per hash: most members' hashes fall in
  // an unset range and are not searched for (a binary search per member
  // took a third of the scan).
  const auto bits = static_cast<unsigned>(
      std::clamp<std::size_t>(std::bit_width(email_hashes.size() * 64), 6, 24));
  std::vector<std::uint64_t> ranges(std::size_t{1} << (bits - 6), 0);
  const auto range = [&](std::uint64_t hash) { return hash >> (64 - bits); };
  for (const std::uint64_t hash : email_hashes) {
    ranges[range(hash) / 64] |= std::uint64_t{1} << (range(hash) % 64);
  }
  EMSYNC_TRY(scan_members(*use(Query::list_list_members), activation_id,
                          [&](std::string_view email) {
                            const std::uint64_t hash = hash64(email);
                            if ((ranges[range(hash) / 64] >> (range(hash) % 64) & 1) != 0 &&
                                std::binary_search(email_hashes.begin(), email_hashes.end(),
                                                   hash)) {
                              emails.emplace_back(email);
                            }
                          }));
  return emails;
}

Result<void> SqliteStateStore::change_list_members(std::int64_t activation_id,
                                                   std::int64_t run_id,
                                                   const std::vector<std::string>& added,
                                                   const std::vector<std::string>& removed) {
  std::lock_guard lock(m_mutex);
  auto changed = change_list_members_locked(activation_id, run_id, added, removed);
  if (!changed) {
    m_list_members.forget(activation_id);  // committed or not, perhaps
    return changed;
  }
  m_list_members.change(activation_id, hashes_of(added), hashes_of(removed));
  return ok();
}

Result<void> SqliteStateStore::change_list_members_locked(std::int64_t activation_id,
                                                          std::int64_t run_id,
                                                          const std::vector<std::string>& added,
                                                          const std::vector<std::string>& removed) {
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  auto insert = use(Query::insert_list_member);
  for (const std::string& email : added) {
    insert->bind_all(activation_id, email, run_id);
    EMSYNC_TRY(insert->run());
    insert->reset();
  }
  auto remove = use(Query::delete_list_member);
  for (const std::string& email : removed) {
    remove->bind_all(activation_id, email);
    EMSYNC_TRY(remove->run());
    remove->reset();
  }
  return transaction->commit();
}

Result<std::optional<std::int64_t>> SqliteStateStore::find_list_member(
    std::int64_t activation_id, const std::string& email) {
  std::lock_guard lock(m_mutex);
  auto find = use(Query::find_list_member);
  find->bind_all(activation_id, email);
  auto row = find->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return std::optional<std::int64_t>();
  }
  return std::optional<std::int64_t>(find->get_optional_int64(0).value_or(0));
}

Result<std::int64_t> SqliteStateStore::count_list_members(std::int64_t activation_id) {
  std::lock_guard lock(m_mutex);
  auto count = use(Query::count_list_members);
  count->bind_all(activation_id);
  auto row = count->step();
  if (!row) {
    return row.error();
  }
  return count->get_int64(0);
}

Result<std::optional<std::int64_t>> SqliteStateStore::load_list_id(std::int64_t activation_id,
                                                                   const std::string& list_ref) {
  std::lock_guard lock(m_mutex);
  auto load = use(Query::load_list_id);
  load->bind_all(activation_id, list_ref);
  auto row = load->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return std::optional<std::int64_t>();
  }
  return load->get_optional_int64(0);
}

Result<void> SqliteStateStore::save_list_id(std::int64_t activation_id,
                                            const std::string& list_ref, std::int64_t list_id) {
  std::lock_guard lock(m_mutex);
  auto save = use(Query::save_list_id);
  save->bind_all(activation_id, list_ref, list_id);
  return save->run();
}

Result<void> SqliteStateStore::forget_rejection_streaks(std::int64_t activation_id,
                                                        const std::vector<std::string>& emails) {
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  auto forget = use(Query::forget_rejection_streak);
  for (const std::string& email : emails) {
    forget->bind_all(activation_id, email);
    EMSYNC_TRY(forget->run());
    forget->reset();
  }
  return transaction->commit();
}

Result<void> SqliteStateStore::drop_list_state_locked(std::int64_t activation_id) {
  m_list_members.forget(activation_id);
  for (const Query query : {Query::delete_list_members, Query::delete_list_state}) {
    auto drop = use(query);
    drop->bind_all(activation_id);
    EMSYNC_TRY(drop->run());
  }
  return ok();
}

}  // namespace emsync::store
