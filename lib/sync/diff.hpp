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
//    state DB keeps: store::stored_field_hash) differ, so a changed value is
//    missed when those 32 bits collide (about 1 in 4 billion changed values).
// A contact whose stored contact hash is the row's digest (row_digest.hpp)
// is unchanged without a look at its fields. One whose digest changed while
// none of its fields did is unchanged too, but its state is stored again
// (ContactChange::refresh), with the new digest.
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
  // Unchanged, but the stored state has another contact hash (the row's
  // digest changed, none of its converted values did): store new_state,
  // send nothing.
  bool refresh = false;
  bool clears_field = false;  // a field emsync sent before is now NULL: "" is sent
  FieldValues changed;        // what an update sends
  FieldValues full;           // every non-NULL value: what a create sends (empty when unchanged)
  store::ContactState new_state;  // to store after acknowledgement
};

// `row_digest`: the digest of the row the values were converted from
// (RowDigester), which new_state.contact_hash becomes
// (digest_with_skipped_values() of it when a value was skipped).
ContactChange diff_contact(const std::vector<MappedValue>& values,
                           const std::optional<store::ContactState>& stored, bool full,
                           std::uint64_t row_digest);

}  // namespace emsync::sync
