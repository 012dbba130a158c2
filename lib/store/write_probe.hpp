// WriteProbe: can the state DB still be written? The daemon asks before it
// starts runs, so that a full disk or a file system gone read-only stops new
// runs (the daemon is "degraded") instead of failing each of them late, and
// so that it notices when writes work again.
//
// A check is: enough free space on the state DB's file system (a WAL that
// cannot grow fails the next batch commit, even when a tiny write still fits
// in pages the WAL already holds), then a one-row write transaction through
// the probe's own connection (schema 006), durable like every commit. It
// costs one fsync, so the daemon checks every few seconds, not per run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"

namespace emsync::store {

class WriteProbe {
 public:
  // Below this much free space the state DB counts as full.
  static constexpr std::uint64_t k_min_free_bytes = 1024 * 1024;

  explicit WriteProbe(std::string state_db_path);
  ~WriteProbe();
  WriteProbe(const WriteProbe&) = delete;
  WriteProbe& operator=(const WriteProbe&) = delete;

  // Ok when the state DB can be written; else Errc::state_error with a
  // one-line reason naming the file and what to do. Blocking.
  Result<void> check(UnixMillis now);
  // Bytes of the state DB and its WAL (0 for a missing file). Blocking.
  std::uint64_t size_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace emsync::store
