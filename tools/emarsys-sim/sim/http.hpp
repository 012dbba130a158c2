// Sans-I/O HTTP values for the simulator: the request the server hands in, the
// response it writes back, the parsed target, and the Emarsys reply envelope.
// Nothing here touches sockets, so the whole simulator logic tests in-process.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emsync::sim {

using Json = nlohmann::ordered_json;  // keeps keys in insertion order, as Emarsys writes them

struct Request {
  std::string method;                          // "GET", "PUT", ...
  std::string target;                          // "/api/v2/contact/?create_if_not_exists=1"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent. `lower_name` must be lower case.
  const std::string& header(const std::string& lower_name) const;
};

// How the server delivers a response: at once, after a delay (the "slow"
// fault), or not at all, resetting the connection (the "reset" faults).
enum class Delivery { now, delayed, reset };

struct Response {
  int status = 200;  // 0 when nothing was produced (a reset before applying)
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  std::string log_note;  // for the server's log line (user, failure reason); not sent
  Delivery delivery = Delivery::now;
  std::chrono::milliseconds delay{0};  // with Delivery::delayed
};

// A request target split into a path (percent-decoded, trailing "/" removed
// except for the root) and its query parameters (the last value wins).
struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

Target parse_target(std::string_view target);

// "a=1&b=x%20y" (query strings and form bodies; '+' means space).
std::map<std::string, std::string> parse_form(std::string_view text);

// A whole-request failure of an /api call: `status` with the envelope
// {"replyCode": code, "replyText": text, "data": ""}. Thrown by API handlers
// and turned into a response by the router.
struct ApiFailure : std::runtime_error {
  ApiFailure(int http_status, int reply_code, const std::string& reply_text)
      : std::runtime_error(reply_text), status(http_status), code(reply_code) {}
  int status;
  int code;
};

Response json_response(int status, const Json& body);

// {"replyCode": code, "replyText": text, "data": data}
Response envelope(int status, int reply_code, std::string_view reply_text, Json data = "");

// 200 {"replyCode":0,"replyText":"OK","data": data}
Response ok_envelope(Json data);

}  // namespace emsync::sim
