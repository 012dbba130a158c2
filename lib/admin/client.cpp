#include "admin/client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include "admin/unix_socket.hpp"

namespace emsync::admin {
namespace {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

Error socket_failure(const char* what) {
  return make_error(Errc::io_error,
                    std::string(what) + " on the emsyncd socket: " + std::strerror(errno));
}

// Waits until `fd` is ready for `events` or the deadline passes.
Result<void> wait_ready(int fd, short events, const Deadline& deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    }
    pollfd entry{fd, events, 0};
    int ready = ::poll(&entry, 1, wait_ms);
    if (ready > 0) {
      return ok();
    }
    if (ready == 0) {
      return make_error(Errc::timeout, "emsyncd did not answer in time (see --timeout)");
    }
    if (errno != EINTR) {
      return socket_failure("poll");
    }
  }
}

Result<void> send_all(int fd, std::string_view data, const Deadline& deadline) {
  while (!data.empty()) {
    EMSYNC_TRY(wait_ready(fd, POLLOUT, deadline));
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && errno != EINTR && errno != EAGAIN) {
      return socket_failure("send");
    }
    data.remove_prefix(sent > 0 ? static_cast<std::size_t>(sent) : 0);
  }
  return ok();
}

// Reads up to and including the first '\n', at most k_max_message_bytes.
Result<std::string> read_line(int fd, const Deadline& deadline) {
  std::string line;
  char chunk[64 * 1024];
  while (line.find('\n') == std::string::npos) {
    if (line.size() > k_max_message_bytes) {
      return make_error(Errc::protocol_error, "the reply exceeds the 1 MiB line limit");
    }
    EMSYNC_TRY(wait_ready(fd, POLLIN, deadline));
    ssize_t got = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (got == 0) {
      return line.empty() ? make_error(Errc::io_error, "emsyncd closed the connection unanswered")
                          : make_error(Errc::protocol_error, "emsyncd's reply was cut off");
    }
    if (got < 0 && errno != EINTR && errno != EAGAIN) {
      return socket_failure("recv");
    }
    line.append(chunk, got > 0 ? static_cast<std::size_t>(got) : 0);
  }
  // One request, so nothing may follow the response.
  line.resize(line.find('\n') + 1);
  return line;
}

}  // namespace

Result<Response> call(const std::string& socket_path, const Request& request,
                      std::chrono::milliseconds timeout) {
  Deadline deadline;
  if (timeout.count() > 0) {
    deadline = Clock::now() + timeout;
  }
  auto fd = detail::connect_unix(socket_path, timeout);
  if (!fd) {
    return fd.error();
  }
  auto sent = send_all(fd->get(), encode_request(request), deadline);
  // Even when sending failed (the daemon refused us and hung up), it may
  // have written an error reply first: prefer that over EPIPE.
  auto line = read_line(fd->get(), deadline);
  if (!line) {
    return sent ? line.error() : sent.error();
  }
  auto response = decode_response(*line);
  if (!response) {
    return make_error(Errc::protocol_error,
                      "invalid reply from emsyncd: " + response.error().message);
  }
  return response;
}

}  // namespace emsync::admin
