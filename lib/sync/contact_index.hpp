// The contacts the state DB knew when a run started, and what the model said
// of each of them so far. Pure.
//
// A run reads the model once; for each row it asks `see()` whether the
// contact is new, unchanged (same contact hash as stored: nothing to send),
// changed, or a repeat of an email already read. Memory: 16 bytes per stored
// contact, 2 bits for its mark and 2 bits of directory, no per-row
// allocation. A lookup reads the directory entry of the hash's top bits and
// halves the sixteen or so hashes of that bucket (the hashes are uniform),
// so a model of millions of rows needs no query per row and a few nearby
// cache lines per row (an interpolation search took a quarter of a 1M
// rerun's diff thread).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/contact_hashes.hpp"

namespace emsync::sync {

class ContactIndex {
 public:
  // `stored` sorted by email_hash, unique (as load_contact_digests returns
  // it), fewer than 2^32.
  explicit ContactIndex(std::vector<store::ContactDigest> stored = {});

  enum class Verdict {
    fresh,      // not stored: a new contact
    unchanged,  // stored with the same contact hash: nothing to send
    changed,    // stored with another hash (or `contact_hash` is nullopt)
    // The email was read before. `repeat_of_unchanged` when that earlier row
    // was judged unchanged: the caller must take back its "unchanged" (the
    // rule is that no row of a repeated email is sent).
    repeat,
    repeat_of_unchanged,
  };

  // Records one model row of a stored-or-not contact. `contact_hash` is the
  // hash of the row's values (nullopt when they could not be hashed, e.g. a
  // value that does not convert: the row is examined again later).
  // Repeats of an email that is not stored are not detected here: the caller
  // keeps those hashes (see ModelSnapshot::duplicate_hashes).
  Verdict see(std::uint64_t email_hash, std::optional<std::uint64_t> contact_hash);

  // Starts fetching into the cache what see(email_hash) will read, and
  // returns at once: a caller that knows the next few emails (a dozen or
  // so) prefetches them all before it sees the first, so that their cache
  // misses overlap instead of adding up (at 1M stored contacts, a lookup
  // amid a row's other work took 170 ns alone, 35 ns prefetched).
  void prefetch(std::uint64_t email_hash) const;
  bool stored(std::uint64_t email_hash) const { return find(email_hash) != npos; }
  std::int64_t size() const { return static_cast<std::int64_t>(m_stored.size()); }
  // Stored contacts no row of the model had (the model dropped them).
  std::vector<std::uint64_t> departed() const;

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  enum Mark : std::uint8_t { unseen = 0, seen_unchanged = 1, seen_sent = 2 };

  std::size_t bucket(std::uint64_t email_hash) const;
  std::size_t find(std::uint64_t email_hash) const;
  Mark mark(std::size_t i) const;
  void set_mark(std::size_t i, Mark mark);

  std::vector<store::ContactDigest> m_stored;
  // Bucket b (the top m_bucket_bits bits of a hash) is m_stored[m_directory[b],
  // m_directory[b + 1]).
  unsigned m_bucket_bits = 0;
  std::vector<std::uint32_t> m_directory;
  std::vector<std::uint64_t> m_marks;  // 2 bits per stored contact
};

}  // namespace emsync::sync
