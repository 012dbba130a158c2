#include "admin/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace emsync::admin::detail {
namespace {

Error connect_error(int err, const std::string& path) {
  std::string detail = "cannot connect to " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ECONNREFUSED:
      return make_error(Errc::not_found, detail + " (is emsyncd running?)");
    case EACCES:
    case EPERM:
      return make_error(Errc::auth_failed, detail + " (the socket's group may connect)");
    case EAGAIN:
    case ETIMEDOUT:
      return make_error(Errc::timeout, detail + " (emsyncd is not accepting connections)");
    default:
      return make_error(Errc::io_error, detail);
  }
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    UniqueFd old(std::exchange(m_fd, other.release()));
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

int UniqueFd::release() { return std::exchange(m_fd, -1); }

std::size_t max_socket_path_length() { return sizeof(sockaddr_un::sun_path) - 1; }

Result<UniqueFd> connect_unix(const std::string& path, std::chrono::milliseconds timeout) {
  if (path.empty() || path.size() > max_socket_path_length()) {
    return make_error(Errc::invalid_input, "socket path '" + path + "' is empty or longer than " +
                                               std::to_string(max_socket_path_length()) + " bytes");
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return make_error(Errc::io_error, std::string("socket(AF_UNIX): ") + std::strerror(errno));
  }
  if (timeout.count() > 0) {
    // Linux bounds a unix connect() waiting on a full backlog by SO_SNDTIMEO.
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return connect_error(errno, path);
  }
  return fd;
}

}  // namespace emsync::admin::detail
