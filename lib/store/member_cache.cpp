#include "store/member_cache.hpp"

#include <algorithm>

#include "core/hash.hpp"

namespace emsync::store {

const std::vector<std::uint64_t>* MemberCache::find(std::int64_t activation_id) {
  const auto found = m_entries.find(activation_id);
  if (found == m_entries.end()) {
    return nullptr;
  }
  m_uses.splice(m_uses.begin(), m_uses, found->second.use);
  return &found->second.hashes;
}

void MemberCache::keep(std::int64_t activation_id, std::vector<std::uint64_t> hashes) {
  forget(activation_id);
  if (hashes.size() > m_max_hashes) {
    return;
  }
  m_hashes += hashes.size();
  m_uses.push_front(activation_id);
  m_entries.emplace(activation_id, Entry{std::move(hashes), m_uses.begin()});
  evict_beyond_budget(activation_id);
}

void MemberCache::change(std::int64_t activation_id, std::vector<std::uint64_t> added,
                         std::vector<std::uint64_t> removed) {
  const auto found = m_entries.find(activation_id);
  if (found == m_entries.end()) {
    return;
  }
  std::vector<std::uint64_t>& kept = found->second.hashes;
  const std::size_t before = kept.size();
  if (!removed.empty()) {  // one pass over both, sorted
    sort_hashes(removed);
    auto out = kept.begin();
    auto next_removed = removed.begin();
    for (const std::uint64_t hash : kept) {
      while (next_removed != removed.end() && *next_removed < hash) {
        ++next_removed;
      }
      if (next_removed == removed.end() || *next_removed != hash) {
        *out++ = hash;
      }
    }
    kept.erase(out, kept.end());
  }
  if (!added.empty()) {
    sort_hashes(added);
    const auto middle = static_cast<std::ptrdiff_t>(kept.size());
    kept.insert(kept.end(), added.begin(), added.end());
    std::inplace_merge(kept.begin(), kept.begin() + middle, kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  }
  m_hashes = m_hashes - before + kept.size();
  if (kept.size() > m_max_hashes) {
    forget(activation_id);
    return;
  }
  evict_beyond_budget(activation_id);
}

void MemberCache::forget(std::int64_t activation_id) {
  const auto found = m_entries.find(activation_id);
  if (found == m_entries.end()) {
    return;
  }
  m_hashes -= found->second.hashes.size();
  m_uses.erase(found->second.use);
  m_entries.erase(found);
}

void MemberCache::forget_all() {
  m_entries.clear();
  m_uses.clear();
  m_hashes = 0;
}

void MemberCache::evict_beyond_budget(std::int64_t keeping) {
  while (m_hashes > m_max_hashes && !m_uses.empty() && m_uses.back() != keeping) {
    forget(m_uses.back());
  }
}

}  // namespace emsync::store
