// Contact state (change detection) and rejected rows.
#include <algorithm>
#include <bit>
#include <string_view>

#include "core/hash.hpp"
#include "store/sqlite_state_store.hpp"

namespace emsync::store {
namespace {

// contact_state.field_hashes: per field, the key's length (u32), the key's
// bytes and the hash (u64), integers little endian.
void put_le(std::vector<std::byte>& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
  }
}

std::uint64_t get_le(std::span<const std::byte> in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= std::to_integer<std::uint64_t>(in[static_cast<std::size_t>(i)]) << (8 * i);
  }
  return value;
}

void encode_fields(const std::vector<FieldHash>& fields, std::vector<std::byte>& out) {
  out.clear();
  for (const FieldHash& field : fields) {
    put_le(out, field.key.size(), 4);
    const auto* key = reinterpret_cast<const std::byte*>(field.key.data());
    out.insert(out.end(), key, key + field.key.size());
    put_le(out, field.hash, 8);
  }
}

// std::nullopt when the blob is malformed.
std::optional<std::vector<FieldHash>> decode_fields(std::span<const std::byte> in) {
  std::vector<FieldHash> fields;
  while (!in.empty()) {
    if (in.size() < 4) {
      return std::nullopt;
    }
    const std::uint64_t key_size = get_le(in, 4);
    if (in.size() - 4 < key_size + 8) {
      return std::nullopt;
    }
    const auto* key = reinterpret_cast<const char*>(in.data() + 4);
    fields.push_back(FieldHash{std::string(key, key_size), get_le(in.subspan(4 + key_size), 8)});
    in = in.subspan(4 + key_size + 8);
  }
  return fields;
}

Error contact_error(std::int64_t activation_id, const std::string& email, const Error& error) {
  return make_error(Errc::state_error, "activation " + std::to_string(activation_id) +
                                           ", contact '" + email + "': " + error.message);
}

}  // namespace

Result<std::vector<std::optional<ContactState>>> SqliteStateStore::load_contacts(
    std::int64_t activation_id, const std::vector<std::string>& emails) {
  std::lock_guard lock(m_mutex);
  // One read transaction for all: in autocommit mode each lookup would open
  // and close its own WAL snapshot, which costs more than the lookup itself.
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  std::vector<std::optional<ContactState>> states;
  states.reserve(emails.size());
  for (const auto& email : emails) {
    auto state = load_contact_locked(activation_id, email);
    if (!state) {
      return state.error();
    }
    states.push_back(std::move(*state));
  }
  EMSYNC_TRY(transaction->commit());
  return states;
}

Result<std::optional<ContactState>> SqliteStateStore::load_contact_locked(
    std::int64_t activation_id, const std::string& email) {
  auto load = use(Query::load_contact);
  load->bind_all(activation_id, email);
  auto row = load->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return std::optional<ContactState>();
  }
  auto fields = decode_fields(load->get_blob(1));
  if (!fields) {
    return contact_error(activation_id, email,
                         make_error(Errc::state_error,
                                    "the stored field hashes are malformed (the state DB is "
                                    "damaged): restore a backup"));
  }
  return std::optional(
      ContactState{std::bit_cast<std::uint64_t>(load->get_int64(0)), std::move(*fields)});
}

Result<void> SqliteStateStore::commit_contacts(std::int64_t activation_id,
                                               const std::vector<ContactUpdate>& contacts) {
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  std::vector<std::byte> blob;  // reused: one allocation for the whole batch
  for (const ContactUpdate& contact : contacts) {
    encode_fields(contact.state.fields, blob);
    auto upsert = use(Query::upsert_contact);
    upsert->bind_all(activation_id, contact.email,
                     std::bit_cast<std::int64_t>(contact.state.contact_hash),
                     std::span<const std::byte>(blob));
    auto stored = upsert->run();
    if (!stored) {
      return contact_error(activation_id, contact.email, stored.error());
    }
  }
  return transaction->commit();
}

Result<std::vector<ContactDigest>> SqliteStateStore::load_contact_digests(
    std::int64_t activation_id) {
  std::lock_guard lock(m_mutex);
  auto list = use(Query::list_contact_emails);
  list->bind_all(activation_id);
  std::vector<ContactDigest> digests;
  for (;;) {
    auto row = list->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    digests.push_back(
        {hash64(list->get_text(0)), std::bit_cast<std::uint64_t>(list->get_int64(1))});
  }
  std::sort(digests.begin(), digests.end(),
            [](const ContactDigest& a, const ContactDigest& b) { return a.email_hash < b.email_hash; });
  return digests;
}

Result<std::int64_t> SqliteStateStore::drop_contacts(
    std::int64_t activation_id, const std::vector<std::uint64_t>& email_hashes) {
  if (email_hashes.empty()) {
    return 0;
  }
  std::vector<std::uint64_t> dropped = email_hashes;
  std::sort(dropped.begin(), dropped.end());
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  // Collect first: deleting rows while a SELECT walks the same table is not
  // guaranteed to visit every row.
  std::vector<std::string> missing;
  {
    auto list = use(Query::list_contact_emails);
    list->bind_all(activation_id);
    for (;;) {
      auto row = list->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      std::string email = list->get_text(0);
      if (std::binary_search(dropped.begin(), dropped.end(), hash64(email))) {
        missing.push_back(std::move(email));
      }
    }
  }
  for (const std::string& email : missing) {
    auto remove = use(Query::delete_contact);
    remove->bind_all(activation_id, email);
    EMSYNC_TRY(remove->run());
  }
  EMSYNC_TRY(transaction->commit());
  return static_cast<std::int64_t>(missing.size());
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
