#include "sync/field_plan.hpp"

#include <algorithm>
#include <cctype>

#include "sync/utf8.hpp"

namespace emsync::sync {

namespace {

constexpr std::int64_t k_email_field_id = 3;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<const emarsys::Field*> matching(const std::vector<emarsys::Field>& fields,
                                            const std::string& ref, bool by_string_id) {
  std::vector<const emarsys::Field*> out;
  for (const auto& field : fields) {
    const std::string& candidate = by_string_id ? field.string_id : field.name;
    if (!candidate.empty() && iequals(candidate, ref)) {
      out.push_back(&field);
    }
  }
  return out;
}

Result<const emarsys::Field*> find_by_reference(const std::vector<emarsys::Field>& fields,
                                                const std::string& ref, const std::string& where) {
  for (bool by_string_id : {true, false}) {
    auto found = matching(fields, ref, by_string_id);
    if (found.size() == 1) {
      return found.front();
    }
    if (found.size() > 1) {
      return make_error(Errc::invalid_input,
                        where + ": field '" + ref + "' is ambiguous (" +
                            std::to_string(found.size()) + " Emarsys fields match by " +
                            (by_string_id ? "string_id" : "name") + "); map it by field id");
    }
  }
  return make_error(Errc::invalid_input, where + ": no Emarsys field has string_id or name '" +
                                             ref + "'; check GET /field or map it by field id");
}

Result<const emarsys::Field*> find_by_id(const std::vector<emarsys::Field>& fields,
                                         std::int64_t id, const std::string& where) {
  auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.id == id; });
  if (it == fields.end()) {
    return make_error(Errc::invalid_input,
                      where + ": Emarsys has no field with id " + std::to_string(id));
  }
  return &*it;
}

const emarsys::Field* find_by_name(const std::vector<emarsys::Field>& fields,
                                   const std::string& name) {
  auto found = matching(fields, name, false);
  return found.empty() ? nullptr : found.front();
}

Result<PlannedField> plan_one(const std::string& column, source::ColumnType column_type,
                              const emarsys::Field& field, const std::string& where,
                              config::OnValueTooLong on_value_too_long) {
  if (field.id == k_email_field_id) {
    return make_error(Errc::invalid_input,
                      where + ": field 3 (email) is the contact key; it cannot be mapped");
  }
  const FieldType type = field_type_of(field.id, field.application_type);
  if (type == FieldType::unsupported) {
    return make_error(Errc::invalid_input,
                      where + ": Emarsys field " + std::to_string(field.id) + " '" + field.name +
                          "' has type '" + field.application_type +
                          "', which emsync cannot write; map another field");
  }
  return PlannedField{.column = column,
                      .column_type = column_type,
                      .field_id = field.id,
                      .type = type,
                      .state_key = column + ">" + std::to_string(field.id),
                      .field_name = field.name,
                      .on_value_too_long = on_value_too_long,
                      .choices = nullptr};
}

}  // namespace

Result<FieldValue> convert_field(const source::Value& value, const PlannedField& field) {
  if (field.type == FieldType::singlechoice || field.type == FieldType::multichoice) {
    if (!field.choices) {
      return make_error(Errc::invalid_input, "column '" + field.column + "': the choices of field " +
                                                 std::to_string(field.field_id) + " were not read");
    }
    auto json = field.type == FieldType::singlechoice
                    ? convert_single_choice(value, field.column_type, *field.choices, field.column)
                    : convert_multi_choice(value, field.column_type, *field.choices, field.column);
    if (!json) {
      return json.error();
    }
    return FieldValue{std::move(*json), false};
  }
  if (const auto limit = text_limit(field.type);
      value && limit && field.on_value_too_long == config::OnValueTooLong::skip_field) {
    if (const auto length = utf8_length(*value); length && *length > *limit) {
      return FieldValue{std::nullopt, true};
    }
  }
  auto json = convert_value(value, field.column_type, field.type, field.column);
  if (!json) {
    return json.error();
  }
  return FieldValue{std::move(*json), false};
}

std::vector<std::string> skipped_value_warnings(const std::vector<PlannedField>& plan,
                                                const std::vector<std::int64_t>& skipped) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < plan.size() && i < skipped.size(); ++i) {
    if (skipped[i] == 0) {
      continue;
    }
    const PlannedField& field = plan[i];
    out.push_back(std::to_string(skipped[i]) + (skipped[i] == 1 ? " value" : " values") +
                  " of column '" + field.column + "' " + (skipped[i] == 1 ? "was" : "were") +
                  " longer than Emarsys field " + std::to_string(field.field_id) + " '" +
                  field.field_name + "' (" + field_type_name(field.type) + ") allows (" +
                  std::to_string(text_limit(field.type).value_or(0)) +
                  " characters) and left out (on_value_too_long: skip_field)");
  }
  return out;
}

std::vector<std::string> mapped_columns(const config::Activation& activation) {
  std::vector<std::string> columns;
  for (const auto& mapping : activation.fields) {
    columns.push_back(mapping.column);
  }
  for (const auto& attribute : activation.custom_attributes) {
    columns.push_back(attribute.column);
  }
  return columns;
}

std::vector<FieldToCreate> missing_custom_fields(const config::Activation& activation,
                                                 const std::vector<source::Column>& columns,
                                                 const std::vector<emarsys::Field>& fields) {
  std::vector<FieldToCreate> out;
  const std::size_t offset = activation.fields.size();
  for (std::size_t i = 0; i < activation.custom_attributes.size(); ++i) {
    const auto& attribute = activation.custom_attributes[i];
    if (find_by_name(fields, attribute.column) == nullptr) {
      out.push_back({attribute.column,
                     attribute.type.value_or(custom_field_type_for(columns.at(offset + i)))});
    }
  }
  return out;
}

Result<std::vector<PlannedField>> plan_fields(const config::Activation& activation,
                                              const std::vector<source::Column>& columns,
                                              const std::vector<emarsys::Field>& fields) {
  std::vector<PlannedField> plan;
  const std::string prefix = "activation '" + activation.name + "', column '";
  for (std::size_t i = 0; i < activation.fields.size(); ++i) {
    const auto& mapping = activation.fields[i];
    const std::string where = prefix + mapping.column + "'";
    auto field = std::holds_alternative<std::int64_t>(mapping.field)
                     ? find_by_id(fields, std::get<std::int64_t>(mapping.field), where)
                     : find_by_reference(fields, std::get<std::string>(mapping.field), where);
    if (!field) {
      return field.error();
    }
    auto planned = plan_one(mapping.column, columns.at(i).type, **field, where,
                            activation.on_value_too_long);
    if (!planned) {
      return planned.error();
    }
    plan.push_back(std::move(*planned));
  }
  const std::size_t offset = activation.fields.size();
  for (std::size_t i = 0; i < activation.custom_attributes.size(); ++i) {
    const auto& column = activation.custom_attributes[i].column;
    const std::string where = prefix + column + "'";
    const emarsys::Field* field = find_by_name(fields, column);
    if (field == nullptr) {
      return make_error(Errc::invalid_input, where + ": custom field '" + column +
                                                 "' does not exist in Emarsys");
    }
    auto planned =
        plan_one(column, columns.at(offset + i).type, *field, where, activation.on_value_too_long);
    if (!planned) {
      return planned.error();
    }
    plan.push_back(std::move(*planned));
  }
  return plan;
}

Result<std::vector<MappedValue>> mapped_values(const std::vector<PlannedField>& plan,
                                               std::span<const source::Value> values) {
  std::vector<MappedValue> out;
  out.reserve(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& field = plan[i];
    auto converted = convert_field(values[i], field);
    if (!converted) {
      return converted.error();
    }
    out.push_back({field.state_key, std::to_string(field.field_id), std::move(converted->json),
                   converted->skipped, clear_value(field.type)});
  }
  return out;
}

std::string rejection_code(const Error& error) {
  return error.code == Errc::not_found ? "unknown_choice" : "invalid_value";
}

}  // namespace emsync::sync
