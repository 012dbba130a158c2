// Email normalisation (lib/sync/email.hpp) and value conversion
// (lib/sync/convert.hpp, lib/sync/choices.hpp): a source value on its way to
// an Emarsys field.
//
// Input: two bytes choosing a column type and a field type, then a text that
// is normalised as an email and converted as a value of that column for that
// field.
// Invariants: a normalised email is its own normalisation, the fold of the
// raw text, has one '@' and serialises as JSON; a converted value is JSON
// text of the field type's form (a string within the length limit, a date,
// a plain decimal, 1 or 2 for opt-in), and converting it again gives it back;
// a multi-choice value is NULL or a non-empty, sorted JSON array of choice ids
// of the field, and converting that array again gives it back.
#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "check.hpp"
#include "sync/choices.hpp"
#include "sync/convert.hpp"
#include "sync/email.hpp"
#include "sync/utf8.hpp"

namespace {

using namespace emsync;
using source::ColumnType;
using sync::FieldType;

constexpr ColumnType k_column_types[] = {ColumnType::text,    ColumnType::integer,
                                         ColumnType::numeric, ColumnType::boolean,
                                         ColumnType::date,    ColumnType::timestamp};
constexpr FieldType k_field_types[] = {
    FieldType::shorttext, FieldType::longtext, FieldType::largetext,
    FieldType::url,       FieldType::numeric,  FieldType::date,
    FieldType::optin,     FieldType::unsupported};  // choice fields: choices.hpp

void check_email(std::string_view raw) {
  auto email = sync::normalize_email(raw);
  if (!email) {
    return;
  }
  FUZZ_CHECK(*email == sync::fold_email(raw));
  FUZZ_CHECK(std::count(email->begin(), email->end(), '@') == 1);
  FUZZ_CHECK(std::none_of(email->begin(), email->end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  auto again = sync::normalize_email(*email);
  FUZZ_CHECK(again.has_value() && *again == *email);
  FUZZ_CHECK(nlohmann::json(*email).dump() == nlohmann::json(*again).dump());
}

// The column type a converted value of `target` is read back as.
ColumnType column_for(FieldType target) {
  switch (target) {
    case FieldType::numeric:
      return ColumnType::numeric;
    case FieldType::date:
      return ColumnType::date;
    case FieldType::optin:
      return ColumnType::integer;
    default:
      return ColumnType::text;
  }
}

void check_value(const source::Value& value, ColumnType column, FieldType target) {
  auto converted = sync::convert_value(value, column, target, "c");
  if (!value) {
    FUZZ_CHECK(converted.has_value() && !converted->has_value());  // NULL converts to nothing
    return;
  }
  if (!converted) {
    return;
  }
  FUZZ_CHECK(converted->has_value());
  const auto json = nlohmann::json::parse(**converted, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!json.is_discarded());
  if (target == FieldType::optin) {
    FUZZ_CHECK(**converted == "1" || **converted == "2");
  } else {
    FUZZ_CHECK(json.is_string());
  }
  const std::string plain = json.is_string() ? json.get<std::string>() : json.dump();
  const auto length = sync::utf8_length(plain);
  FUZZ_CHECK(length.has_value());
  switch (target) {
    case FieldType::shorttext:
      FUZZ_CHECK(*length <= 60);
      break;
    case FieldType::longtext:
    case FieldType::url:
      FUZZ_CHECK(*length <= 255);
      break;
    case FieldType::date:
      FUZZ_CHECK(plain.size() == 10 && plain[4] == '-' && plain[7] == '-');
      break;
    case FieldType::numeric:
      FUZZ_CHECK(!plain.empty() && plain.find_first_not_of("-.0123456789") == std::string::npos);
      break;
    default:
      break;
  }
  auto again = sync::convert_value(plain, column_for(target), target, "c");
  FUZZ_CHECK(again.has_value() && *again == *converted);
}

const sync::ChoiceTable& choices() {
  static const sync::ChoiceTable table(
      1001, "Hobbies", {{"1", "Cooking"}, {"2", "Hiking trips"}, {"3", "ÉTÉ"}, {"10", "7"}});
  return table;
}

void check_choices(const std::string& text) {
  auto converted = sync::convert_multi_choice(text, ColumnType::text, choices(), "c");
  if (!converted || !*converted) {
    return;
  }
  const auto json = nlohmann::json::parse(**converted, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(json.is_array() && !json.empty());
  for (const auto& id : json) {
    FUZZ_CHECK(id.is_string() && choices().find(id.get<std::string>()) != nullptr);
  }
  auto again = sync::convert_multi_choice(**converted, ColumnType::text, choices(), "c");
  FUZZ_CHECK(again.has_value() && *again == *converted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const ColumnType column = k_column_types[data[0] % std::size(k_column_types)];
  const FieldType target = k_field_types[data[1] % std::size(k_field_types)];
  const auto text = fuzz::as_text(data + 2, size - 2);
  check_email(text);
  check_value(std::string(text), column, target);
  check_value(std::nullopt, column, target);
  check_choices(std::string(text));
  FUZZ_CHECK(sync::field_type_of(31, text) == FieldType::optin);
  return 0;
}
