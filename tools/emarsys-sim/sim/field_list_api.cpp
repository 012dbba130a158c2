// GET/POST /field, GET /field/{id}/choice, GET /field/choices, and the contact list endpoints
// GET/POST /contactlist and POST /contactlist/{id}/add (emarsys-api.md §5, §6).
#include "sim/api.hpp"

#include <algorithm>

namespace emsync::sim {
namespace {

bool is_choice_field(const FieldDef* field) {
  return field != nullptr &&
         (field->application_type == "singlechoice" || field->application_type == "multichoice");
}

Json choices_to_json(const FieldCatalog& fields, int id) {
  Json out = Json::array();
  for (const Choice& choice : fields.choices(id)) {
    out.push_back(Json{{"id", choice.id}, {"choice", choice.label}});
  }
  return out;
}

Json list_to_json(const ContactList& list) {
  return Json{
      {"id", std::to_string(list.id)}, {"name", list.name}, {"created", list.created}, {"type", 0}};
}

}  // namespace

Response list_fields(ApiCall& call) { return ok_envelope(call.state.fields.to_json()); }

Response create_field(ApiCall& call) {
  const int id = call.state.fields.create(parse_object_body(call));
  return ok_envelope(Json{{"id", id}});
}

Response list_field_choices(ApiCall& call) {
  const FieldDef* field = call.state.fields.resolve(Json(call.params.at(0)));
  if (!is_choice_field(field)) {
    throw ApiFailure(400, 2006, "Invalid field id: " + call.params.at(0));
  }
  return ok_envelope(choices_to_json(call.state.fields, field->id));
}

// data: {"<field id>": [choices], ...} for each id of ?fields=, comma-separated.
Response list_choices_of_fields(ApiCall& call) {
  const auto fields = call.target.query.find("fields");
  if (fields == call.target.query.end() || fields->second.empty()) {
    throw ApiFailure(400, 2006, "Invalid field id: ");
  }
  Json out = Json::object();
  std::string_view ids = fields->second;
  while (!ids.empty()) {
    const std::string id(ids.substr(0, ids.find(',')));
    ids.remove_prefix(std::min(ids.size(), id.size() + 1));
    const FieldDef* field = call.state.fields.resolve(Json(id));
    if (!is_choice_field(field)) {
      throw ApiFailure(400, 2006, "Invalid field id: " + id);
    }
    out[std::to_string(field->id)] = choices_to_json(call.state.fields, field->id);
  }
  return ok_envelope(out);
}

Response list_contact_lists(ApiCall& call) {
  Json out = Json::array();
  for (const auto& [id, list] : call.state.lists.all()) {
    out.push_back(list_to_json(list));
  }
  return ok_envelope(out);
}

Response create_contact_list(ApiCall& call) {
  const Json body = parse_object_body(call);
  const Json name = body.value("name", Json());
  if (!name.is_string() || name.get<std::string>().empty()) {
    throw ApiFailure(400, 3001, "List name is not set");
  }
  if (call.state.lists.has_name(name.get<std::string>())) {
    throw ApiFailure(400, 3005, "A contact list with this name already exists");
  }
  require_email_key(call.state.fields, body, "key_id", false);
  const Json& emails = external_ids_of(call, body);
  ContactList& list = call.state.lists.create(name.get<std::string>(), call.now);
  Json data{{"id", list.id}};
  if (body.contains("external_ids")) {
    data["errors"] = add_emails_to_list(call.state, list, emails).errors;
  }
  return ok_envelope(data);
}

Response add_to_contact_list(ApiCall& call) {
  ContactList* list = call.state.lists.find(std::stoll(call.params.at(0)));
  if (list == nullptr) {
    throw ApiFailure(404, 3006, "No contact list found with the specified ID");
  }
  const Json body = parse_object_body(call);
  require_email_key(call.state.fields, body, "key_id", false);
  const ListAddOutcome outcome = add_emails_to_list(call.state, *list, external_ids_of(call, body));
  return ok_envelope(Json{{"inserted_contacts", outcome.inserted}, {"errors", outcome.errors}});
}

}  // namespace emsync::sim
