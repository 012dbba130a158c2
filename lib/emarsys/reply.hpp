// The Emarsys response envelope {"replyCode","replyText","data"} and its
// classification into Result errors (emarsys-api.md §3, §7, §8) [pure].
//
// The body is parsed whatever the HTTP status and Content-Type. Classes:
//   401, 403                                -> auth_failed
//   429 or replyCode 7003                   -> rate_limited
//   423, 5xx except 501/505, replyCode 2011 -> transient
//   other 4xx/5xx, or 2xx with replyCode≠0  -> rejected
//   a body that is not an envelope          -> protocol_error (transient for 5xx)
// Messages read "Emarsys <METHOD> <endpoint> answered HTTP <status>,
// replyCode <c>: <replyText>" plus what to do; never headers or the body.
//
// A reply's memory is bounded: its body is read up to the call's limit
// below (more is Errc::protocol_error naming the limit, see http.hpp), and
// parsed only when nested at most 64 deep with at most one JSON value per
// 16 bytes of that limit (reply_json_limits), so its tree costs at most a
// few times the limit (about 80 bytes per value in the worst case).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_limits.hpp"
#include "core/result.hpp"

namespace emsync::emarsys {

// PUT/POST /contact and POST /contactlist/{id}/add (the reply of a 1000
// contact batch is ~0.1 MB, ~0.6 MB with an error for every contact), and
// GET /contactlist (~90 bytes a list).
inline constexpr std::size_t k_bulk_reply_limit = std::size_t{4} << 20;
// GET /field (~100 bytes a field) and choice lists (~60 bytes a choice).
inline constexpr std::size_t k_field_list_reply_limit = std::size_t{1} << 20;
// POST /field, the OAuth token reply.
inline constexpr std::size_t k_small_reply_limit = std::size_t{64} << 10;

// The parse limits of a reply whose body may have `body_limit` bytes:
// depth 64, body_limit / 16 values.
JsonLimits reply_json_limits(std::size_t body_limit);

struct Envelope {
  int reply_code = 0;
  std::string reply_text;
  nlohmann::json data;  // object, array, "", number, false or null
};

// The envelope when `body` is a JSON object within `limits` with an integer
// (or numeric string) replyCode; else Errc::protocol_error saying which of
// these it is not (never quoting the body).
Result<Envelope> parse_envelope(std::string_view body, const JsonLimits& limits = {});

// The `data` member of a successful reply (2xx and replyCode 0), else the
// classified error. `method` and `endpoint` only name the call in messages.
Result<nlohmann::json> check_reply(std::string_view method, std::string_view endpoint, int status,
                                   std::string_view body, const JsonLimits& limits = {});

}  // namespace emsync::emarsys
