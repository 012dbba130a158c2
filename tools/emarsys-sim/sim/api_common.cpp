// Payload checks shared by the /api handlers (see api.hpp).
#include "sim/api.hpp"

namespace emsync::sim {
namespace {

constexpr std::size_t k_max_list_ids = 10000;

}  // namespace

Json parse_object_body(const ApiCall& call) {
  Json body = Json::parse(call.request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw ApiFailure(400, 1010, "Invalid request payload (not JSON)");
  }
  return body;
}

void require_email_key(const FieldCatalog& fields, const Json& body, std::string_view member,
                       bool required) {
  const auto it = body.find(member);
  if (it == body.end() && !required) {
    return;
  }
  const FieldDef* field = it == body.end() ? nullptr : fields.resolve(*it);
  if (field == nullptr || field->id != 3) {
    throw ApiFailure(400, 2004,
                     "Invalid key field id: " + (it == body.end() ? std::string() : key_text(*it)));
  }
}

const Json& external_ids_of(const ApiCall& call, const Json& body) {
  static const Json k_none = Json::array();
  const auto it = body.find("external_ids");
  if (it == body.end()) {
    return k_none;
  }
  if (!it->is_array()) {
    throw ApiFailure(400, 3003, "Invalid datatype for the list of external ids. Array expected");
  }
  log_payload(call, "external_ids", *it);
  if (it->size() > k_max_list_ids) {
    throw ApiFailure(400, 3002, "The list of external IDs exceeds the maximum size (10,000)");
  }
  return *it;
}

std::string key_text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

void log_payload(const ApiCall& call, const char* name, const Json& payload) {
  if (call.state.config.log_payloads) {
    call.log[name] = payload;
  }
}

}  // namespace emsync::sim
