// The stored form of a contact's state (internal to lib/store): the field
// slots of an activation (table state_fields) and the contact_state.state
// blob, as schema/007_compact_state.sql describes them (with the run that
// was acknowledged after them, schema/011_run_rows.sql).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"

namespace emsync::store {

// One activation's field keys by slot. Slots are 0, 1, 2, ... in the order
// the keys were first stored.
class FieldSlots {
 public:
  std::size_t size() const { return m_keys.size(); }
  // The key of `slot`; nullptr for a slot never assigned.
  const std::string* key(std::uint32_t slot) const;
  // The slot of `key`, or nullopt when it has none yet.
  std::optional<std::uint32_t> find(const std::string& key) const;
  // Assigns the next slot to `key` (which must have none) and returns it.
  std::uint32_t add(const std::string& key);
  // The position of `slot`'s key among all keys in key order, to sort
  // decoded fields by key without comparing strings.
  std::uint32_t rank(std::uint32_t slot) const { return m_ranks[slot]; }

 private:
  std::vector<std::string> m_keys;     // by slot
  std::vector<std::uint32_t> m_ranks;  // by slot
  std::unordered_map<std::string, std::uint32_t> m_slots;
};

// Reads the slots of `activation_id` with `load` (Query::load_state_fields).
// Fails, naming the activation, when the slots do not run 0, 1, 2, ...
Result<FieldSlots> load_field_slots(Statement& load, std::int64_t activation_id);

// Stores the slots `added` of `slots` with `insert` (Query::insert_state_field).
Result<void> insert_slots(Statement& insert, std::int64_t activation_id, const FieldSlots& slots,
                          const std::vector<std::uint32_t>& added);

// How wide a blob's field hashes are: 4 bytes (stored_field_hash) since
// schema 013, 8 in the blobs of schemas 7 to 12.
enum class FieldHashWidth { narrow = 4, wide = 8 };

// Turns a ContactState into a contact_state.state blob and back. Holds
// buffers reused from one contact to the next.
class StateCodec {
 public:
  // Encodes `state` into blob(), giving the next free slot of `slots` to each
  // key that has none yet (appended to `added`, which the caller stores).
  // Fails when a key appears twice. `wide` writes the blobs of schemas 7 to
  // 12 (for the migration to 7).
  Result<void> encode(const ContactState& state, FieldSlots& slots,
                      std::vector<std::uint32_t>& added,
                      FieldHashWidth width = FieldHashWidth::narrow);
  std::span<const std::byte> blob() const { return m_blob; }

  // The state a blob holds, with its fields sorted by key; nullopt when the
  // blob is malformed or names a slot `slots` does not have. `wide` reads
  // the blobs of schemas 7 to 12 (for the migration to 13).
  std::optional<ContactState> decode(std::span<const std::byte> blob, const FieldSlots& slots,
                                     FieldHashWidth width = FieldHashWidth::narrow);

 private:
  struct SlotHash {
    std::uint32_t slot;
    std::uint64_t hash;
  };
  std::vector<SlotHash> m_fields;
  std::vector<std::byte> m_blob;
};

// The contact hash of a contact_state.state blob (its first 8 bytes);
// nullopt when the blob is too short.
std::optional<std::uint64_t> stored_contact_hash(std::span<const std::byte> blob);

// The error for a stored state that cannot be read.
Error damaged_state(std::int64_t activation_id, const std::string& what);

// The C++ step of schema/007_compact_state.sql: converts every row of
// contact_state_v6 (keyed by email, field keys in each row) into
// contact_state and state_fields, keeping every hash, then drops it.
Result<void> convert_contact_state_v6(Db& db);

// The C++ step of schema/013_narrow_field_hashes.sql: copies every row of
// contact_state_v12 into contact_state with its field hashes cut to 4 bytes,
// then drops it.
Result<void> convert_contact_state_v12(Db& db);

}  // namespace emsync::store
