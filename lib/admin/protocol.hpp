// The admin protocol codec (PROTOCOL.md): newline-delimited JSON requests and
// responses. Pure: no sockets, no Asio, so it tests with plain strings.
//
// Every encoded message is one line ending in '\n' with no other newline
// (JSON escapes newlines inside strings), at most k_max_message_bytes long
// including the '\n'. Encoding never throws: invalid UTF-8 in strings is
// replaced by U+FFFD.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace emsync::admin {

inline constexpr int k_protocol_version = 1;
inline constexpr std::size_t k_max_message_bytes = 1 << 20;

// Wire error codes that are not an emsync::Errc word.
inline constexpr const char* k_unsupported_protocol = "unsupported_protocol";
inline constexpr const char* k_internal = "internal";
// The method needs an operator (admin/access.hpp); emsyncctl exits 4.
inline constexpr const char* k_permission_denied = "permission_denied";

// The client of a connection as the kernel reported it when it connected
// (SO_PEERCRED, SO_PEERGROUPS); -1 when unknown.
struct Peer {
  int uid = -1;
  int gid = -1;  // primary group
  int pid = -1;
  std::vector<int> groups;  // supplementary groups
};

struct Request {
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // always an object
  Peer peer = {};  // filled by the server; never sent on the wire
};

struct Response {
  bool ok = false;
  nlohmann::json result;      // when ok
  std::string error_code;     // when !ok: an Errc word or k_unsupported_protocol/k_internal
  std::string error_message;  // when !ok: for humans

  static Response success(nlohmann::json result);
  static Response failure(std::string code, std::string message);
  // failure(to_string(error.code), error.message): how a handler reports a Result's error.
  static Response from_error(const Error& error);
};

// Parses JSON text with parse_json_bounded() (core/json_limits.hpp): syntax
// errors become Errc::invalid_input with nlohmann's position ("parse error
// at line 1, column 3: ..."), and so does nesting deeper than 64 levels
// ("JSON nested deeper than 64 levels"), before any tree is built.
Result<nlohmann::json> parse_json(std::string_view text);

std::string encode_request(const Request& request);
// Accepts a line with or without its '\n'. Fails with Errc::protocol_error
// when "protocol" is an integer other than k_protocol_version, and with
// Errc::invalid_input for anything else malformed (too long, not JSON, not
// an object, no "protocol", "method" not a non-empty string, "params" not an
// object). Unknown top-level keys are ignored; absent "params" means {}.
Result<Request> decode_request(std::string_view line);
// The reply the server sends for a line decode_request refused:
// unsupported_protocol for Errc::protocol_error, invalid_input otherwise.
Response undecodable_request_response(const Error& decode_error);
// The reply to a call whose handler failed unexpectedly (an exception): an
// "internal" error naming the method; the details belong in the daemon's log.
Response internal_failure(std::string_view method);

std::string encode_response(const Response& response);
// Fails with Errc::protocol_error when the line is not a version-1 response.
Result<Response> decode_response(std::string_view line);

}  // namespace emsync::admin
