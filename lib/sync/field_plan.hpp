// Field planning: which Emarsys field each mapped column of an activation
// writes to, checked against the account's fields (GET /field). Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/activation.hpp"
#include "core/result.hpp"
#include "emarsys/api_types.hpp"
#include "source/row_source.hpp"
#include "sync/convert.hpp"
#include "sync/diff.hpp"

namespace emsync::sync {

struct PlannedField {
  std::string column;
  source::ColumnType column_type = source::ColumnType::text;
  std::int64_t field_id = 0;
  FieldType type = FieldType::longtext;
  std::string state_key;  // "<column>><field id>": a remap starts the field afresh
};

// The mapped columns, in the order the run keeps their values: `fields`
// first, then `custom_attributes`.
std::vector<std::string> mapped_columns(const config::Activation& activation);

struct FieldToCreate {
  std::string name;
  std::string application_type;
};

// Custom attributes that have no Emarsys field of the same name
// (case-insensitive) yet. `column_types` follows mapped_columns().
std::vector<FieldToCreate> missing_custom_fields(const config::Activation& activation,
                                                 const std::vector<source::ColumnType>& column_types,
                                                 const std::vector<emarsys::Field>& fields);

// Resolves every mapped column to a field. A string reference matches
// string_id first, then name, case-insensitively. Errors name the activation,
// the column and the reference: unknown, ambiguous, the email field (3), or a
// field type emsync cannot write.
Result<std::vector<PlannedField>> plan_fields(const config::Activation& activation,
                                              const std::vector<source::ColumnType>& column_types,
                                              const std::vector<emarsys::Field>& fields);

// One row's mapped values converted for their planned fields, as a run
// diffs them: `values` holds one value per planned field, in plan order. The
// first value that does not convert is the error (Errc::invalid_input,
// naming the column and the reason).
Result<std::vector<MappedValue>> mapped_values(const std::vector<PlannedField>& plan,
                                               std::span<const source::Value> values);

}  // namespace emsync::sync
