// The member hashes of list activations, kept between runs (internal to
// lib/store). Pure; not thread-safe: SqliteStateStore's mutex guards it.
//
// A list run diffs its model against the hash64 of every member emsync
// added (StateStore::load_list_members). Read from list_members, that is a
// scan of every member's email, hashed and sorted: at 1M members 0.1 s of
// CPU, the largest part of a rerun that changes nothing. The store keeps
// what it loaded, and applies each committed change to it, so the next run
// of the activation copies 8 bytes per member instead. The state DB stays
// the truth: a cache is filled from it, changed only after a commit, and
// forgotten whenever the members change in any other way (emptied,
// activation deleted) or a change may not have committed. It assumes what
// the daemon makes true: no other process writes list_members while the
// store is open (emsyncd holds the state DB's lock; the health probe writes
// its own table).
//
// Memory: at most `max_hashes` hashes in all (8 bytes each); the activations
// used least recently go first, and a list larger than the whole budget is
// not kept (each of its runs scans it).
//
//   MemberCache cache(1000);
//   cache.keep(7, {10, 20});
//   cache.change(7, {15}, {10});
//   *cache.find(7) == std::vector<std::uint64_t>{15, 20}
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

namespace emsync::store {

class MemberCache {
 public:
  explicit MemberCache(std::size_t max_hashes) : m_max_hashes(max_hashes) {}

  // The activation's member hashes (sorted, unique), if kept; it becomes the
  // most recently used. Valid until the next call.
  const std::vector<std::uint64_t>* find(std::int64_t activation_id);
  // Keeps `hashes` (sorted, unique: what load_list_members read) for the
  // activation, in place of what was kept.
  void keep(std::int64_t activation_id, std::vector<std::uint64_t> hashes);
  // A committed change of the activation's members: the hashes of the
  // emails added (a member already there stays one) and removed (one that
  // was none is ignored), in any order. Nothing when it is not kept.
  void change(std::int64_t activation_id, std::vector<std::uint64_t> added,
              std::vector<std::uint64_t> removed);
  void forget(std::int64_t activation_id);
  void forget_all();

  std::size_t hashes() const { return m_hashes; }

 private:
  struct Entry {
    std::vector<std::uint64_t> hashes;
    std::list<std::int64_t>::iterator use;  // in m_uses
  };

  void evict_beyond_budget(std::int64_t keeping);

  std::size_t m_max_hashes;
  std::size_t m_hashes = 0;  // kept in all
  std::unordered_map<std::int64_t, Entry> m_entries;
  std::list<std::int64_t> m_uses;  // activation ids, most recently used first
};

}  // namespace emsync::store
