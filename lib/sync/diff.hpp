// Change detection for one contact: which mapped fields to send, and the
// state to store once Emarsys acknowledged them. Pure.
//
// Rules (issue #2):
//  - a contact never synced sends all its non-NULL fields;
//  - a known contact sends only fields whose value hash changed, plus "" for
//    a field emsync sent before that is now NULL (clearing it);
//  - NULL is never sent for a field emsync never sent (it must not wipe a
//    value Emarsys got elsewhere);
//  - `full` ignores stored hashes for non-NULL values (NULLs follow the same
//    rule as above);
//  - a skipped value (too long for its field, on_value_too_long: skip_field)
//    is neither sent nor cleared, and the field's stored hash is kept: Emarsys
//    still holds what emsync sent before;
//  - a field counts as changed when the low 32 bits of its hash (all the
//    state DB keeps: store::stored_field_hash) differ; a contact whose hash
//    changed while no field's did (those 32 bits collided) sends every
//    non-NULL value.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/contact_hashes.hpp"
#include "sync/convert.hpp"

namespace emsync::sync {

// One mapped field of one contact, after conversion.
struct MappedValue {
  std::string state_key;            // stable per mapping, e.g. "first_name>1"
  std::string field_id;             // Emarsys field id as text, e.g. "1"
  std::optional<std::string> json;  // the JSON value to send; nullopt = NULL
  bool skipped = false;             // json is nullopt: left out, not NULL
  std::string_view clear_json = k_clear_value;  // sent to clear the field (clear_value())
};

using FieldValues = std::vector<std::pair<std::string, std::string>>;  // field id → JSON value

struct ContactChange {
  bool unchanged = false;
  bool clears_field = false;  // a field emsync sent before is now NULL: "" is sent
  FieldValues changed;        // what an update sends
  FieldValues full;           // every non-NULL value: what a create sends (empty when unchanged)
  store::ContactState new_state;  // to store after acknowledgement
};

// The contact hash of one row's converted values, equal to the one
// diff_contact() stores when no value was skipped, without building the state: the read step compares
// it with the stored digest, so an unchanged row costs no allocation here.
class ContactHasher {
 public:
  // The state keys of the values, in the order they will be passed.
  explicit ContactHasher(const std::vector<std::string>& state_keys);
  // `json`: one entry per state key, nullopt for NULL (not hashed).
  std::uint64_t operator()(std::span<const std::optional<std::string>> json) const;

 private:
  struct Slot {
    std::size_t value;       // index into `json`
    std::uint64_t key_hash;  // hash64(state key)
  };
  std::vector<Slot> m_slots;  // sorted by state key
};

ContactChange diff_contact(const std::vector<MappedValue>& values,
                           const std::optional<store::ContactState>& stored, bool full);

}  // namespace emsync::sync
