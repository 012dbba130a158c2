#include "sync/diff.hpp"

#include <algorithm>
#include <cstdint>

#include "core/hash.hpp"

namespace emsync::sync {

namespace {

// Start of the contact hash fold. Stored in the state DB: never change it,
// or every contact looks changed once.
constexpr std::uint64_t k_contact_hash_seed = 0x656d73796e630001;  // "emsync" v1

// One field's step of the contact hash fold.
std::uint64_t fold_field(std::uint64_t contact_hash, std::uint64_t key_hash,
                         std::uint64_t value_hash) {
  return hash_combine(hash_combine(contact_hash, key_hash), value_hash);
}

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

// The state to store: one hash per non-NULL value (the stored one for a
// skipped value), sorted by key, and the contact hash over them.
store::ContactState state_of(const std::vector<MappedValue>& values,
                             const std::optional<store::ContactState>& stored) {
  store::ContactState state;
  for (const MappedValue& value : values) {
    if (value.json) {
      state.fields.push_back({value.state_key, hash64(*value.json)});
    } else if (value.skipped) {
      if (const auto kept = stored_hash(stored, value.state_key)) {
        state.fields.push_back({value.state_key, *kept});
      }
    }
  }
  std::sort(state.fields.begin(), state.fields.end(),
            [](const store::FieldHash& a, const store::FieldHash& b) { return a.key < b.key; });
  state.contact_hash = k_contact_hash_seed;
  for (const store::FieldHash& field : state.fields) {
    state.contact_hash = fold_field(state.contact_hash, hash64(field.key), field.hash);
  }
  return state;
}

// Whether `fresh` has the fields of `stored`, each with the same stored
// (32-bit) hash. Both are sorted by key.
bool same_stored_fields(const store::ContactState& fresh, const store::ContactState& stored) {
  return std::equal(fresh.fields.begin(), fresh.fields.end(), stored.fields.begin(),
                    stored.fields.end(), [](const store::FieldHash& a, const store::FieldHash& b) {
                      return a.key == b.key &&
                             store::stored_field_hash(a.hash) == store::stored_field_hash(b.hash);
                    });
}

// What an update must send for one field, if anything.
std::optional<std::string> field_change(const MappedValue& value, std::uint64_t hash,
                                        const std::optional<std::uint64_t>& previous, bool full) {
  if (value.skipped) {
    return std::nullopt;
  }
  if (value.json) {
    if (full || !previous || store::stored_field_hash(*previous) != store::stored_field_hash(hash)) {
      return *value.json;
    }
    return std::nullopt;
  }
  // NULL clears only what emsync itself sent; anything else is left alone.
  return previous ? std::optional<std::string>(value.clear_json) : std::nullopt;
}

}  // namespace

ContactHasher::ContactHasher(const std::vector<std::string>& state_keys) {
  std::vector<std::size_t> order(state_keys.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return state_keys[a] < state_keys[b]; });
  for (std::size_t i : order) {
    m_slots.push_back({i, hash64(state_keys[i])});
  }
}

std::uint64_t ContactHasher::operator()(std::span<const std::optional<std::string>> json) const {
  std::uint64_t contact_hash = k_contact_hash_seed;
  for (const Slot& slot : m_slots) {
    if (const auto& value = json[slot.value]) {
      contact_hash = fold_field(contact_hash, slot.key_hash, hash64(*value));
    }
  }
  return contact_hash;
}

ContactChange diff_contact(const std::vector<MappedValue>& values,
                           const std::optional<store::ContactState>& stored, bool full) {
  ContactChange change;
  change.new_state = state_of(values, stored);
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
  if (change.changed.empty() && stored && same_stored_fields(change.new_state, *stored) &&
      std::none_of(values.begin(), values.end(),
                   [](const MappedValue& value) { return value.skipped; })) {
    // The contact hash changed but no field hash did: the stored field
    // hashes' 32 bits collided (about 1 in 4 billion). Send every value.
    change.changed = change.full;
  }
  change.unchanged = change.changed.empty();
  return change;
}

}  // namespace emsync::sync
