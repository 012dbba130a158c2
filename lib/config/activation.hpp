// An activation: a model (SQL query on a source) sent to an Emarsys
// destination on a schedule.
//
//   { "name": "crm-contacts", "source": "warehouse", "destination": "emarsys",
//     "query": "SELECT email, first_name, tier FROM crm.customers",
//     "email_column": "email",
//     "fields": { "first_name": 1, "city": "city" },
//     "custom_attributes": [ "tier", {"column": "note", "type": "largetext"} ],
//     "insert_new_contacts": true,
//     "schedule": "daily 07:00", "timezone": "Europe/Paris" }
//
// Defaults: email_column "email", insert_new_contacts false, schedule
// "manual", timezone "UTC", fields {} and custom_attributes []. The schedule
// and its timezone (an IANA name) are checked by schedule::parse_schedule.
// Unknown keys are errors naming the key. A column may be mapped only once
// (fields and custom_attributes together), and never the email column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/config.hpp"
#include "core/result.hpp"

namespace emsync::config {

// A reference to an existing Emarsys field: its id, or a name matched with
// string_id first, then name, case-insensitively.
using FieldRef = std::variant<std::int64_t, std::string>;

struct FieldMapping {
  std::string column;
  FieldRef field;
};

struct CustomAttribute {
  std::string column;               // also the Emarsys field name
  std::optional<std::string> type;  // shorttext|longtext|largetext|url|numeric|date
};

struct Activation {
  std::string name;  // [A-Za-z0-9._-]{1,64}
  std::string source;
  std::string destination;
  std::string query;
  std::string email_column = "email";
  std::vector<FieldMapping> fields;  // by column name (JSON object keys come sorted)
  std::vector<CustomAttribute> custom_attributes;
  bool insert_new_contacts = false;
  std::string schedule = "manual";
  std::string timezone = "UTC";  // IANA name the schedule's times are read in
  // Safety valve: a run that would clear a field on more than this share of
  // the activation's known contacts stops before sending (run --force sends).
  int max_clear_percent = 10;
};

// Validates one activation object. Errors start with the activation's name
// when known: "activation 'crm': unknown key 'feilds'". `value` must come
// from a bounded parse (core/json_limits.hpp): it is dumped, which recurses.
Result<Activation> parse_activation(const nlohmann::json& value);
// Accepts one activation object or an array of them (names must be unique).
// Every activation is validated; the error lists every problem.
Result<std::vector<Activation>> parse_activations(std::string_view json_text);
// Checks that the source and destination exist in `config`.
Result<void> check_references(const Activation& activation, const Config& config);

// Canonical JSON (with defaults filled in), as stored and shown.
nlohmann::json to_json(const Activation& activation);

}  // namespace emsync::config
