#include "emarsys/reply.hpp"

#include <climits>

#include "emarsys/reply_data.hpp"

namespace emsync::emarsys {
namespace {

// replyText is shown to operators; a runaway one is cut here.
constexpr std::size_t k_max_reply_text = 300;

constexpr int k_reply_rate_limited = 7003;
constexpr int k_reply_database_error = 2011;

Errc classify_status(int status, int reply_code) {
  if (status == 401 || status == 403) {
    return Errc::auth_failed;
  }
  if (status == 429 || reply_code == k_reply_rate_limited) {
    return Errc::rate_limited;
  }
  const bool server_busy = status == 423 || (status >= 500 && status != 501 && status != 505);
  if (server_busy || reply_code == k_reply_database_error) {
    return Errc::transient;
  }
  return Errc::rejected;
}

const char* advice(Errc code) {
  switch (code) {
    case Errc::auth_failed:
      return "; check the API user and secret (or OAuth client), the user's permission for this "
             "endpoint and, for WSSE, that the system clock is right (within 5 minutes)";
    case Errc::rate_limited:
      return "; the API user's rate limit is exhausted, lower rate_limit_per_minute or wait";
    case Errc::transient:
      return "; Emarsys is busy or failing, retry later";
    default:
      return "";  // rejected: the replyText says what was wrong with the request
  }
}

std::string call_name(std::string_view method, std::string_view endpoint, int status) {
  return "Emarsys " + std::string(method) + " " + std::string(endpoint) + " answered HTTP " +
         std::to_string(status);
}

Error unparseable(std::string_view method, std::string_view endpoint, int status, std::size_t size,
                  std::string_view why) {
  const Errc code = status >= 500 ? Errc::transient : Errc::protocol_error;
  Error error =
      make_error(code, call_name(method, endpoint, status) + " with a " + std::to_string(size) +
                           "-byte body that is not an Emarsys reply (" + std::string(why) +
                           "); check api_url");
  error.http_status = status;
  return error;
}

Error not_an_envelope(std::string why) { return make_error(Errc::protocol_error, std::move(why)); }

}  // namespace

JsonLimits reply_json_limits(std::size_t body_limit) {
  return JsonLimits{k_max_json_depth, body_limit / 16};
}

Result<Envelope> parse_envelope(std::string_view body, const JsonLimits& limits) {
  auto parsed = parse_json_bounded(body, limits);
  if (!parsed) {
    // A syntax error's message quotes the body: only a limit is named.
    return not_an_envelope(parsed.error().code == Errc::invalid_input ? parsed.error().message
                                                                      : "not JSON");
  }
  nlohmann::json& json = *parsed;
  if (!json.is_object()) {
    return not_an_envelope("not a JSON object");
  }
  const auto code = json.find("replyCode");
  const auto reply_code = code == json.end() ? std::nullopt : json_int(*code);
  if (!reply_code || *reply_code < INT_MIN || *reply_code > INT_MAX) {
    return not_an_envelope("no integer replyCode");
  }
  Envelope envelope;
  envelope.reply_code = static_cast<int>(*reply_code);
  if (const auto text = json.find("replyText"); text != json.end() && text->is_string()) {
    envelope.reply_text = text->get<std::string>().substr(0, k_max_reply_text);
  }
  if (const auto data = json.find("data"); data != json.end()) {
    envelope.data = std::move(*data);
  }
  return envelope;
}

Result<nlohmann::json> check_reply(std::string_view method, std::string_view endpoint, int status,
                                   std::string_view body, const JsonLimits& limits) {
  auto envelope = parse_envelope(body, limits);
  const bool success_status = status >= 200 && status < 300;
  if (!envelope) {
    const bool status_decides = status == 401 || status == 403 || status == 423 || status == 429;
    if (!status_decides || success_status) {
      return unparseable(method, endpoint, status, body.size(), envelope.error().message);
    }
  }
  if (envelope && success_status && envelope->reply_code == 0) {
    return std::move(envelope->data);
  }
  const int reply_code = envelope ? envelope->reply_code : 0;
  const Errc code = classify_status(status, reply_code);
  std::string message = call_name(method, endpoint, status);
  if (envelope) {
    message += ", replyCode " + std::to_string(reply_code) + ": " + envelope->reply_text;
  }
  Error error = make_error(code, message + advice(code));
  error.http_status = status;
  error.reply_code = reply_code;
  return error;
}

}  // namespace emsync::emarsys
