// Admin request decoding (lib/admin/protocol.hpp) and what dispatch reads of
// a request before it touches any state (lib/service/params.hpp and the
// handlers' own reads in admin_methods.cpp / control_methods.cpp).
//
// Input: one request line as a client would send it.
// Invariants: a decoded request re-encodes to one line that decodes to the
// same method and params; a refused line gets a failure reply that is one
// line; a response carrying the params decodes to them again.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "admin/protocol.hpp"
#include "check.hpp"
#include "config/activation.hpp"
#include "service/params.hpp"

namespace {

using namespace emsync;
using nlohmann::json;

void check_line(const std::string& line) {
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  FUZZ_CHECK(line.find('\n') == line.size() - 1);
}

// The parameters the methods read, with the types they read them as; a value
// of the wrong type throws json::exception, which Service::dispatch answers.
void read_params(const admin::Request& request) {
  try {
    if (auto name = service::string_param(request, "name")) {
      FUZZ_CHECK(!name->empty());
    }
    for (const char* flag : {"full", "force", "wait"}) {
      (void)service::param_or(request, flag, false);
    }
    const int limit = std::clamp(service::param_or(request, "limit", 20), 1, 10000);
    FUZZ_CHECK(limit >= 1 && limit <= 10000);
    (void)service::param_or(request, "run_id", std::int64_t{0});
    const auto& given = request.params.value("activations", json::array());
    if (auto parsed = config::parse_activations(given.dump())) {
      for (const auto& activation : *parsed) {
        FUZZ_CHECK(!activation.name.empty());
      }
    }
  } catch (const json::exception&) {
    // dispatch's "bad parameter" reply
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  auto decoded = admin::decode_request(text);
  if (!decoded) {
    const auto reply = admin::undecodable_request_response(decoded.error());
    FUZZ_CHECK(!reply.ok);
    check_line(admin::encode_response(reply));
    return 0;
  }
  FUZZ_CHECK(!decoded->method.empty());
  FUZZ_CHECK(decoded->params.is_object());

  const std::string line = admin::encode_request(*decoded);
  check_line(line);
  if (line.size() <= admin::k_max_message_bytes) {
    auto again = admin::decode_request(line);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->method == decoded->method);
    FUZZ_CHECK(again->params == decoded->params);
  }

  const std::string reply = admin::encode_response(admin::Response::success(decoded->params));
  check_line(reply);
  if (reply.size() <= admin::k_max_message_bytes) {
    auto response = admin::decode_response(reply);
    FUZZ_CHECK(response.has_value() && response->ok);
    FUZZ_CHECK(response->result == decoded->params);
  }

  read_params(*decoded);
  return 0;
}
