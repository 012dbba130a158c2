// PUT/POST /contact (create, update, upsert) and POST /contact/getdata, keyed
// by email only (emarsys-api.md §4). Contacts are processed in payload order,
// so with a duplicate email in one batch the later item wins; a contact with
// any error is not written at all.
#include <simdjson.h>

#include <cstdlib>
#include <optional>

#include "sim/api.hpp"

namespace emsync::sim {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t k_max_contacts = 1000;
constexpr std::size_t k_max_put_bytes = 8 * 1024 * 1024;
constexpr std::size_t k_max_post_bytes = 10 * 1024 * 1024;
const std::string k_email_field = "3";

enum class WriteMode { update, upsert, create };

// The outcome for one contact of the payload.
struct ItemOutcome {
  std::string key;  // the email as sent; "" when missing
  std::optional<ContactError> error;
  ContactId id = 0;
  bool created = false;
};

// Keys the contact's values by numeric field id ("email" -> "3") and checks
// each value; the first problem is kept in `error`.
struct CheckedFields {
  Json fields = Json::object();
  std::optional<ContactError> error;
};

CheckedFields check_fields(const FieldCatalog& catalog, Json&& contact) {
  CheckedFields out;
  for (auto& [key, value] : contact.items()) {
    if (key == "source_id") {
      continue;  // contact sources are not simulated
    }
    const FieldDef* field = catalog.resolve(Json(key));
    if (field == nullptr) {
      out.error = out.error ? out.error : ContactError{"2006", "Invalid field id: " + key};
      continue;
    }
    if (!out.error) {
      out.error = check_field_value(catalog, *field, value);
    }
    out.fields[std::to_string(field->id)] = std::move(value);
  }
  return out;
}

ItemOutcome write_contact(State& state, Json&& contact, WriteMode mode) {
  ItemOutcome out;
  CheckedFields checked =
      contact.is_object() ? check_fields(state.fields, std::move(contact)) : CheckedFields{};
  const Json email = checked.fields.value(k_email_field, Json());
  if (!email.is_string() || email.get<std::string>().empty()) {
    out.error = ContactError{"2005", "No value provided for key field: 3"};
    return out;
  }
  out.key = email.get<std::string>();
  if (const ContactError* injected = state.faults.contact_error(out.key)) {
    out.error = *injected;
    return out;
  }
  if (checked.error) {
    out.error = checked.error;
    return out;
  }
  const std::vector<ContactId> matches = state.contacts.find(out.key);
  if (matches.size() > 1) {
    out.error = ContactError{"2010", "More contacts found with the external id: 3 - " + out.key};
  } else if (matches.size() == 1 && mode == WriteMode::create) {
    out.error = ContactError{"2009", "Contact with the external id already exists: 3"};
  } else if (matches.size() == 1) {
    out.id = matches.front();
    state.contacts.update(out.id, std::move(checked.fields));
  } else if (mode == WriteMode::create && state.races.erase(state.contacts.email_key(out.key))) {
    state.contacts.create(Json{{k_email_field, out.key}});  // the other writer's contact
    out.error = ContactError{"2009", "Contact with the external id already exists: 3"};
  } else if (mode == WriteMode::update) {
    out.error = ContactError{"2008", "No contact found with the external id: 3 - " + out.key};
  } else if (state.config.validate_email && !is_plausible_email(out.key)) {
    out.error = ContactError{"2005", "Invalid key field value: invalid email address"};
  } else {
    out.id = state.contacts.create(std::move(checked.fields));
    out.created = true;
  }
  return out;
}

// body["contact_list_id"], when given, must name a list (else 400/2020).
ContactList* target_list(State& state, const Json& body) {
  const auto it = body.find("contact_list_id");
  if (it == body.end() || it->is_null()) {
    return nullptr;
  }
  const std::string text = key_text(*it);
  char* end = nullptr;
  const long long id = std::strtoll(text.c_str(), &end, 10);
  ContactList* list = *end == '\0' && !text.empty() ? state.lists.find(id) : nullptr;
  if (list == nullptr) {
    throw ApiFailure(400, 2020, "Invalid contact list id: " + text);
  }
  return list;
}

// The single-contact ("flat") form: the body minus the request options.
Json flat_contact(const Json& body) {
  Json contact = body;
  for (const char* option : {"key_id", "contact_list_id", "source_id"}) {
    contact.erase(option);
  }
  return contact;
}

// A parsed value as Json. Object members keep their order; a repeated key
// keeps its first place and its last value, as with Json::parse.
Json to_json(dom::element value) {
  switch (value.type()) {
    case dom::element_type::ARRAY: {
      Json out = Json::array();
      const dom::array items = value.get_array().value_unsafe();
      for (const dom::element item : items) {
        out.push_back(to_json(item));
      }
      return out;
    }
    case dom::element_type::OBJECT: {
      Json out = Json::object();
      const dom::object members = value.get_object().value_unsafe();
      for (const dom::key_value_pair member : members) {
        out[std::string(member.key)] = to_json(member.value);
      }
      return out;
    }
    case dom::element_type::INT64:
      return value.get_int64().value_unsafe();
    case dom::element_type::UINT64:
      return value.get_uint64().value_unsafe();
    case dom::element_type::DOUBLE:
      return value.get_double().value_unsafe();
    case dom::element_type::STRING:
      return std::string(value.get_string().value_unsafe());
    case dom::element_type::BOOL:
      return value.get_bool().value_unsafe();
    case dom::element_type::NULL_VALUE:
      break;
  }
  return nullptr;
}

// The body of a contact write, parsed with simdjson: a batch is read several
// times faster than into Json values, and each contact becomes a Json value
// only while it is written (as Json, a whole batch cost the simulator most of
// a benchmark's first run). Throws 400/1010 when the body is not an object.
dom::object parse_write_body(const ApiCall& call, dom::parser& parser) {
  auto parsed = parser.parse(call.request.body);
  std::string normalized;
  if (parsed.error() == simdjson::NUMBER_ERROR) {
    // Numbers beyond 64 bits, which Json::parse reads as doubles: such a
    // body goes through Json first, to be answered as before.
    normalized = parse_object_body(call).dump();
    parsed = parser.parse(normalized);
  }
  dom::object body;
  if (parsed.get(body) != simdjson::SUCCESS) {
    throw ApiFailure(400, 1010, "Invalid request payload (not JSON)");
  }
  return body;
}

// A write's contacts: the batch's array, or the flat form's one contact.
class PayloadContacts {
 public:
  explicit PayloadContacts(dom::array batch) : m_batch(batch) {}
  explicit PayloadContacts(Json flat) : m_flat(std::move(flat)) {}

  std::size_t size() const { return m_flat ? 1 : m_batch.size(); }
  bool flat() const { return m_flat.has_value(); }

  // Calls visit(Json) with each contact, in payload order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    if (m_flat) {
      visit(Json(*m_flat));
      return;
    }
    for (const dom::element item : m_batch) {
      visit(to_json(item));
    }
  }

  Json to_json_array() const {
    Json out = Json::array();
    for_each([&out](Json contact) { out.push_back(std::move(contact)); });
    return out;
  }

 private:
  dom::array m_batch;
  std::optional<Json> m_flat;
};

Response write_contacts(ApiCall& call, WriteMode mode, std::size_t max_bytes) {
  if (call.request.body.size() > max_bytes) {
    throw ApiFailure(413, 1001,
                     "The request payload exceeds the maximum size of " +
                         std::to_string(max_bytes >> 20) + " MB");
  }
  thread_local dom::parser parser;  // keeps its buffers from one request to the next
  const dom::object body = parse_write_body(call, parser);
  Json options = Json::object();  // every member but "contacts"
  std::optional<dom::element> batch_member;
  for (const dom::key_value_pair member : body) {
    if (member.key == "contacts") {
      batch_member = member.value;
    } else {
      options[std::string(member.key)] = to_json(member.value);
    }
  }
  require_email_key(call.state.fields, options, "key_id", false);
  dom::array batch;
  if (batch_member && batch_member->get(batch) != simdjson::SUCCESS) {
    throw ApiFailure(400, 1001, "One or more parameters are invalid or missing");
  }
  const PayloadContacts contacts =
      batch_member ? PayloadContacts(batch) : PayloadContacts(flat_contact(options));
  const bool flat = contacts.flat();
  if (call.state.config.log_payloads) {
    log_payload(call, "contacts", contacts.to_json_array());
  }
  if (contacts.size() > k_max_contacts) {
    throw ApiFailure(400, 1000, "The request exceeded the maximum batch size of 1,000");
  }
  ContactList* list = target_list(call.state, options);
  if (call.state.faults.poisons_keys()) {
    contacts.for_each([&call](const Json& contact) {
      if (const std::optional<std::string> poisoned = call.state.faults.poisoned(contact)) {
        // The injected "poison" fault: one bad key value fails the whole batch.
        throw ApiFailure(400, 2005, "Invalid key field value: " + *poisoned);
      }
    });
  }
  Json ids = Json::array();
  Json errors = Json::object();
  contacts.for_each([&](Json contact) {
    const ItemOutcome item = write_contact(call.state, std::move(contact), mode);
    if (item.error && flat) {
      throw ApiFailure(400, std::atoi(item.error->code.c_str()), item.error->message);
    }
    if (item.error) {
      errors[item.key][item.error->code] = item.error->message;
      return;
    }
    if (list != nullptr) {
      add_member(*list, item.id);
    }
    // Recorded quirk: new contacts' ids are ints, existing ones' strings; the
    // flat form's {"id": N} is an int either way (documented examples).
    ids.push_back(item.created || flat ? Json(item.id) : Json(std::to_string(item.id)));
  });
  Json data = flat ? Json{{"id", ids.front()}} : Json{{"ids", ids}};
  if (!errors.empty()) {
    data["errors"] = errors;  // recorded quirk: absent when nothing failed
  }
  Response response = ok_envelope(data);
  response.content_type = "text/html; charset=utf-8";  // recorded quirk
  return response;
}

// getdata values are strings ("1" for 1), null when empty; arrays as they are.
Json getdata_value(const Json& values, const std::string& field) {
  const auto it = values.find(field);
  if (it == values.end() || it->is_null()) {
    return nullptr;
  }
  return it->is_string() || it->is_array() ? *it : Json(it->dump());
}

std::vector<std::string> requested_fields(const FieldCatalog& catalog, const Json& body) {
  const Json fields = body.value("fields", Json::array());
  if (!fields.is_array()) {
    throw ApiFailure(400, 10001, "Fields must be an array");
  }
  std::vector<std::string> out;
  for (const Json& field : fields.empty() ? catalog.to_json() : fields) {
    const Json& key = field.is_object() ? field["id"] : field;
    const FieldDef* def = catalog.resolve(key);
    out.push_back(def != nullptr ? std::to_string(def->id) : key_text(key));
  }
  return out;
}

}  // namespace

Response update_contacts(ApiCall& call) {
  const auto create = call.target.query.find("create_if_not_exists");
  const bool upsert = create != call.target.query.end() && create->second == "1";
  return write_contacts(call, upsert ? WriteMode::upsert : WriteMode::update, k_max_put_bytes);
}

Response create_contacts(ApiCall& call) {
  return write_contacts(call, WriteMode::create, k_max_post_bytes);
}

Response get_contact_data(ApiCall& call) {
  const Json body = parse_object_body(call);
  require_email_key(call.state.fields, body, "keyId", true);
  const auto keys = body.find("keyValues");
  if (keys == body.end()) {
    throw ApiFailure(400, 10001, "Missing parameter: keyValues");
  }
  if (!keys->is_array()) {
    throw ApiFailure(400, 10001, "keyValues must be an array");
  }
  log_payload(call, "key_values", *keys);
  if (keys->size() > k_max_contacts) {
    throw ApiFailure(400, 10001, "Max. number of contacts: 1000");
  }
  const std::vector<std::string> fields = requested_fields(call.state.fields, body);
  Json result = Json::array();
  Json errors = Json::array();
  for (const Json& key : *keys) {
    const std::vector<ContactId> matches = key.is_string()
                                               ? call.state.contacts.find(key.get<std::string>())
                                               : std::vector<ContactId>();
    if (matches.size() != 1) {
      const int code = matches.empty() ? 2008 : 2010;
      errors.push_back(
          Json{{"key", key_text(key)},
               {"errorCode", code},
               {"errorMsg", matches.empty() ? "No contact found with the external id: 3"
                                            : "More contacts found with the external id: 3"}});
      continue;
    }
    const Contact& contact = call.state.contacts.get(matches.front());
    const Json values = contact.fields();
    Json row{{"id", std::to_string(contact.id)}, {"uid", contact.uid}};
    for (const std::string& field : fields) {
      row[field] = getdata_value(values, field);
    }
    result.push_back(std::move(row));
  }
  return ok_envelope(Json{{"errors", errors}, {"result", result.empty() ? Json(false) : result}});
}

}  // namespace emsync::sim
