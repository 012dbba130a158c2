// GET/POST /field, GET /field/{id}/choice and GET /field/choices
// (emarsys-api.md §6).
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

}  // namespace emsync::sim
