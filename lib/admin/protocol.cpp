#include "admin/protocol.hpp"

#include <utility>

namespace emsync::admin {
namespace {

using nlohmann::json;

// One line: compact JSON (which escapes every newline) plus '\n'.
std::string to_line(const json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
}

std::string_view strip_newline(std::string_view line) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
  }
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

// Parses one message line into an object carrying our protocol number.
// `errc` is the code for malformed input (the server and the client blame
// different sides); a foreign protocol number is always Errc::protocol_error.
Result<json> parse_envelope(std::string_view line, Errc errc) {
  if (line.size() > k_max_message_bytes) {
    return make_error(errc,
                      "message longer than " + std::to_string(k_max_message_bytes) + " bytes");
  }
  auto parsed = parse_json(strip_newline(line));
  if (!parsed) {
    return make_error(errc, parsed.error().message);
  }
  json& message = *parsed;
  if (!message.is_object()) {
    return make_error(errc, "message is not a JSON object");
  }
  auto protocol = message.find("protocol");
  if (protocol == message.end() || !protocol->is_number_integer()) {
    return make_error(errc, "message has no integer \"protocol\"");
  }
  if (protocol->get<std::int64_t>() != k_protocol_version) {
    return make_error(Errc::protocol_error, "protocol " + protocol->dump() +
                                                " is not supported (this side speaks " +
                                                std::to_string(k_protocol_version) + ")");
  }
  return std::move(message);
}

}  // namespace

Response Response::success(nlohmann::json result) {
  return Response{true, std::move(result), {}, {}};
}

Response Response::failure(std::string code, std::string message) {
  return Response{false, nullptr, std::move(code), std::move(message)};
}

Response Response::from_error(const Error& error) {
  return failure(to_string(error.code), error.message);
}

Result<nlohmann::json> parse_json(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    std::string_view what = e.what();
    auto prefix_end = what.find("] ");
    if (prefix_end != std::string_view::npos) {
      what.remove_prefix(prefix_end + 2);
    }
    return make_error(Errc::invalid_input, std::string(what));
  }
}

std::string encode_request(const Request& request) {
  json params = request.params.is_null() ? json::object() : request.params;
  return to_line({{"protocol", k_protocol_version},
                  {"method", request.method},
                  {"params", std::move(params)}});
}

Result<Request> decode_request(std::string_view line) {
  auto message = parse_envelope(line, Errc::invalid_input);
  if (!message) {
    return message.error();
  }
  auto method = message->find("method");
  if (method == message->end() || !method->is_string() ||
      method->get_ref<const std::string&>().empty()) {
    return make_error(Errc::invalid_input, "request has no \"method\" string");
  }
  Request request{method->get<std::string>()};
  if (auto params = message->find("params"); params != message->end()) {
    if (!params->is_object()) {
      return make_error(Errc::invalid_input, "request \"params\" is not an object");
    }
    request.params = std::move(*params);
  }
  return request;
}

Response undecodable_request_response(const Error& decode_error) {
  const char* code =
      decode_error.code == Errc::protocol_error ? k_unsupported_protocol : "invalid_input";
  return Response::failure(code, decode_error.message);
}

std::string encode_response(const Response& response) {
  json message = {{"protocol", k_protocol_version}, {"ok", response.ok}};
  if (response.ok) {
    message["result"] = response.result;
  } else {
    message["error"] = {{"code", response.error_code}, {"message", response.error_message}};
  }
  return to_line(message);
}

Result<Response> decode_response(std::string_view line) {
  auto message = parse_envelope(line, Errc::protocol_error);
  if (!message) {
    return message.error();
  }
  auto ok = message->find("ok");
  if (ok == message->end() || !ok->is_boolean()) {
    return make_error(Errc::protocol_error, "response has no boolean \"ok\"");
  }
  if (ok->get<bool>()) {
    auto result = message->find("result");
    return Response::success(result == message->end() ? json() : std::move(*result));
  }
  auto error = message->find("error");
  if (error == message->end() || !error->is_object() || !error->value("code", json()).is_string() ||
      !error->value("message", json()).is_string()) {
    return make_error(Errc::protocol_error, "failed response has no \"error\" {code, message}");
  }
  return Response::failure((*error)["code"].get<std::string>(),
                           (*error)["message"].get<std::string>());
}

}  // namespace emsync::admin
