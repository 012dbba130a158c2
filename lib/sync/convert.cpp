#include "sync/convert.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/json_text.hpp"
#include "core/quote.hpp"
#include "sync/date_text.hpp"
#include "sync/numeric_text.hpp"
#include "sync/utf8.hpp"

namespace emsync::sync {

namespace {

using source::ColumnType;
using Converted = Result<std::optional<std::string>>;

constexpr std::int64_t k_optin_field_id = 31;
// Source values quoted in error messages are cut after this many bytes.
constexpr std::size_t k_quoted_value_bytes = 40;

constexpr std::array<std::pair<std::string_view, FieldType>, 9> k_application_types{{
    {"shorttext", FieldType::shorttext},
    {"longtext", FieldType::longtext},
    {"largetext", FieldType::largetext},
    {"url", FieldType::url},
    {"numeric", FieldType::numeric},
    {"date", FieldType::date},
    {"birthdate", FieldType::date},
    {"singlechoice", FieldType::singlechoice},
    {"multichoice", FieldType::multichoice},
}};

// A converted value: the JSON string holding `text`.
std::optional<std::string> json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

Error reject(std::string_view column, const std::string& reason) {
  return make_error(Errc::invalid_input, "column '" + std::string(column) + "': " + reason);
}

Error wrong_column_type(std::string_view column, ColumnType type, FieldType target) {
  return reject(column, std::string(source::to_string(type)) +
                            " values cannot be sent to an Emarsys " + field_type_name(target) +
                            " field");
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

Converted convert_text(const std::string& value, FieldType target, std::string_view column) {
  const auto length = utf8_length(value);
  if (!length) {
    return reject(column, "value is not valid UTF-8");
  }
  if (const auto limit = text_limit(target); limit && *length > *limit) {
    return reject(column, "value is " + std::to_string(*length) + " characters, the Emarsys " +
                              field_type_name(target) + " field allows " + std::to_string(*limit));
  }
  return json_string(value);
}

Converted convert_numeric(const std::string& value, ColumnType type, std::string_view column) {
  if (type == ColumnType::boolean) {
    return json_string(value == "true" ? "1" : "0");
  }
  if (type == ColumnType::date || type == ColumnType::timestamp) {
    return wrong_column_type(column, type, FieldType::numeric);
  }
  const auto decimal = normalize_decimal(trim_space(value));
  if (!decimal) {
    return reject(column, shown_value(value) + " " + decimal.error().message);
  }
  return json_string(*decimal);
}

Converted convert_date(const std::string& value, ColumnType type, std::string_view column) {
  if (type != ColumnType::date && type != ColumnType::timestamp && type != ColumnType::text) {
    return wrong_column_type(column, type, FieldType::date);
  }
  const auto date = leading_date(trim_space(value));
  if (!date) {
    return reject(column, shown_value(value) + " is not a valid date (expected YYYY-MM-DD)");
  }
  return json_string(*date);
}

// Opt-in takes JSON numbers: 1 = opted in, 2 = opted out.
Converted convert_optin(const std::string& value, ColumnType type, std::string_view column) {
  if (type == ColumnType::date || type == ColumnType::timestamp) {
    return wrong_column_type(column, type, FieldType::optin);
  }
  std::string word = ascii_lower(trim_space(value));
  if (auto decimal = normalize_decimal(word)) {
    word = std::move(*decimal);  // "1.0" and "+1" mean 1
  }
  if (word == "true" || word == "yes" || word == "1") {
    return std::optional<std::string>("1");
  }
  if (word == "false" || word == "no" || word == "0" || word == "2") {
    return std::optional<std::string>("2");
  }
  return reject(column,
                shown_value(value) + " is not an opt-in value (use true/false, yes/no, 1/0)");
}

}  // namespace

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::shorttext:
      return "shorttext";
    case FieldType::longtext:
      return "longtext";
    case FieldType::largetext:
      return "largetext";
    case FieldType::url:
      return "url";
    case FieldType::numeric:
      return "numeric";
    case FieldType::date:
      return "date";
    case FieldType::optin:
      return "opt-in";
    case FieldType::singlechoice:
      return "singlechoice";
    case FieldType::multichoice:
      return "multichoice";
    case FieldType::unsupported:
      return "unsupported";
  }
  return "unknown";
}

std::string_view trim_space(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Cut when long (quote_value), then JSON-quoted (control characters escaped,
// broken UTF-8 replaced).
std::string shown_value(std::string_view value) {
  return nlohmann::json(quote_value(value, k_quoted_value_bytes))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::size_t> text_limit(FieldType type) {
  if (type == FieldType::shorttext) {
    return 60;
  }
  if (type == FieldType::longtext || type == FieldType::url) {
    return 255;
  }
  return std::nullopt;
}

std::string_view clear_value(FieldType type) {
  return type == FieldType::multichoice ? std::string_view("null") : k_clear_value;
}

FieldType field_type_of(std::int64_t field_id, std::string_view application_type) {
  if (field_id == k_optin_field_id) {
    return FieldType::optin;
  }
  for (const auto& [name, type] : k_application_types) {
    if (name == application_type) {
      return type;
    }
  }
  return FieldType::unsupported;
}

std::string custom_field_type_for(const source::Column& column) {
  const auto longtext_chars = static_cast<std::int64_t>(*text_limit(FieldType::longtext));
  switch (column.type) {
    case ColumnType::text:
    case ColumnType::binary:  // never planned: model_reader refuses a mapped binary column
      return column.max_chars && *column.max_chars <= longtext_chars ? "longtext" : "largetext";
    case ColumnType::integer:
    case ColumnType::numeric:
    case ColumnType::boolean:
      return "numeric";
    case ColumnType::date:
    case ColumnType::timestamp:
      return "date";
  }
  return "longtext";
}

Result<std::optional<std::string>> convert_value(const source::Value& value, ColumnType column_type,
                                                 FieldType target, std::string_view column) {
  if (!value) {
    return std::optional<std::string>();
  }
  switch (target) {
    case FieldType::shorttext:
    case FieldType::longtext:
    case FieldType::largetext:
    case FieldType::url:
      return convert_text(*value, target, column);
    case FieldType::numeric:
      return convert_numeric(*value, column_type, column);
    case FieldType::date:
      return convert_date(*value, column_type, column);
    case FieldType::optin:
      return convert_optin(*value, column_type, column);
    case FieldType::singlechoice:
    case FieldType::multichoice:
      return reject(column, "a choice field's values are converted with its choices (choices.hpp)");
    case FieldType::unsupported:
      break;
  }
  return reject(column,
                "the Emarsys field has an unsupported type (read-only, special, "
                "interests or voucher fields cannot be written)");
}

}  // namespace emsync::sync
