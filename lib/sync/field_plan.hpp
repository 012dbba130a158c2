// Field planning: which Emarsys field each mapped column of an activation
// writes to, checked against the account's fields (GET /field). Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/activation.hpp"
#include "core/result.hpp"
#include "emarsys/api_types.hpp"
#include "source/row_source.hpp"
#include "sync/choices.hpp"
#include "sync/convert.hpp"
#include "sync/diff.hpp"

namespace emsync::sync {

struct PlannedField {
  std::string column;
  source::ColumnType column_type = source::ColumnType::text;
  std::int64_t field_id = 0;
  FieldType type = FieldType::longtext;
  std::string state_key;  // "<column>><field id>": a remap starts the field afresh
  std::string field_name;  // as Emarsys names it, for messages
  config::OnValueTooLong on_value_too_long = config::OnValueTooLong::reject_row;
  // A choice field's choices, read once per run (set by the run after
  // plan_fields(), shared by the run's threads).
  std::shared_ptr<const ChoiceTable> choices;
};

// One value of a planned field, converted.
struct FieldValue {
  std::optional<std::string> json;  // the JSON to send; nullopt: NULL, or skipped
  // Longer than the field allows, and left out of the contact
  // (on_value_too_long: skip_field): neither sent nor cleared.
  bool skipped = false;
};

// Converts a value of `field`'s column: convert_value(), or for a choice
// field convert_single_choice() / convert_multi_choice() with its choices.
// A text longer than the field allows is skipped under skip_field (rejected
// under reject_row). Errors: those of the conversions (Errc::not_found: a
// label or id that is no choice of the field); Errc::invalid_input for a
// choice field whose choices were not read.
Result<FieldValue> convert_field(const source::Value& value, const PlannedField& field);

// One warning per field with values left out for being too long
// (`skipped` follows `plan`: BatchPreparer::skipped_values()), e.g. "3 values
// of column 'note' were longer than Emarsys field 1001 'note' (longtext)
// allows (255 characters) and were left out (on_value_too_long:
// skip_field)". None when nothing was skipped.
std::vector<std::string> skipped_value_warnings(const std::vector<PlannedField>& plan,
                                                const std::vector<std::int64_t>& skipped);

// The mapped columns, in the order the run keeps their values: `fields`
// first, then `custom_attributes`.
std::vector<std::string> mapped_columns(const config::Activation& activation);

struct FieldToCreate {
  std::string name;
  std::string application_type;
};

// Custom attributes that have no Emarsys field of the same name
// (case-insensitive) yet, with the type each is created with: the
// attribute's own, else custom_field_type_for() its column.
// `columns` are the model's columns in mapped_columns() order.
std::vector<FieldToCreate> missing_custom_fields(const config::Activation& activation,
                                                 const std::vector<source::Column>& columns,
                                                 const std::vector<emarsys::Field>& fields);

// Resolves every mapped column to a field. A string reference matches
// string_id first, then name, case-insensitively. Errors name the activation,
// the column and the reference: unknown, ambiguous, the email field (3), or a
// field type emsync cannot write. Choice fields come without their choices.
Result<std::vector<PlannedField>> plan_fields(const config::Activation& activation,
                                              const std::vector<source::Column>& columns,
                                              const std::vector<emarsys::Field>& fields);

// One row's mapped values converted for their planned fields
// (convert_field), as a run diffs them: `values` holds one value per planned
// field, in plan order. The first value that does not convert is the error
// (convert_field's; rejection_code() names it for the row's rejection).
Result<std::vector<MappedValue>> mapped_values(const std::vector<PlannedField>& plan,
                                               std::span<const source::Value> values);

// The code a row is rejected with when mapped_values() fails with `error`:
// "unknown_choice" for a choice Emarsys does not have, else "invalid_value".
std::string rejection_code(const Error& error);

}  // namespace emsync::sync
