// The Emarsys response envelope {"replyCode","replyText","data"} and its
// classification into Result errors (emarsys-api.md §3, §7, §8) [pure].
//
// The body is parsed whatever the HTTP status and Content-Type. Classes:
//   401, 403                                -> auth_failed
//   429 or replyCode 7003                   -> rate_limited
//   423, 5xx except 501/505, replyCode 2011 -> transient
//   other 4xx/5xx, or 2xx with replyCode≠0  -> rejected
//   a body that is not an envelope          -> protocol_error
// Messages read "Emarsys <METHOD> <endpoint> answered HTTP <status>,
// replyCode <c>: <replyText>" plus what to do; never headers or the body.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync::emarsys {

struct Envelope {
  int reply_code = 0;
  std::string reply_text;
  nlohmann::json data;  // object, array, "", number, false or null
};

// nullopt unless `body` is a JSON object with an integer (or numeric string)
// replyCode.
std::optional<Envelope> parse_envelope(std::string_view body);

// The `data` member of a successful reply (2xx and replyCode 0), else the
// classified error. `method` and `endpoint` only name the call in messages.
Result<nlohmann::json> check_reply(std::string_view method, std::string_view endpoint, int status,
                                   std::string_view body);

}  // namespace emsync::emarsys
