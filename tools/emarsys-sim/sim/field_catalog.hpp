// The contact fields of the simulated account: the Emarsys system fields
// 0..48 (emarsys-api.md §6.5), their single-choice options, and custom fields
// (ids from 1000 up) created through POST /field, or through POST
// /sim/fields as the Emarsys UI would (any type, choice fields with their
// choices).
//
// Not thread-safe: the Simulator calls it under its mutex.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/http.hpp"

namespace emsync::sim {

struct FieldDef {
  int id = 0;
  std::string name;
  std::string application_type;  // "shorttext", "singlechoice", "special", ...
  std::string string_id;         // "" when none
  bool read_only = false;
};

struct Choice {
  std::string id;  // choice ids are strings in /field/{id}/choice
  std::string label;
};

class FieldCatalog {
 public:
  FieldCatalog();

  // nullptr when unknown.
  const FieldDef* find(int id) const;

  // A field key as used in contact objects and key_id: a decimal id ("3",
  // 3) or a string_id ("email"). nullptr when it names no field.
  const FieldDef* resolve(const Json& key) const;

  // The options of a single- or multi-choice field (empty for fields
  // without a table).
  const std::vector<Choice>& choices(int id) const;

  // All fields (system, then custom), as GET /field returns them.
  Json to_json() const;

  // Custom fields only, for the state dump.
  Json custom_to_json() const;

  // POST /field. Returns the new id; throws ApiFailure 9002/9005/9006.
  int create(const Json& body);

  // POST /sim/fields: {"name", "application_type", "choices": ["label", ...]}
  // with any application_type ("multichoice" too); the choices get ids "1",
  // "2", ... in order. Returns the new id; throws ApiFailure 9002/9005 (as
  // POST /field) or 9006 for choices on a field that is no choice field.
  int create_any(const Json& body);

  // Drops the custom fields.
  void reset();

 private:
  int add_custom(const Json& body, bool any_type);

  std::vector<FieldDef> m_fields;  // system fields first, then custom by id
  std::map<int, std::vector<Choice>> m_custom_choices;  // of custom choice fields
  int m_next_custom_id = 1000;
};

// GET /field JSON for one field.
Json field_to_json(const FieldDef& field);

}  // namespace emsync::sim
