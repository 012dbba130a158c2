#include "store/contact_codec.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>

#include "core/hash.hpp"
#include "store/queries.hpp"

namespace emsync::store {
namespace {

constexpr int k_slots_per_byte = 7;
constexpr auto k_more_slots = std::byte{0x80};

void put_le(std::vector<std::byte>& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
  }
}

// LEB128: 7 bits a byte, low first, bit 7 set when another byte follows.
void put_varint(std::vector<std::byte>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::byte>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::byte>(value));
}

// The varint that makes up all of `in`; nullopt when `in` is not exactly one.
std::optional<std::uint64_t> get_varint(std::span<const std::byte> in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < in.size() && i < 10; ++i) {
    const auto byte = std::to_integer<std::uint64_t>(in[i]);
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      return i + 1 == in.size() ? std::optional(value) : std::nullopt;
    }
  }
  return std::nullopt;
}

std::uint64_t get_le(std::span<const std::byte> in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= std::to_integer<std::uint64_t>(in[static_cast<std::size_t>(i)]) << (8 * i);
  }
  return value;
}

// The field_hashes of schema version 6: per field, the key's length (u32),
// the key's bytes and the hash (u64). std::nullopt when malformed.
std::optional<std::vector<FieldHash>> decode_v6_fields(std::span<const std::byte> in) {
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

}  // namespace

const std::string* FieldSlots::key(std::uint32_t slot) const {
  return slot < m_keys.size() ? &m_keys[slot] : nullptr;
}

std::optional<std::uint32_t> FieldSlots::find(const std::string& key) const {
  const auto found = m_slots.find(key);
  return found == m_slots.end() ? std::nullopt : std::optional(found->second);
}

std::uint32_t FieldSlots::add(const std::string& key) {
  const auto slot = static_cast<std::uint32_t>(m_keys.size());
  m_keys.push_back(key);
  m_slots.emplace(key, slot);
  // Keys are few and added rarely: rank them all again.
  std::vector<std::uint32_t> by_key(m_keys.size());
  std::iota(by_key.begin(), by_key.end(), 0u);
  std::sort(by_key.begin(), by_key.end(),
            [&](std::uint32_t a, std::uint32_t b) { return m_keys[a] < m_keys[b]; });
  m_ranks.resize(m_keys.size());
  for (std::uint32_t rank = 0; rank < by_key.size(); ++rank) {
    m_ranks[by_key[rank]] = rank;
  }
  return slot;
}

Result<FieldSlots> load_field_slots(Statement& load, std::int64_t activation_id) {
  load.bind_all(activation_id);
  FieldSlots slots;
  for (;;) {
    auto row = load.step();
    if (!row) {
      load.reset();
      return row.error();
    }
    if (!*row) {
      break;
    }
    const std::string key = load.get_text(1);
    if (load.get_int64(0) != static_cast<std::int64_t>(slots.size()) || slots.find(key)) {
      load.reset();
      return damaged_state(activation_id, "its field slots do not run 0, 1, 2, ...");
    }
    slots.add(key);
  }
  load.reset();
  return slots;
}

Result<void> StateCodec::encode(const ContactState& state, FieldSlots& slots,
                                std::vector<std::uint32_t>& added, FieldHashWidth width) {
  m_fields.clear();
  for (const FieldHash& field : state.fields) {
    std::optional<std::uint32_t> slot = slots.find(field.key);
    if (!slot) {
      slot = slots.add(field.key);
      added.push_back(*slot);
    }
    m_fields.push_back({*slot, field.hash});
  }
  std::sort(m_fields.begin(), m_fields.end(),
            [](const SlotHash& a, const SlotHash& b) { return a.slot < b.slot; });
  const auto twice =
      std::adjacent_find(m_fields.begin(), m_fields.end(),
                         [](const SlotHash& a, const SlotHash& b) { return a.slot == b.slot; });
  if (twice != m_fields.end()) {
    return make_error(Errc::state_error, "the field key '" + *slots.key(twice->slot) +
                                             "' appears twice in one contact's state");
  }

  m_blob.clear();
  put_le(m_blob, state.contact_hash, 8);
  const std::uint32_t groups = m_fields.empty() ? 1 : m_fields.back().slot / k_slots_per_byte + 1;
  const std::size_t first_group = m_blob.size();
  m_blob.resize(first_group + groups);
  for (std::uint32_t group = 0; group + 1 < groups; ++group) {
    m_blob[first_group + group] = k_more_slots;
  }
  for (const SlotHash& field : m_fields) {
    m_blob[first_group + field.slot / k_slots_per_byte] |=
        std::byte{1} << static_cast<int>(field.slot % k_slots_per_byte);
  }
  for (const SlotHash& field : m_fields) {
    put_le(m_blob, width == FieldHashWidth::narrow ? stored_field_hash(field.hash) : field.hash,
           static_cast<int>(width));
  }
  if (state.acknowledged_by_run > 0) {
    put_varint(m_blob, static_cast<std::uint64_t>(state.acknowledged_by_run));
  }
  return ok();
}

std::optional<ContactState> StateCodec::decode(std::span<const std::byte> blob,
                                               const FieldSlots& slots, FieldHashWidth width) {
  const auto hash_bytes = static_cast<std::size_t>(width);
  const std::optional<std::uint64_t> contact_hash = stored_contact_hash(blob);
  if (!contact_hash) {
    return std::nullopt;
  }
  std::size_t at = 8;
  m_fields.clear();
  for (std::uint32_t group = 0;; ++group) {
    if (at == blob.size()) {
      return std::nullopt;
    }
    const std::byte bits = blob[at++];
    for (int bit = 0; bit < k_slots_per_byte; ++bit) {
      if ((bits & (std::byte{1} << bit)) != std::byte{0}) {
        m_fields.push_back({group * k_slots_per_byte + static_cast<std::uint32_t>(bit), 0});
      }
    }
    if ((bits & k_more_slots) == std::byte{0}) {
      break;
    }
  }
  if (blob.size() - at < hash_bytes * m_fields.size()) {
    return std::nullopt;
  }
  std::int64_t run = 0;
  if (const std::size_t end = at + hash_bytes * m_fields.size(); end < blob.size()) {
    const std::optional<std::uint64_t> varint = get_varint(blob.subspan(end));
    if (!varint || *varint == 0 || *varint > static_cast<std::uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    run = static_cast<std::int64_t>(*varint);
  }
  for (SlotHash& field : m_fields) {
    if (field.slot >= slots.size()) {
      return std::nullopt;
    }
    field.hash = get_le(blob.subspan(at), static_cast<int>(hash_bytes));
    at += hash_bytes;
  }
  std::sort(m_fields.begin(), m_fields.end(), [&](const SlotHash& a, const SlotHash& b) {
    return slots.rank(a.slot) < slots.rank(b.slot);
  });
  ContactState state{*contact_hash, {}, run};
  state.fields.reserve(m_fields.size());
  for (const SlotHash& field : m_fields) {
    state.fields.push_back(FieldHash{*slots.key(field.slot), field.hash});
  }
  return state;
}

std::optional<std::uint64_t> stored_contact_hash(std::span<const std::byte> blob) {
  return blob.size() < 8 ? std::nullopt : std::optional(get_le(blob, 8));
}

Result<void> insert_slots(Statement& insert, std::int64_t activation_id, const FieldSlots& slots,
                          const std::vector<std::uint32_t>& added) {
  for (const std::uint32_t slot : added) {
    insert.bind_all(activation_id, std::int64_t{slot}, *slots.key(slot));
    auto stored = insert.run();
    insert.reset();
    EMSYNC_TRY(stored);
  }
  return ok();
}

Error damaged_state(std::int64_t activation_id, const std::string& what) {
  return make_error(Errc::state_error, "the stored contact state of activation " +
                                           std::to_string(activation_id) + " is unreadable (" +
                                           what + "): the state DB is damaged: restore a backup");
}

Result<void> convert_contact_state_v6(Db& db) {
  // In primary key order, so each activation's rows come together.
  auto read = db.prepare(
      "SELECT activation_id, email, contact_hash, field_hashes FROM contact_state_v6 "
      "ORDER BY activation_id, email");
  auto insert_slot = db.prepare(sql(Query::insert_state_field));
  auto upsert = db.prepare(sql(Query::upsert_contact));
  for (auto* prepared : {&read, &insert_slot, &upsert}) {
    if (!*prepared) {
      return prepared->error();
    }
  }
  StateCodec codec;
  std::optional<std::int64_t> activation_id;
  FieldSlots slots;
  std::vector<std::uint32_t> added;
  for (;;) {
    auto row = read->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    if (activation_id != read->get_int64(0)) {
      activation_id = read->get_int64(0);
      slots = FieldSlots();  // the new table starts empty
    }
    auto fields = decode_v6_fields(read->get_blob(3));
    if (!fields) {
      return damaged_state(*activation_id, "malformed field hashes");
    }
    added.clear();
    EMSYNC_TRY(codec.encode(
        ContactState{std::bit_cast<std::uint64_t>(read->get_int64(2)), std::move(*fields)}, slots,
        added, FieldHashWidth::wide));
    EMSYNC_TRY(insert_slots(*insert_slot, *activation_id, slots, added));
    upsert->bind_all(*activation_id, std::bit_cast<std::int64_t>(hash64(read->get_text(1))),
                     codec.blob());
    auto stored = upsert->run();
    upsert->reset();
    EMSYNC_TRY(stored);
  }
  read->reset();
  return db.exec("DROP TABLE contact_state_v6");
}

Result<void> convert_contact_state_v12(Db& db) {
  // In primary key order, so each activation's rows come together and are
  // inserted in order.
  auto read = db.prepare(
      "SELECT activation_id, email_hash, state FROM contact_state_v12 "
      "ORDER BY activation_id, email_hash");
  auto load_slots = db.prepare(sql(Query::load_state_fields));
  auto upsert = db.prepare(sql(Query::upsert_contact));
  for (auto* prepared : {&read, &load_slots, &upsert}) {
    if (!*prepared) {
      return prepared->error();
    }
  }
  StateCodec codec;
  std::optional<std::int64_t> activation_id;
  FieldSlots slots;
  std::vector<std::uint32_t> added;  // stays empty: the slots exist
  for (;;) {
    auto row = read->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    if (activation_id != read->get_int64(0)) {
      activation_id = read->get_int64(0);
      auto loaded = load_field_slots(*load_slots, *activation_id);
      if (!loaded) {
        return loaded.error();
      }
      slots = std::move(*loaded);
    }
    auto state = codec.decode(read->get_blob(2), slots, FieldHashWidth::wide);
    if (!state) {
      return damaged_state(*activation_id, "a malformed state");
    }
    EMSYNC_TRY(codec.encode(*state, slots, added));
    upsert->bind_all(*activation_id, read->get_int64(1), codec.blob());
    auto stored = upsert->run();
    upsert->reset();
    EMSYNC_TRY(stored);
  }
  read->reset();
  EMSYNC_TRY(db.exec("DROP TABLE contact_state_v12"));
  return db.exec(std::string(sql(Query::free_pages)));
}

}  // namespace emsync::store
