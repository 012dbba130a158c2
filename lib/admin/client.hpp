// A blocking admin client (for emsyncctl): one request, one response, over
// a fresh connection to the daemon's unix socket. Plain POSIX, no Asio.
#pragma once

#include <chrono>
#include <string>

#include "admin/protocol.hpp"
#include "core/result.hpp"

namespace emsync::admin {

// Sends `request` and waits for its response, at most `timeout` in total
// (<= 0: no deadline). A failed Response (ok == false) is a value, not an
// Error. Errors:
//   Errc::not_found       nobody listens at socket_path (ENOENT, ECONNREFUSED)
//   Errc::auth_failed     the socket refuses us (EACCES, EPERM)
//   Errc::timeout         no complete response before the deadline
//   Errc::protocol_error  the reply is not a valid response line
//   Errc::io_error        any other socket failure, or the daemon hung up
//   Errc::invalid_input   socket_path is too long for a unix socket
Result<Response> call(const std::string& socket_path, const Request& request,
                      std::chrono::milliseconds timeout);

}  // namespace emsync::admin
