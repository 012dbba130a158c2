#include "sync/diff.hpp"

#include <algorithm>
#include <cstdint>

#include "core/hash.hpp"
#include "sync/row_digest.hpp"

namespace emsync::sync {

namespace {

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

// The contact hash to store for a row of `values` whose digest is `row_digest`.
std::uint64_t contact_hash_of(const std::vector<MappedValue>& values, std::uint64_t row_digest) {
  const bool skipped = std::any_of(values.begin(), values.end(),
                                   [](const MappedValue& value) { return value.skipped; });
  return skipped ? digest_with_skipped_values(row_digest) : row_digest;
}

// The fields to store: one hash per non-NULL value (the stored one for a
// skipped value), sorted by key.
std::vector<store::FieldHash> fields_of(const std::vector<MappedValue>& values,
                                        const std::optional<store::ContactState>& stored) {
  std::vector<store::FieldHash> fields;
  for (const MappedValue& value : values) {
    if (value.json) {
      fields.push_back({value.state_key, hash64(*value.json)});
    } else if (value.skipped) {
      if (const auto kept = stored_hash(stored, value.state_key)) {
        fields.push_back({value.state_key, *kept});
      }
    }
  }
  std::sort(fields.begin(), fields.end(),
            [](const store::FieldHash& a, const store::FieldHash& b) { return a.key < b.key; });
  return fields;
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

ContactChange diff_contact(const std::vector<MappedValue>& values,
                           const std::optional<store::ContactState>& stored, bool full,
                           std::uint64_t row_digest) {
  ContactChange change;
  change.new_state.contact_hash = contact_hash_of(values, row_digest);
  // Most contacts of a rerun that reach this stop here (those the read step
  // could not call unchanged: a value left out, a repeated email checked).
  if (stored && !full && stored->contact_hash == change.new_state.contact_hash) {
    change.unchanged = true;
    return change;
  }
  change.new_state.fields = fields_of(values, stored);
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
  if (change.unchanged && stored) {
    // Only the digest moved: Emarsys holds these values already.
    change.refresh = true;
    change.new_state.acknowledged_by_run = stored->acknowledged_by_run;
  }
  return change;
}

}  // namespace emsync::sync
