// Contact state (change detection) and rejected rows. The stored form of a
// contact's state is in contact_codec.cpp.
#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "core/hash.hpp"
#include "core/memory.hpp"
#include "store/sqlite_state_store.hpp"

namespace emsync::store {
namespace {

// The most contacts m_logged tracks per activation (8 bytes each): past it,
// the next lookup of a stored contact folds the log (a run whose lookups
// interleave with its commits folds about every k_max_tracked contacts).
constexpr std::size_t k_max_tracked = std::size_t{1} << 16;

std::int64_t email_key(const std::string& email) {
  return std::bit_cast<std::int64_t>(hash64(email));
}

}  // namespace

Result<void> SqliteStateStore::check_other_writers_locked() {
  auto version = use(Query::data_version);
  auto row = version->step();
  if (!row) {
    return row.error();
  }
  if (m_data_version != version->get_int64(0)) {
    m_field_slots.clear();
    m_logged.clear();
    m_data_version = version->get_int64(0);
  }
  return ok();
}

Result<void> SqliteStateStore::delete_contact_log_locked(std::int64_t activation_id) {
  do {
    auto remove = use(Query::delete_logged_contacts);
    remove->bind_all(activation_id);
    EMSYNC_TRY(remove->run());
  } while (m_db.changes() > 0);
  return ok();
}

Result<void> SqliteStateStore::fold_contact_log_locked(std::int64_t activation_id) {
  auto folded = [&]() -> Result<void> {
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
      return transaction.error();
    }
    EMSYNC_TRY(check_other_writers_locked());
    auto any = use(Query::has_logged_contacts);
    any->bind_all(activation_id);
    auto row = any->step();
    if (!row) {
      return row.error();
    }
    if (any->get_int64(0) != 0) {
      auto fold = use(Query::fold_logged_contacts);
      fold->bind_all(activation_id);
      EMSYNC_TRY(fold->run());
      EMSYNC_TRY(delete_contact_log_locked(activation_id));
      EMSYNC_TRY(use(Query::free_pages)->run());
    }
    return transaction->commit();
  }();
  if (!folded) {
    m_logged.erase(activation_id);
    return make_error(Errc::state_error,
                      "cannot fold the logged contact state of activation " +
                          std::to_string(activation_id) + ": " + folded.error().message +
                          " (nothing was lost: the log is folded again on the next call; if "
                          "this persists, check the state DB's disk)");
  }
  m_logged[activation_id].clear();  // the log is empty now
  return ok();
}

Result<bool> SqliteStateStore::may_be_logged_locked(std::int64_t activation_id,
                                                    const std::vector<std::string>& emails) {
  if (emails.empty()) {
    return false;
  }
  EMSYNC_TRY(check_other_writers_locked());
  const auto tracked = m_logged.find(activation_id);
  if (tracked != m_logged.end()) {
    const std::vector<std::uint64_t>& logged = tracked->second;
    return !logged.empty() && std::any_of(emails.begin(), emails.end(), [&](const auto& email) {
      return std::binary_search(logged.begin(), logged.end(), hash64(email));
    });
  }
  auto any = use(Query::has_logged_contacts);
  any->bind_all(activation_id);
  auto row = any->step();
  if (!row) {
    return row.error();
  }
  if (any->get_int64(0) == 0) {
    m_logged[activation_id].clear();  // empty: track from here
    return false;
  }
  return true;
}

Result<FieldSlots*> SqliteStateStore::field_slots_locked(std::int64_t activation_id) {
  EMSYNC_TRY(check_other_writers_locked());
  auto cached = m_field_slots.find(activation_id);
  if (cached == m_field_slots.end()) {
    auto load = use(Query::load_state_fields);
    auto slots = load_field_slots(*load, activation_id);
    if (!slots) {
      return slots.error();
    }
    cached = m_field_slots.emplace(activation_id, std::move(*slots)).first;
  }
  return &cached->second;
}

Result<std::vector<std::optional<ContactState>>> SqliteStateStore::load_contacts(
    std::int64_t activation_id, const std::vector<std::string>& emails) {
  std::lock_guard lock(m_mutex);
  auto logged = may_be_logged_locked(activation_id, emails);
  if (!logged) {
    return logged.error();
  }
  if (*logged) {
    EMSYNC_TRY(fold_contact_log_locked(activation_id));
  }
  // One read transaction for all: in autocommit mode each lookup would open
  // and close its own WAL snapshot, which costs more than the lookup itself.
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  auto slots = field_slots_locked(activation_id);
  if (!slots) {
    return slots.error();
  }
  StateCodec codec;
  std::vector<std::optional<ContactState>> states;
  states.reserve(emails.size());
  auto load = use(Query::load_contact);
  for (const auto& email : emails) {
    load->bind_all(activation_id, email_key(email));
    auto row = load->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      states.emplace_back();
    } else {
      auto state = codec.decode(load->get_blob(0), **slots);
      if (!state) {
        return damaged_state(activation_id, "a malformed state, or one naming an unknown field");
      }
      states.push_back(std::move(state));
    }
    load->reset();
  }
  EMSYNC_TRY(transaction->commit());
  return states;
}

Result<void> SqliteStateStore::commit_contacts(std::int64_t activation_id,
                                               const std::vector<ContactUpdate>& contacts) {
  std::lock_guard lock(m_mutex);
  std::vector<std::uint64_t> hashes;
  hashes.reserve(contacts.size());
  auto committed = [&]() -> Result<void> {
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
      return transaction.error();
    }
    auto slots = field_slots_locked(activation_id);
    if (!slots) {
      return slots.error();
    }
    StateCodec codec;  // one set of buffers for the whole batch
    std::vector<std::uint32_t> added;
    for (const ContactUpdate& contact : contacts) {
      added.clear();
      EMSYNC_TRY(codec.encode(contact.state, **slots, added));
      if (!added.empty()) {
        auto insert = use(Query::insert_state_field);
        EMSYNC_TRY(insert_slots(*insert, activation_id, **slots, added));
      }
      hashes.push_back(hash64(contact.email));
      auto append = use(Query::append_contact);
      append->bind_all(activation_id, std::bit_cast<std::int64_t>(hashes.back()), codec.blob());
      EMSYNC_TRY(append->run());
    }
    return transaction->commit();
  }();
  if (!committed) {
    // Slots given out above were rolled back with the transaction.
    m_field_slots.erase(activation_id);
    return make_error(Errc::state_error, "cannot store the contact state of activation " +
                                             std::to_string(activation_id) + ": " +
                                             committed.error().message);
  }
  const auto tracked = m_logged.find(activation_id);
  if (tracked != m_logged.end()) {
    std::vector<std::uint64_t>& logged = tracked->second;
    if (logged.size() + hashes.size() > k_max_tracked) {
      m_logged.erase(tracked);
    } else {
      std::sort(hashes.begin(), hashes.end());
      const auto middle = logged.insert(logged.end(), hashes.begin(), hashes.end());
      std::inplace_merge(logged.begin(), middle, logged.end());
    }
  }
  return ok();
}

Result<std::vector<ContactDigest>> SqliteStateStore::load_contact_digests(
    std::int64_t activation_id, std::size_t expected) {
  std::lock_guard lock(m_mutex);
  EMSYNC_TRY(fold_contact_log_locked(activation_id));
  auto transaction = Transaction::begin(m_db);  // both ranges from one snapshot
  if (!transaction) {
    return transaction.error();
  }
  std::vector<ContactDigest> digests;
  digests.reserve(expected);
  prefer_huge_pages(digests.data(), digests.capacity() * sizeof(ContactDigest));  // searched at random
  auto list = use(Query::list_contact_digests);
  // Email hashes are stored as signed integers: in unsigned order, the
  // non-negative ones come first. Each range is read in primary key order.
  constexpr std::pair<std::int64_t, std::int64_t> k_ranges[] = {
      {0, std::numeric_limits<std::int64_t>::max()},
      {std::numeric_limits<std::int64_t>::min(), -1}};
  for (const auto& [low, high] : k_ranges) {
    list->bind_all(activation_id, low, high);
    for (;;) {
      auto row = list->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      const std::optional<std::uint64_t> contact_hash = stored_contact_hash(list->get_blob(1));
      if (!contact_hash) {
        return damaged_state(activation_id, "a state shorter than its contact hash");
      }
      digests.push_back({std::bit_cast<std::uint64_t>(list->get_int64(0)), *contact_hash});
    }
    list->reset();
  }
  EMSYNC_TRY(transaction->commit());
  return digests;
}

Result<std::int64_t> SqliteStateStore::drop_contacts(
    std::int64_t activation_id, const std::vector<std::uint64_t>& email_hashes) {
  std::lock_guard lock(m_mutex);
  EMSYNC_TRY(fold_contact_log_locked(activation_id));
  if (email_hashes.empty()) {
    return 0;
  }
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  std::int64_t dropped = 0;
  auto remove = use(Query::delete_contact);
  for (const std::uint64_t email_hash : email_hashes) {
    remove->bind_all(activation_id, std::bit_cast<std::int64_t>(email_hash));
    EMSYNC_TRY(remove->run());
    dropped += m_db.changes();
    remove->reset();
  }
  EMSYNC_TRY(transaction->commit());
  return dropped;
}

Result<std::int64_t> SqliteStateStore::count_contacts(std::int64_t activation_id) {
  std::lock_guard lock(m_mutex);
  auto count = use(Query::count_contacts);
  count->bind_all(activation_id);
  auto row = count->step();
  if (!row) {
    return row.error();
  }
  return count->get_int64(0);
}

Result<void> SqliteStateStore::add_rejections(std::int64_t activation_id,
                                              const std::vector<Rejection>& rejections) {
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  for (const Rejection& rejection : rejections) {
    auto insert = use(Query::insert_rejection);
    insert->bind_all(activation_id, rejection.run_id, rejection.row_key, rejection.code,
                     rejection.message);
    EMSYNC_TRY(insert->run());
  }
  return transaction->commit();
}

Result<std::vector<Rejection>> SqliteStateStore::list_rejections(
    std::int64_t activation_id, std::optional<std::int64_t> run_id) {
  std::lock_guard lock(m_mutex);
  auto list = use(Query::list_rejections);
  list->bind_all(activation_id, run_id);
  return read_rows<Rejection>(*list, [](const Statement& row) {
    return Rejection{row.get_int64(0), row.get_text(1), row.get_text(2), row.get_text(3)};
  });
}

}  // namespace emsync::store

namespace emsync::store {

Result<void> SqliteStateStore::record_rejections(std::int64_t activation_id,
                                                 const std::vector<ContactRejection>& rejections) {
  if (rejections.empty()) {
    return ok();
  }
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  for (const ContactRejection& rejection : rejections) {
    auto upsert = use(Query::record_rejection);
    upsert->bind_all(activation_id, rejection.email, rejection.code,
                     std::bit_cast<std::int64_t>(rejection.contact_hash));
    EMSYNC_TRY(upsert->run());
  }
  return transaction->commit();
}

Result<std::vector<RejectionStreak>> SqliteStateStore::list_parked(std::int64_t activation_id,
                                                                   int min_streak) {
  std::lock_guard lock(m_mutex);
  auto list = use(Query::list_parked);
  list->bind_all(activation_id, std::int64_t{min_streak});
  return read_rows<RejectionStreak>(*list, [](const Statement& row) {
    return RejectionStreak{row.get_text(0), row.get_text(1),
                           std::bit_cast<std::uint64_t>(row.get_int64(2)),
                           static_cast<int>(row.get_int64(3))};
  });
}

Result<std::int64_t> SqliteStateStore::clear_rejection_streaks(std::int64_t activation_id) {
  std::lock_guard lock(m_mutex);
  auto remove = use(Query::clear_rejection_streaks);
  remove->bind_all(activation_id);
  EMSYNC_TRY(remove->run());
  return m_db.changes();
}

}  // namespace emsync::store
