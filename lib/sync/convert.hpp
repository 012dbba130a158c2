// Value conversion: a source value, typed by its column, into the JSON value
// Emarsys accepts for the target field's type. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "source/row_source.hpp"

namespace emsync::sync {

// The kinds of Emarsys field emsync writes, with their rules.
enum class FieldType {
  shorttext,     // string, at most 60 characters
  longtext,      // string, at most 255 characters
  largetext,     // string, no limit
  url,           // string, at most 255 characters
  numeric,       // decimal without exponent, at most 24 digits
  date,          // "YYYY-MM-DD" (also birthdate fields)
  optin,         // field 31: 1 (true) or 2 (false)
  singlechoice,  // a choice id, from a label or an id (choices.hpp)
  multichoice,   // an array of choice ids, from a list of labels or ids (choices.hpp)
  unsupported,   // read-only or not writable by value (special, interests, voucher)
};

// The most characters a text field takes (shorttext 60, longtext and url
// 255); nullopt for other types (largetext has no limit).
std::optional<std::size_t> text_limit(FieldType type);

// "shorttext", "opt-in", ...: the type as messages name it.
const char* field_type_name(FieldType type);

// From GET /field's application_type; field id 31 is always optin.
FieldType field_type_of(std::int64_t field_id, std::string_view application_type);

// The application_type a custom attribute is created with, from its column:
// text → longtext when the source declares a length of at most 255
// characters (varchar(100)), else largetext (text, varchar(1000), a
// warehouse's unbounded string); integer/numeric → numeric, boolean →
// numeric (0/1), date/timestamp → date.
std::string custom_field_type_for(const source::Column& column);

// Converts `value` (of a `column_type` column) for a `target` field that is
// no choice field (a choice field needs its choices: choices.hpp).
// Returns the JSON text of the value ("\"Ann\"", "\"12.5\"", "1"), or
// std::nullopt for NULL. Fails (Errc::invalid_input) with a message naming
// `column` and the reason when the value cannot be represented (too long,
// not a number, not a date, not a boolean for opt-in, ...).
// Dates: timestamps are cut to their (UTC) date. Numerics: exponents are
// expanded, booleans become 1/0. Opt-in: true/1/"yes" → 1, false/0/2/"no" → 2.
Result<std::optional<std::string>> convert_value(const source::Value& value,
                                                 source::ColumnType column_type, FieldType target,
                                                 std::string_view column);

// The JSON text sent to clear a field: "\"\"", but null for a multi-choice
// field (which takes only arrays or null).
inline constexpr std::string_view k_clear_value = "\"\"";
std::string_view clear_value(FieldType type);

// Shared by the conversions (here and choices.hpp): `text` without leading
// and trailing blanks (space, tab, CR, LF), and a source value as an error
// message shows it (cut after 40 bytes, JSON-quoted).
std::string_view trim_space(std::string_view text);
std::string shown_value(std::string_view value);

}  // namespace emsync::sync
