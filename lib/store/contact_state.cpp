// Contact state (change detection) and rejected rows. The stored form of a
// contact's state is in contact_codec.cpp.
#include <algorithm>
#include <bit>
#include <limits>
#include <map>
#include <utility>

#include "core/hash.hpp"
#include "core/memory.hpp"
#include "core/quote.hpp"
#include "store/sqlite_state_store.hpp"

namespace emsync::store {
namespace {

// The most contacts m_logged follows per activation (24 bytes each): past
// it, the log is folded at the next digest load or end of a run.
constexpr std::size_t k_max_logged = std::size_t{1} << 16;

bool by_email_hash(const LoggedContact& a, const LoggedContact& b) {
  return a.email_hash < b.email_hash;
}

// Adds a commit's contacts to what the log is known to hold: the latest
// entry of each contact (a later seq replaces an earlier one).
void follow_logged(LogMirror& mirror, std::vector<LoggedContact> added) {
  mirror.entries += static_cast<std::int64_t>(added.size());
  mirror.last_seq = added.empty() ? mirror.last_seq : added.back().seq;
  std::vector<LoggedContact>& logged = mirror.contacts;
  std::stable_sort(added.begin(), added.end(), by_email_hash);  // seqs ascend within a hash
  std::vector<LoggedContact> merged;
  merged.reserve(logged.size() + added.size());
  auto old = logged.begin();
  for (auto it = added.begin(); it != added.end(); ++it) {
    if (std::next(it) != added.end() && std::next(it)->email_hash == it->email_hash) {
      continue;  // a later entry of the same contact follows
    }
    while (old != logged.end() && old->email_hash < it->email_hash) {
      merged.push_back(*old++);
    }
    if (old != logged.end() && old->email_hash == it->email_hash) {
      ++old;  // replaced
    }
    merged.push_back(*it);
  }
  merged.insert(merged.end(), old, logged.end());
  logged = std::move(merged);
}

// Puts the logged contacts' digests over `digests` (both sorted by email
// hash), in place: the vector grows only by the contacts new in the log.
void overlay_logged(std::vector<ContactDigest>& digests, const std::vector<LoggedContact>& logged) {
  const auto by_hash = [](const ContactDigest& digest, std::uint64_t hash) {
    return digest.email_hash < hash;
  };
  std::size_t added = 0;
  for (const LoggedContact& contact : logged) {
    const auto it = std::lower_bound(digests.begin(), digests.end(), contact.email_hash, by_hash);
    if (it != digests.end() && it->email_hash == contact.email_hash) {
      it->contact_hash = contact.contact_hash;
    } else {
      ++added;
    }
  }
  if (added == 0) {
    return;
  }
  // Merged from the back: each new contact moves the stored ones above it.
  std::size_t stored = digests.size();
  digests.resize(stored + added);
  std::size_t out = digests.size();
  for (auto contact = logged.rbegin(); contact != logged.rend(); ++contact) {
    while (stored > 0 && digests[stored - 1].email_hash > contact->email_hash) {
      digests[--out] = digests[--stored];
    }
    if (stored > 0 && digests[stored - 1].email_hash == contact->email_hash) {
      continue;  // already in place, its hash replaced above
    }
    digests[--out] = {contact->email_hash, contact->contact_hash};
  }
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
    for (auto& [activation_id, mirror] : m_logged) {
      mirror.verified = false;
    }
    m_data_version = version->get_int64(0);
  }
  return ok();
}

Result<void> SqliteStateStore::delete_contact_log_locked(std::int64_t activation_id) {
  auto only = use(Query::log_is_only_of);
  only->bind_all(activation_id);
  auto row = only->step();
  if (!row) {
    return row.error();
  }
  if (only->get_int64(0) != 0) {
    return use(Query::clear_contact_log)->run();
  }
  do {
    auto remove = use(Query::delete_logged_contacts);
    remove->bind_all(activation_id);
    EMSYNC_TRY(remove->run());
  } while (m_db.changes() > 0);
  return ok();
}

Result<void> SqliteStateStore::fold_contact_log_locked(std::int64_t activation_id) {
  bool wrote = false;
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
      wrote = true;
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
  m_logged[activation_id] = LogMirror();  // the log is empty now
  return wrote ? shrink_wal_locked() : ok();
}

// A fold writes every contact_state page it touches to the WAL in one
// transaction: after a first run of 1M contacts, ~200 MB that SQLite would
// reuse but keep on disk. Truncating it keeps the state DB within issue 19's
// 100 bytes per contact on disk between runs; journal_size_limit
// (state_store.cpp) bounds the WAL when a reader makes this wait.
Result<void> SqliteStateStore::shrink_wal_locked() {
  auto truncated = m_db.checkpoint_truncate();
  if (!truncated) {
    return make_error(Errc::state_error, "cannot checkpoint the state DB's WAL after folding the "
                                         "contact log: " + truncated.error().message +
                                         " (nothing was lost; check the state DB's disk)");
  }
  return ok();
}

Result<LogMirror*> SqliteStateStore::followed_log_locked(std::int64_t activation_id) {
  EMSYNC_TRY(check_other_writers_locked());
  const auto mirror = m_logged.find(activation_id);
  if (mirror == m_logged.end()) {
    return nullptr;
  }
  if (!mirror->second.verified) {
    auto count = use(Query::count_log_entries);
    count->bind_all(activation_id);
    auto row = count->step();
    if (!row) {
      return row.error();
    }
    if (count->get_int64(0) != mirror->second.entries ||
        count->get_int64(1) != mirror->second.last_seq) {
      m_logged.erase(mirror);  // another connection logged or folded
      return nullptr;
    }
    mirror->second.verified = true;
  }
  return &mirror->second;
}

Result<void> SqliteStateStore::read_with_log_locked(
    std::int64_t activation_id, const std::function<Result<void>(const LogMirror&)>& read) {
  // Checked before the transaction (a fold opens its own) and again in it:
  // another connection may commit in between.
  for (int attempt = 1;; ++attempt) {
    auto mirror = followed_log_locked(activation_id);
    if (!mirror) {
      return mirror.error();
    }
    if (*mirror == nullptr) {
      EMSYNC_TRY(fold_contact_log_locked(activation_id));
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
      return transaction.error();
    }
    mirror = followed_log_locked(activation_id);
    if (!mirror) {
      return mirror.error();
    }
    if (*mirror != nullptr) {
      EMSYNC_TRY(read(**mirror));
      return transaction->commit();
    }
    EMSYNC_TRY(transaction->commit());
    if (attempt == 3) {
      return make_error(Errc::state_error,
                        "another process keeps writing to the state DB while activation " +
                            std::to_string(activation_id) +
                            " reads it (only one emsyncd may use a state DB)");
    }
  }
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
  // One read transaction for all: in autocommit mode each lookup would open
  // and close its own WAL snapshot, which costs more than the lookup itself.
  std::vector<std::optional<ContactState>> states;
  EMSYNC_TRY(read_with_log_locked(activation_id, [&](const LogMirror& log) -> Result<void> {
    auto slots = field_slots_locked(activation_id);
    if (!slots) {
      return slots.error();
    }
    auto read = read_contact_states_locked(activation_id, emails, log.contacts, **slots);
    if (!read) {
      return read.error();
    }
    states = std::move(*read);
    return ok();
  }));
  return states;
}

Result<std::vector<std::optional<ContactState>>> SqliteStateStore::read_contact_states_locked(
    std::int64_t activation_id, const std::vector<std::string>& emails,
    const std::vector<LoggedContact>& logged, const FieldSlots& slots) {
  StateCodec codec;
  std::vector<std::optional<ContactState>> states;
  states.reserve(emails.size());
  auto stored = use(Query::load_contact);
  auto in_log = use(Query::load_logged_contact);
  for (const auto& email : emails) {
    const std::uint64_t email_hash = hash64(email);
    const auto entry = std::lower_bound(
        logged.begin(), logged.end(), email_hash,
        [](const LoggedContact& contact, std::uint64_t hash) { return contact.email_hash < hash; });
    const bool logged_here = entry != logged.end() && entry->email_hash == email_hash;
    Statement& load = logged_here ? *in_log : *stored;
    if (logged_here) {
      load.bind_all(entry->seq);
    } else {
      load.bind_all(activation_id, std::bit_cast<std::int64_t>(email_hash));
    }
    auto row = load.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      if (logged_here) {
        return damaged_state(activation_id, "a logged contact state is missing");
      }
      states.emplace_back();
    } else {
      auto state = codec.decode(load.get_blob(0), slots);
      if (!state) {
        return damaged_state(activation_id, "a malformed state, or one naming an unknown field");
      }
      states.push_back(std::move(state));
    }
    load.reset();
  }
  return states;
}

Result<void> SqliteStateStore::commit_contacts(std::int64_t activation_id,
                                               const std::vector<ContactUpdate>& contacts) {
  std::lock_guard lock(m_mutex);
  std::vector<LoggedContact> appended;
  appended.reserve(contacts.size());
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
      const std::uint64_t email_hash = hash64(contact.email);
      auto append = use(Query::append_contact);
      append->bind_all(activation_id, std::bit_cast<std::int64_t>(email_hash), codec.blob());
      EMSYNC_TRY(append->run());
      appended.push_back({email_hash, m_db.last_insert_rowid(), contact.state.contact_hash});
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
    if (tracked->second.contacts.size() + appended.size() > k_max_logged) {
      m_logged.erase(tracked);  // folded at the next digest load or end of a run
    } else {
      follow_logged(tracked->second, std::move(appended));
    }
  }
  return ok();
}

Result<std::vector<ContactDigest>> SqliteStateStore::load_contact_digests(
    std::int64_t activation_id, std::size_t expected) {
  std::lock_guard lock(m_mutex);
  std::vector<ContactDigest> digests;
  EMSYNC_TRY(read_with_log_locked(activation_id, [&](const LogMirror& log) -> Result<void> {
    digests.reserve(std::max(expected, log.contacts.size()));
    // Searched at random.
    prefer_huge_pages(digests.data(), digests.capacity() * sizeof(ContactDigest));
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
    overlay_logged(digests, log.contacts);
    return ok();
  }));
  return digests;
}

Result<std::int64_t> SqliteStateStore::drop_contacts(
    std::int64_t activation_id, const std::vector<std::uint64_t>& email_hashes) {
  std::lock_guard lock(m_mutex);
  auto mirror = followed_log_locked(activation_id);
  if (!mirror) {
    return mirror.error();
  }
  // A log that grew large, or whose content is not known, is folded at the
  // end of the run that logged it, so that the next one starts at once; so is
  // the log of a contact that is dropped.
  if (*mirror == nullptr || !email_hashes.empty()) {
    EMSYNC_TRY(fold_contact_log_locked(activation_id));
  }
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
  if (rejections.empty()) {
    return ok();
  }
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  struct Tally {
    std::int64_t kept = 0;  // stored rows of the run
    std::int64_t not_kept = 0;
  };
  std::map<std::int64_t, Tally> tallies;  // by run: almost always one
  for (const Rejection& rejection : rejections) {
    auto [tally, first] = tallies.try_emplace(rejection.run_id);
    if (first) {
      auto count = use(Query::count_run_rejections);
      count->bind_all(rejection.run_id);
      auto row = count->step();
      if (!row) {
        return row.error();
      }
      tally->second.kept = count->get_int64(0);
    }
    if (tally->second.kept >= k_max_kept_rejections) {
      ++tally->second.not_kept;
      continue;
    }
    ++tally->second.kept;
    auto insert = use(Query::insert_rejection);
    insert->bind_all(activation_id, rejection.run_id, quote_value(rejection.row_key),
                     quote_value(rejection.code),
                     quote_value(rejection.message, k_max_rejection_message_bytes),
                     to_string(rejection.kind));
    EMSYNC_TRY(insert->run());
  }
  for (const auto& [run_id, tally] : tallies) {
    if (tally.not_kept > 0) {
      auto update = use(Query::add_rejections_not_kept);
      update->bind_all(run_id, tally.not_kept);
      EMSYNC_TRY(update->run());
    }
  }
  return transaction->commit();
}

Result<RejectionPage> SqliteStateStore::list_rejections(std::int64_t activation_id,
                                                        std::int64_t run_id,
                                                        std::optional<RowKind> kind,
                                                        std::int64_t offset, int limit) {
  std::lock_guard lock(m_mutex);
  // The first column of the one row `query` answers, or 0 for NULL or no row.
  auto single = [](StatementUse& query) -> Result<std::int64_t> {
    auto row = query->step();
    if (!row) {
      return row.error();
    }
    return *row && !query->is_null(0) ? query->get_int64(0) : 0;
  };
  const std::optional<std::string> kind_text =
      kind ? std::optional<std::string>(to_string(*kind)) : std::nullopt;
  RejectionPage page;
  auto list = use(Query::list_rejections);
  list->bind_all(activation_id, run_id, kind_text, std::int64_t{limit}, offset);
  // Rows stored before schema 9 were not cut: cut them here, leaving what
  // add_rejections() stored (its cut, with the marker) as it is.
  constexpr std::size_t k_marker = 32;  // "…(N bytes)"
  auto rows = read_rows<Rejection>(*list, [](const Statement& row) {
    return Rejection{row.get_int64(0), quote_value(row.get_text(1), k_max_quoted_bytes + k_marker),
                     quote_value(row.get_text(2), k_max_quoted_bytes + k_marker),
                     quote_value(row.get_text(3), k_max_rejection_message_bytes + k_marker),
                     row_kind_from_string(row.get_text(4)).value_or(RowKind::rejected)};
  });
  if (!rows) {
    return rows.error();
  }
  page.rejections = std::move(*rows);
  auto count = use(Query::count_listed_rejections);
  count->bind_all(activation_id, run_id, kind_text);
  auto total = single(count);
  if (!total) {
    return total.error();
  }
  page.total = *total;
  auto not_kept = use(Query::rejections_not_kept);
  not_kept->bind_all(run_id, activation_id);
  auto dropped = single(not_kept);
  if (!dropped) {
    return dropped.error();
  }
  page.not_kept = *dropped;
  return page;
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
