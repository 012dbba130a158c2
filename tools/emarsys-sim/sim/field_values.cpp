// Field value rules per application_type (see field_values.hpp).
#include "sim/field_values.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <regex>
#include <string_view>

#include "sim/time_text.hpp"

namespace emsync::sim {
namespace {

constexpr int k_optin_field = 31;
constexpr std::size_t k_max_numeric_digits = 24;

ContactError invalid(const std::string& what, const FieldDef& field) {
  return ContactError{"2007", "Invalid " + what + " for field id: " + std::to_string(field.id)};
}

std::size_t code_points(const std::string& utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Strings as they are, numbers in their JSON spelling; nullopt otherwise.
std::optional<std::string> scalar_text(const Json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_number()) {
    return value.dump();
  }
  return std::nullopt;
}

std::optional<ContactError> check_text(const FieldDef& field, const Json& value,
                                       std::size_t max_chars) {
  const std::optional<std::string> text = scalar_text(value);
  if (!text) {
    return invalid("data format", field);
  }
  if (code_points(*text) > max_chars) {
    return ContactError{"2007", "Invalid data format for field id: " + std::to_string(field.id) +
                                    " (too long, max " + std::to_string(max_chars) + ")"};
  }
  return std::nullopt;
}

// [+-]?[0-9]+(\.[0-9]+)? with at most k_max_numeric_digits digits.
bool is_decimal(std::string_view text) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    text.remove_prefix(1);
  }
  const auto digits_end = [](std::string_view part) {
    return static_cast<std::size_t>(std::find_if(part.begin(), part.end(), [](char c) {
                                      return c < '0' || c > '9';
                                    }) -
                                    part.begin());
  };
  const std::size_t whole = digits_end(text);
  if (whole == 0) {
    return false;
  }
  std::size_t fraction = 0;
  if (whole < text.size()) {
    if (text[whole] != '.') {
      return false;
    }
    fraction = digits_end(text.substr(whole + 1));
    if (fraction == 0 || whole + 1 + fraction != text.size()) {
      return false;
    }
  }
  return whole + fraction <= k_max_numeric_digits;
}

std::optional<ContactError> check_numeric(const FieldDef& field, const Json& value) {
  const std::optional<std::string> text = scalar_text(value);
  return text && is_decimal(*text) ? std::nullopt : std::optional(invalid("data format", field));
}

std::optional<ContactError> check_optin(const FieldDef& field, const Json& value) {
  const bool ok = (value.is_number_integer() && (value == 1 || value == 2)) ||
                  (value.is_string() && (value == "1" || value == "2"));
  return ok ? std::nullopt : std::optional(invalid("opt-in value", field));
}

std::optional<ContactError> check_choice(const FieldCatalog& catalog, const FieldDef& field,
                                         const Json& value) {
  const std::optional<std::string> id =
      value.is_number_integer() || value.is_string() ? scalar_text(value) : std::nullopt;
  const std::vector<Choice>& choices = catalog.choices(field.id);
  const bool known = id && std::any_of(choices.begin(), choices.end(),
                                       [&id](const Choice& c) { return c.id == *id; });
  return known ? std::nullopt : std::optional(invalid("choice id", field));
}

// A non-empty array of choice ids (strings or integers).
std::optional<ContactError> check_choices(const FieldCatalog& catalog, const FieldDef& field,
                                          const Json& value) {
  const std::string id = std::to_string(field.id);
  if (!value.is_array()) {
    return ContactError{"2007", "Invalid data format for field id: " + id + ". Array expected"};
  }
  if (value.empty()) {
    return ContactError{"2007", "No choice provided for field id: " + id};
  }
  for (const Json& element : value) {
    if (check_choice(catalog, field, element)) {
      return invalid("choice id", field);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ContactError> check_field_value(const FieldCatalog& catalog, const FieldDef& field,
                                              const Json& value) {
  if (field.read_only) {
    return ContactError{"2007", "Field is read-only: " + std::to_string(field.id)};
  }
  if (clears_field(value)) {
    return std::nullopt;
  }
  const std::string& type = field.application_type;
  if (type == "multichoice") {
    return check_choices(catalog, field, value);
  }
  if (value.is_array()) {
    return ContactError{"2007", "Invalid data format for field id: " + std::to_string(field.id) +
                                    ". Scalar expected"};
  }
  if (field.id == k_optin_field) {
    return check_optin(field, value);
  }
  if (type == "shorttext" || type == "fax") {
    return check_text(field, value, 60);
  }
  if (type == "longtext" || type == "url") {
    return check_text(field, value, 255);
  }
  if (type == "largetext") {
    return check_text(field, value, std::string::npos);
  }
  if (type == "date" || type == "birthdate") {
    return value.is_string() && is_valid_date(value.get<std::string>())
               ? std::nullopt
               : std::optional(invalid("date format", field));
  }
  if (type == "numeric") {
    return check_numeric(field, value);
  }
  if (type == "singlechoice") {
    return check_choice(catalog, field, value);
  }
  return invalid("data format", field);  // special fields other than opt-in
}

bool clears_field(const Json& value) {
  return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty());
}

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_plausible_email(const std::string& email) {
  static const std::regex k_email(R"([^@\s]+@[^@\s.]+(\.[^@\s.]+)+)");
  return std::regex_match(email, k_email);
}

}  // namespace emsync::sim
