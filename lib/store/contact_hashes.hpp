// What the state DB keeps of one contact [pure: plain structs]: the hashes
// of what Emarsys acknowledged, by field, and the digest a run diffs the
// model against. A small header of its own so that pure code (sync/diff,
// sync/contact_index) needs no StateStore (state_store.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emsync::store {

// The hash of one mapped field's last acknowledged value. A field that was
// never sent (or was cleared) has no entry.
struct FieldHash {
  std::string key;  // stable per mapping, e.g. "first_name>1"
  // hash64 of the value; the state DB keeps only stored_field_hash() of it,
  // so a hash read back from it is below 2^32.
  std::uint64_t hash = 0;

  bool operator==(const FieldHash&) const = default;
};

// The part of a field hash the state DB keeps (schema 013): its low 32 bits.
// Compare a stored field hash with a fresh one through this. The contact
// hash stays 64 bits and decides "unchanged"; the field hashes only choose
// which fields of a contact whose row changed to send (sync/diff.hpp).
constexpr std::uint64_t stored_field_hash(std::uint64_t hash) { return hash & 0xffff'ffffu; }

struct ContactState {
  // The digest of the model row these fields were sent from
  // (sync/row_digest.hpp), for a fast "unchanged". An emsync without row
  // digests stored a hash over the field hashes, which no digest equals: the
  // first run after the upgrade converts every row once and stores each
  // contact again, sending nothing.
  std::uint64_t contact_hash = 0;
  std::vector<FieldHash> fields;   // sorted by key
  // The run whose batch Emarsys acknowledged this state in (schema 011); 0
  // when not known (stored before schema 11). Not part of contact_hash.
  std::int64_t acknowledged_by_run = 0;
};

// A stored contact, reduced to what tells "unchanged" apart.
struct ContactDigest {
  std::uint64_t email_hash = 0;    // hash64 of the normalised email
  std::uint64_t contact_hash = 0;  // ContactState::contact_hash
};

struct ContactUpdate {
  std::string email;  // normalised
  ContactState state;
};

}  // namespace emsync::store
