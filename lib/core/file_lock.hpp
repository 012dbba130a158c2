// An exclusive advisory lock (flock) on a file, held for the object's life:
// one emsyncd per state DB. The kernel drops it when the process dies, so a
// crash never leaves a stale lock.
#pragma once

#include <string>

#include "core/result.hpp"

namespace emsync {

class FileLock {
 public:
  // Creates `path` if needed and locks it without waiting. Fails with
  // Errc::io_error naming `what` when another process holds it.
  static Result<FileLock> acquire(const std::string& path, const std::string& what);

  FileLock(FileLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace emsync
