// POSIX unix-socket helpers shared by the server (stale-socket probe) and the
// blocking client. Internal to lib/admin.
#pragma once

#include <chrono>
#include <string>

#include "core/result.hpp"

namespace emsync::admin::detail {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return m_fd; }
  int release();

 private:
  int m_fd;
};

// Connects a blocking AF_UNIX stream socket to `path`, waiting at most
// `timeout` when the listener's backlog is full (<= 0: no limit).
// Errors name the path and classify errno: Errc::not_found for ENOENT and
// ECONNREFUSED (nobody listens), Errc::auth_failed for EACCES/EPERM,
// Errc::timeout, Errc::invalid_input for a path too long for sockaddr_un,
// Errc::io_error otherwise.
Result<UniqueFd> connect_unix(const std::string& path, std::chrono::milliseconds timeout);

// The longest path sockaddr_un can hold.
std::size_t max_socket_path_length();

}  // namespace emsync::admin::detail
