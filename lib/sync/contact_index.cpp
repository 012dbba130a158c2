#include "sync/contact_index.hpp"

#include <algorithm>

namespace emsync::sync {

namespace {

// How far from its interpolated position a hash may be before the search
// falls back to the whole array. Ranks of uniform hashes deviate from the
// estimate by about sqrt(n)/2, so this window almost always holds it.
std::size_t search_radius(std::size_t n) {
  std::size_t radius = 64;
  while (radius * radius < n * 16) {
    radius *= 2;
  }
  return radius;
}

}  // namespace

ContactIndex::ContactIndex(std::vector<store::ContactDigest> stored)
    : m_stored(std::move(stored)), m_marks((m_stored.size() * 2 + 63) / 64, 0) {}

std::size_t ContactIndex::find(std::uint64_t email_hash) const {
  const std::size_t n = m_stored.size();
  if (n == 0) {
    return npos;
  }
  __extension__ using Wide = unsigned __int128;  // GCC/Clang: the exact n * hash / 2^64
  const auto guess = static_cast<std::size_t>((static_cast<Wide>(email_hash) * n) >> 64);
  const std::size_t radius = search_radius(n);
  auto first = m_stored.begin() + static_cast<std::ptrdiff_t>(guess > radius ? guess - radius : 0);
  auto last = m_stored.begin() + static_cast<std::ptrdiff_t>(std::min(n, guess + radius));
  const auto less = [](const store::ContactDigest& d, std::uint64_t h) { return d.email_hash < h; };
  if (first != m_stored.begin() && first->email_hash > email_hash) {
    first = m_stored.begin();
  }
  if (last != m_stored.end() && last->email_hash <= email_hash) {
    last = m_stored.end();
  }
  const auto it = std::lower_bound(first, last, email_hash, less);
  if (it == m_stored.end() || it->email_hash != email_hash) {
    return npos;
  }
  return static_cast<std::size_t>(it - m_stored.begin());
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
