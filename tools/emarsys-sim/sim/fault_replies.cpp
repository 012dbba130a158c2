// The replies of injected faults (see faults.hpp). Bodies follow
// emarsys-api.md §7 and §8 where it documents them; README.md lists them.
#include <stdexcept>

#include "sim/config.hpp"
#include "sim/faults.hpp"

namespace emsync::sim {
namespace {

// 429 as an exhausted rate window that opened now: clients that honour
// X-Ratelimit-Reset or Retry-After wait one --rate-window-ms.
Response too_many_requests(const Config& config, Clock::time_point now) {
  Response out = envelope(
      429, 7003, "Too many requests for this account and resource within the last minute.");
  const auto reset = std::chrono::ceil<std::chrono::seconds>(now + config.rate_window);
  out.headers.emplace_back("X-Ratelimit-Limit", std::to_string(config.rate_limit));
  out.headers.emplace_back("X-Ratelimit-Remaining", "0");
  out.headers.emplace_back("X-Ratelimit-Reset", std::to_string(reset.time_since_epoch().count()));
  out.headers.emplace_back(
      "Retry-After",
      std::to_string(std::chrono::ceil<std::chrono::seconds>(config.rate_window).count()));
  return out;
}

// 500: 2011 is the documented code of contact create/update, 1003 the
// generic internal error elsewhere (§8).
Response internal_error(std::string_view path) {
  return path.ends_with("/contact") ? envelope(500, 2011, "Database connection error")
                                    : envelope(500, 1003, "Internal error");
}

// 502, 503, 504: the registry documents no replyCode for these, so the body
// is gateway JSON, not an Emarsys envelope; clients must go by the status.
Response gateway_error(int status) {
  const char* message =
      status == 502   ? "After a grace period, repeated unsuccessful queries are ignored for a "
                        "period of time. Ensure that the request is well-formed and try again later."
      : status == 503 ? "The system is overloaded for this resource."
                      : "The upstream server is timing out";
  return json_response(status, Json{{"message", message}});
}

Response connection_reset() {
  Response out;
  out.status = 0;
  out.delivery = Delivery::reset;
  return out;
}

}  // namespace

Response fault_reply(FaultKind kind, const Config& config, std::string_view path,
                     Clock::time_point now) {
  switch (kind) {
    case FaultKind::reset_before:
      return connection_reset();
    case FaultKind::status_429:
      return too_many_requests(config, now);
    case FaultKind::status_500:
      return internal_error(path);
    case FaultKind::status_502:
      return gateway_error(502);
    case FaultKind::status_503:
      return gateway_error(503);
    case FaultKind::status_504:
      return gateway_error(504);
    case FaultKind::status_423:
      return envelope(423, 6028, "Cannot run filters that often");
    default:
      throw std::logic_error("fault_reply: not a refusing fault");
  }
}

std::string hostile_body(HostileReply kind) {
  const std::string head = R"({"replyCode":0,"replyText":"OK","data":)";
  const std::string deep = std::string(k_hostile_depth, '[') + std::string(k_hostile_depth, ']');
  switch (kind) {
    case HostileReply::deep_ids:
      return head + R"({"ids":)" + deep + R"(,"errors":[]}})";
    case HostileReply::deep_error_key:
      return head + R"({"ids":[],"errors":[{"key":)" + deep +
             R"(,"errorCode":2008,"errorMsg":"No contact found"}]}})";
    case HostileReply::huge_open:
      return std::string(k_hostile_bytes, '[');
    case HostileReply::huge_array: {
      std::string body = head + R"({"ids":[1)";
      const std::string tail = "]}}";
      body.reserve(k_hostile_bytes);
      while (body.size() + 2 + tail.size() <= k_hostile_bytes) {
        body += ",1";
      }
      return body + tail;
    }
  }
  throw std::logic_error("hostile_body: unknown kind");
}

void apply_delivery_fault(FaultKind kind, std::chrono::milliseconds slow, Response& response) {
  if (kind == FaultKind::reset_after) {
    response.delivery = Delivery::reset;
  } else if (kind == FaultKind::slow) {
    response.delivery = Delivery::delayed;
    response.delay = slow;
  }
}

}  // namespace emsync::sim
