#include "sync/contact_index.hpp"

#include <algorithm>

namespace emsync::sync {

namespace {

// Interpolation steps before the search falls back to halving: uniform hashes
// need about log log n of them; a skewed set cannot make a lookup linear.
constexpr int k_interpolation_steps = 8;

}  // namespace

ContactIndex::ContactIndex(std::vector<store::ContactDigest> stored)
    : m_stored(std::move(stored)), m_marks((m_stored.size() * 2 + 63) / 64, 0) {}

std::size_t ContactIndex::find(std::uint64_t email_hash) const {
  if (m_stored.empty() || email_hash < m_stored.front().email_hash ||
      email_hash > m_stored.back().email_hash) {
    return npos;
  }
  // Invariant: if present, the hash is in [lo, hi].
  std::size_t lo = 0;
  std::size_t hi = m_stored.size() - 1;
  __extension__ using Wide = unsigned __int128;  // GCC/Clang: exact products of 64-bit values
  for (int step = 0; step < k_interpolation_steps && lo < hi; ++step) {
    const std::uint64_t low = m_stored[lo].email_hash;
    const std::uint64_t high = m_stored[hi].email_hash;
    if (email_hash < low || email_hash > high) {
      return npos;
    }
    if (low == high) {
      break;
    }
    const std::size_t at = lo + static_cast<std::size_t>(static_cast<Wide>(email_hash - low) *
                                                         (hi - lo) / (high - low));
    const std::uint64_t found = m_stored[at].email_hash;
    if (found == email_hash) {
      return at;
    }
    if (found < email_hash) {
      lo = at + 1;
    } else {
      hi = at - 1;  // at > lo here: found > email_hash >= low
    }
  }
  const auto first = m_stored.begin() + static_cast<std::ptrdiff_t>(lo);
  const auto last =
      m_stored.begin() + static_cast<std::ptrdiff_t>(std::min(hi + 1, m_stored.size()));
  const auto it = std::lower_bound(
      first, last, email_hash,
      [](const store::ContactDigest& d, std::uint64_t h) { return d.email_hash < h; });
  return it != last && it->email_hash == email_hash
             ? static_cast<std::size_t>(it - m_stored.begin())
             : npos;
}

ContactIndex::Mark ContactIndex::mark(std::size_t i) const {
  return static_cast<Mark>((m_marks[i / 32] >> (2 * (i % 32))) & 3);
}

void ContactIndex::set_mark(std::size_t i, Mark mark) {
  auto& word = m_marks[i / 32];
  const unsigned shift = 2 * (i % 32);
  word = (word & ~(std::uint64_t{3} << shift)) | (std::uint64_t{mark} << shift);
}

ContactIndex::Verdict ContactIndex::see(std::uint64_t email_hash,
                                        std::optional<std::uint64_t> contact_hash) {
  const std::size_t i = find(email_hash);
  if (i == npos) {
    return Verdict::fresh;
  }
  switch (mark(i)) {
    case seen_unchanged:
      set_mark(i, seen_sent);  // taken back once
      return Verdict::repeat_of_unchanged;
    case seen_sent:
      return Verdict::repeat;
    case unseen:
      break;
  }
  if (contact_hash && *contact_hash == m_stored[i].contact_hash) {
    set_mark(i, seen_unchanged);
    return Verdict::unchanged;
  }
  set_mark(i, seen_sent);
  return Verdict::changed;
}

std::vector<std::uint64_t> ContactIndex::departed() const {
  std::vector<std::uint64_t> hashes;
  for (std::size_t i = 0; i < m_stored.size(); ++i) {
    if (mark(i) == unseen) {
      hashes.push_back(m_stored[i].email_hash);
    }
  }
  return hashes;
}

}  // namespace emsync::sync
