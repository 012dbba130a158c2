#include "sync/diff.hpp"

#include <algorithm>
#include <cstdint>

#include "core/hash.hpp"
#include "sync/convert.hpp"

namespace emsync::sync {

namespace {

// Start of the contact hash fold. Stored in the state DB: never change it,
// or every contact looks changed once.
constexpr std::uint64_t k_contact_hash_seed = 0x656d73796e630001;  // "emsync" v1

// The stored hash of `key`, if emsync sent a value for it.
std::optional<std::uint64_t> stored_hash(const std::optional<store::ContactState>& stored,
                                         const std::string& key) {
  if (!stored) {
    return std::nullopt;
  }
  const auto& fields = stored->fields;
  const auto it = std::lower_bound(
      fields.begin(), fields.end(), key,
      [](const store::FieldHash& field, const std::string& k) { return field.key < k; });
  if (it == fields.end() || it->key != key) {
    return std::nullopt;
  }
  return it->hash;
}

// The state to store: one hash per non-NULL value, sorted by key, and the
// contact hash over them.
store::ContactState state_of(const std::vector<MappedValue>& values) {
  store::ContactState state;
  for (const MappedValue& value : values) {
    if (value.json) {
      state.fields.push_back({value.state_key, hash64(*value.json)});
    }
  }
  std::sort(state.fields.begin(), state.fields.end(),
            [](const store::FieldHash& a, const store::FieldHash& b) { return a.key < b.key; });
  state.contact_hash = k_contact_hash_seed;
  for (const store::FieldHash& field : state.fields) {
    state.contact_hash =
        hash_combine(hash_combine(state.contact_hash, hash64(field.key)), field.hash);
  }
  return state;
}

// What an update must send for one field, if anything.
std::optional<std::string> field_change(const MappedValue& value, std::uint64_t hash,
                                        const std::optional<std::uint64_t>& previous, bool full) {
  if (value.json) {
    if (full || !previous || *previous != hash) {
      return *value.json;
    }
    return std::nullopt;
  }
  // NULL clears only what emsync itself sent; anything else is left alone.
  return previous ? std::optional<std::string>(k_clear_value) : std::nullopt;
}

}  // namespace

ContactChange diff_contact(const std::vector<MappedValue>& values,
                           const std::optional<store::ContactState>& stored, bool full) {
  ContactChange change;
  change.new_state = state_of(values);
  // Most contacts of a rerun stop here: nothing copied, nothing hashed twice.
  if (stored && !full && stored->contact_hash == change.new_state.contact_hash) {
    change.unchanged = true;
    return change;
  }
  for (const MappedValue& value : values) {
    if (value.json) {
      change.full.emplace_back(value.field_id, *value.json);
    }
  }
  for (const MappedValue& value : values) {
    const std::uint64_t hash = value.json ? hash64(*value.json) : 0;
    if (auto json = field_change(value, hash, stored_hash(stored, value.state_key), full)) {
      change.clears_field = change.clears_field || !value.json;
      change.changed.emplace_back(value.field_id, std::move(*json));
    }
  }
  change.unchanged = change.changed.empty();
  return change;
}

}  // namespace emsync::sync
