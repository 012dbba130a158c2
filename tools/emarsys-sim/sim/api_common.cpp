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

ListAddOutcome add_emails_to_list(State& state, ContactList& list, const Json& emails) {
  ListAddOutcome out;
  for (const Json& email : emails) {
    const std::string key = key_text(email);
    const std::vector<ContactId> matches =
        email.is_string() ? state.contacts.find(key) : std::vector<ContactId>();
    if (matches.size() != 1) {
      if (!out.errors.is_object()) {
        out.errors = Json::object();
      }
      out.errors[key] =
          matches.empty() ? Json{{"2008", "No contact found with the external id: 3 - " + key}}
                          : Json{{"2010", "More contacts found with the external id: 3 - " + key}};
      continue;
    }
    out.inserted += add_member(list, matches.front()) ? 1 : 0;
  }
  return out;
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
