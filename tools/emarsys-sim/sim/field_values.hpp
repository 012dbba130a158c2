// Validation of one contact field value by its field's type (emarsys-api.md
// §6.4): what makes PUT/POST /contact report a per-contact 2006/2007 and
// leave that contact unwritten.
#pragma once

#include <optional>
#include <string>

#include "sim/field_catalog.hpp"

namespace emsync::sim {

// A per-contact error: replyCode (as the text key Emarsys uses) and message.
struct ContactError {
  std::string code;  // "2007"
  std::string message;
};

// Whether `value` clears a field: "" and null.
bool clears_field(const Json& value);

// nullopt when `value` may be stored in `field`. "" and null are always
// accepted (they clear the field) except on read-only fields.
std::optional<ContactError> check_field_value(const FieldCatalog& catalog, const FieldDef& field,
                                              const Json& value);

// A loose syntax check: one '@', a non-empty local part, a dotted domain,
// no blanks. Used for --validate-email.
bool is_plausible_email(const std::string& email);

// `text` with A-Z lower-cased (case-insensitive email keys).
std::string lower_ascii(std::string text);

}  // namespace emsync::sim
