#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sync/convert.hpp"
#include "sync/utf8.hpp"

using emsync::Errc;
using emsync::source::ColumnType;
using emsync::sync::convert_value;
using emsync::sync::custom_field_type_for;
using emsync::sync::field_type_of;
using emsync::sync::FieldType;

namespace {

struct Case {
  std::string value;
  ColumnType column_type;
  std::string expected;  // JSON text, or a part of the error message
};

void check_accepts(const Case& c, FieldType target) {
  CAPTURE(c.value, static_cast<int>(c.column_type));
  const auto json = convert_value(c.value, c.column_type, target, "col");
  REQUIRE(json);
  REQUIRE(json->has_value());
  CHECK(**json == c.expected);
}

void check_rejects(const Case& c, FieldType target) {
  CAPTURE(c.value, static_cast<int>(c.column_type));
  const auto json = convert_value(c.value, c.column_type, target, "col");
  REQUIRE_FALSE(json);
  CHECK(json.error().code == Errc::invalid_input);
  CHECK_THAT(json.error().message, Catch::StartsWith("column 'col': "));
  CHECK_THAT(json.error().message, Catch::Contains(c.expected));
}

std::string repeat(std::string_view piece, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text += piece;
  }
  return text;
}

}  // namespace

TEST_CASE("maps Emarsys application types to field types; field 31 is opt-in", "[sync][convert]") {
  CHECK(field_type_of(1, "shorttext") == FieldType::shorttext);
  CHECK(field_type_of(10, "longtext") == FieldType::longtext);
  CHECK(field_type_of(900, "largetext") == FieldType::largetext);
  CHECK(field_type_of(25, "url") == FieldType::url);
  CHECK(field_type_of(901, "numeric") == FieldType::numeric);
  CHECK(field_type_of(40, "date") == FieldType::date);
  CHECK(field_type_of(4, "birthdate") == FieldType::date);
  CHECK(field_type_of(5, "singlechoice") == FieldType::singlechoice);
  CHECK(field_type_of(31, "special") == FieldType::optin);
  CHECK(field_type_of(0, "interests") == FieldType::unsupported);
  CHECK(field_type_of(16, "fax") == FieldType::unsupported);
  CHECK(field_type_of(902, "multichoice") == FieldType::multichoice);
  CHECK(field_type_of(903, "voucher") == FieldType::unsupported);
}

TEST_CASE("picks the custom field type from the column type", "[sync][convert]") {
  using emsync::source::Column;
  CHECK(custom_field_type_for(Column{"c", ColumnType::text, 1}) == "longtext");
  CHECK(custom_field_type_for(Column{"c", ColumnType::text, 255}) == "longtext");
  CHECK(custom_field_type_for(Column{"c", ColumnType::text, 256}) == "largetext");
  CHECK(custom_field_type_for(Column{"c", ColumnType::text, std::nullopt}) == "largetext");  // unbounded
  CHECK(custom_field_type_for(Column{"c", ColumnType::integer, std::nullopt}) == "numeric");
  CHECK(custom_field_type_for(Column{"c", ColumnType::numeric, std::nullopt}) == "numeric");
  CHECK(custom_field_type_for(Column{"c", ColumnType::boolean, std::nullopt}) == "numeric");
  CHECK(custom_field_type_for(Column{"c", ColumnType::date, std::nullopt}) == "date");
  CHECK(custom_field_type_for(Column{"c", ColumnType::timestamp, std::nullopt}) == "date");
}

TEST_CASE("passes NULL through for every field type", "[sync][convert]") {
  for (FieldType target : {FieldType::shorttext, FieldType::numeric, FieldType::date,
                           FieldType::optin, FieldType::singlechoice, FieldType::unsupported}) {
    const auto json = convert_value(std::nullopt, ColumnType::text, target, "col");
    REQUIRE(json);
    CHECK_FALSE(json->has_value());
  }
}

TEST_CASE("text fields get JSON-escaped strings within their length limits", "[sync][convert]") {
  check_accepts({"Ann", ColumnType::text, R"("Ann")"}, FieldType::shorttext);
  check_accepts({"say \"hi\"\n\\", ColumnType::text, R"("say \"hi\"\n\\")"}, FieldType::longtext);
  check_accepts({"Zoë", ColumnType::text, R"("Zoë")"}, FieldType::shorttext);
  check_accepts({"42", ColumnType::integer, R"("42")"}, FieldType::shorttext);
  check_accepts({"true", ColumnType::boolean, R"("true")"}, FieldType::shorttext);
  check_accepts({"", ColumnType::text, R"("")"}, FieldType::shorttext);
  check_accepts({std::string(60, 'a'), ColumnType::text, '"' + std::string(60, 'a') + '"'},
                FieldType::shorttext);
  check_accepts({std::string(255, 'a'), ColumnType::text, '"' + std::string(255, 'a') + '"'},
                FieldType::longtext);
  check_accepts({std::string(255, 'a'), ColumnType::text, '"' + std::string(255, 'a') + '"'},
                FieldType::url);
  check_accepts({std::string(100000, 'a'), ColumnType::text, '"' + std::string(100000, 'a') + '"'},
                FieldType::largetext);
}

TEST_CASE("text limits count UTF-8 characters, not bytes", "[sync][convert]") {
  const std::string sixty = repeat("é", 60);  // 120 bytes
  check_accepts({sixty, ColumnType::text, '"' + sixty + '"'}, FieldType::shorttext);
  check_rejects({sixty + "é", ColumnType::text, "value is 61 characters"}, FieldType::shorttext);
  check_rejects({repeat("😀", 256), ColumnType::text, "value is 256 characters"},
                FieldType::longtext);
}

TEST_CASE("rejects text over the field's limit naming the column and the limit",
          "[sync][convert]") {
  const auto json =
      convert_value(std::string(73, 'x'), ColumnType::text, FieldType::shorttext, "city");
  REQUIRE_FALSE(json);
  CHECK(json.error().message ==
        "column 'city': value is 73 characters, the Emarsys shorttext field allows 60");
  check_rejects({std::string(61, 'a'), ColumnType::text, "shorttext field allows 60"},
                FieldType::shorttext);
  check_rejects({std::string(256, 'a'), ColumnType::text, "longtext field allows 255"},
                FieldType::longtext);
  check_rejects({std::string(256, 'a'), ColumnType::text, "url field allows 255"}, FieldType::url);
  check_rejects({"a\xFF", ColumnType::text, "value is not valid UTF-8"}, FieldType::largetext);
}

TEST_CASE("numeric fields get canonical decimal strings without exponent", "[sync][convert]") {
  const Case cases[] = {
      {"42", ColumnType::integer, R"("42")"},
      {"-7", ColumnType::integer, R"("-7")"},
      {"12.50", ColumnType::numeric, R"("12.5")"},
      {"1e+20", ColumnType::numeric, R"("100000000000000000000")"},
      {"1.5E-3", ColumnType::numeric, R"("0.0015")"},
      {"-2.5e1", ColumnType::numeric, R"("-25")"},
      {"123.456e2", ColumnType::numeric, R"("12345.6")"},
      {"1e0", ColumnType::numeric, R"("1")"},
      {"+12", ColumnType::text, R"("12")"},
      {" 3.25 ", ColumnType::text, R"("3.25")"},
      {"007", ColumnType::text, R"("7")"},
      {".5", ColumnType::text, R"("0.5")"},
      {"5.", ColumnType::text, R"("5")"},
      {"-0.00", ColumnType::numeric, R"("0")"},
      {"0e999999", ColumnType::numeric, R"("0")"},
      {"123456789012345678901234", ColumnType::numeric, R"("123456789012345678901234")"},
      {"0.123456789012345678901234", ColumnType::numeric, R"("0.123456789012345678901234")"},
      {"1e+23", ColumnType::numeric, R"("100000000000000000000000")"},
      {"1e-24", ColumnType::numeric, R"("0.000000000000000000000001")"},
      {"true", ColumnType::boolean, R"("1")"},
      {"false", ColumnType::boolean, R"("0")"},
  };
  for (const Case& c : cases) {
    check_accepts(c, FieldType::numeric);
  }
}

TEST_CASE("numeric fields reject non-numbers and more than 24 digits", "[sync][convert]") {
  const Case cases[] = {
      {"abc", ColumnType::text, R"("abc" is not a number)"},
      {"NaN", ColumnType::numeric, "is not a number"},
      {"Infinity", ColumnType::numeric, "is not a number"},
      {"-inf", ColumnType::numeric, "is not a number"},
      {"1,000", ColumnType::text, "is not a number"},
      {"1e", ColumnType::text, "is not a number"},
      {"1e+", ColumnType::text, "is not a number"},
      {".", ColumnType::text, "is not a number"},
      {"", ColumnType::text, "is not a number"},
      {"1.2.3", ColumnType::text, "is not a number"},
      {"1234567890123456789012345", ColumnType::numeric, "has more than 24 digits"},
      {"1e+24", ColumnType::numeric, "has more than 24 digits"},
      {"1e-25", ColumnType::numeric, "has more than 24 digits"},
      {"1e999999999999", ColumnType::numeric, "has more than 24 digits"},
      {"2024-01-01", ColumnType::date, "date values cannot be sent to an Emarsys numeric field"},
      {"2024-01-01 10:00:00", ColumnType::timestamp, "timestamp values cannot"},
  };
  for (const Case& c : cases) {
    check_rejects(c, FieldType::numeric);
  }
}

TEST_CASE("date fields get YYYY-MM-DD from dates, timestamps and date-like text",
          "[sync][convert]") {
  const Case cases[] = {
      {"2024-02-29", ColumnType::date, R"("2024-02-29")"},
      {"2000-02-29", ColumnType::date, R"("2000-02-29")"},
      {"2024-03-01 23:59:59.123456", ColumnType::timestamp, R"("2024-03-01")"},
      {"2024-12-31T10:00:00Z", ColumnType::text, R"("2024-12-31")"},
      {" 0001-01-01 ", ColumnType::text, R"("0001-01-01")"},
  };
  for (const Case& c : cases) {
    check_accepts(c, FieldType::date);
  }
}

TEST_CASE("date fields reject impossible dates and other formats", "[sync][convert]") {
  const Case cases[] = {
      {"2023-02-29", ColumnType::text, R"("2023-02-29" is not a valid date (expected YYYY-MM-DD))"},
      {"1900-02-29", ColumnType::text, "is not a valid date"},
      {"2024-04-31", ColumnType::text, "is not a valid date"},
      {"2024-13-01", ColumnType::text, "is not a valid date"},
      {"2024-00-10", ColumnType::text, "is not a valid date"},
      {"0000-01-01", ColumnType::text, "is not a valid date"},
      {"2024-1-5", ColumnType::text, "is not a valid date"},
      {"01/02/2024", ColumnType::text, "is not a valid date"},
      {"2024-01-012", ColumnType::text, "is not a valid date"},
      {"0044-03-15 BC", ColumnType::date, "is not a valid date"},
      {"20240101", ColumnType::integer, "integer values cannot be sent to an Emarsys date field"},
      {"true", ColumnType::boolean, "boolean values cannot"},
  };
  for (const Case& c : cases) {
    check_rejects(c, FieldType::date);
  }
}

TEST_CASE("opt-in maps true/yes/1 to 1 and false/no/0/2 to 2, as JSON numbers", "[sync][convert]") {
  const Case cases[] = {
      {"true", ColumnType::boolean, "1"}, {"false", ColumnType::boolean, "2"},
      {"1", ColumnType::integer, "1"},    {"0", ColumnType::integer, "2"},
      {"2", ColumnType::integer, "2"},    {"1.0", ColumnType::numeric, "1"},
      {" YES ", ColumnType::text, "1"},   {"No", ColumnType::text, "2"},
      {"TRUE", ColumnType::text, "1"},    {"2", ColumnType::text, "2"},
  };
  for (const Case& c : cases) {
    check_accepts(c, FieldType::optin);
  }
  check_rejects({"maybe", ColumnType::text, R"("maybe" is not an opt-in value)"}, FieldType::optin);
  check_rejects({"3", ColumnType::integer, "is not an opt-in value"}, FieldType::optin);
  check_rejects({"", ColumnType::text, "is not an opt-in value"}, FieldType::optin);
  check_rejects({"2024-01-01", ColumnType::date, "date values cannot"}, FieldType::optin);
}

TEST_CASE("choice fields are converted with their choices, not here", "[sync][convert]") {
  check_rejects({"3", ColumnType::integer, "converted with its choices"}, FieldType::singlechoice);
  check_rejects({"3", ColumnType::integer, "converted with its choices"}, FieldType::multichoice);
}

TEST_CASE("text limits and clear values follow the field type", "[sync][convert]") {
  CHECK(emsync::sync::text_limit(FieldType::shorttext) == 60u);
  CHECK(emsync::sync::text_limit(FieldType::longtext) == 255u);
  CHECK(emsync::sync::text_limit(FieldType::url) == 255u);
  CHECK_FALSE(emsync::sync::text_limit(FieldType::largetext));
  CHECK_FALSE(emsync::sync::text_limit(FieldType::numeric));
  CHECK(emsync::sync::clear_value(FieldType::shorttext) == R"("")");
  CHECK(emsync::sync::clear_value(FieldType::singlechoice) == R"("")");
  CHECK(emsync::sync::clear_value(FieldType::multichoice) == "null");
}

TEST_CASE("unsupported fields reject every value, naming the field type", "[sync][convert]") {
  check_rejects({"x", ColumnType::text, "unsupported type"}, FieldType::unsupported);
}

TEST_CASE("error messages quote long or unprintable values safely", "[sync][convert]") {
  const auto json = convert_value("x\x01" + std::string(100, 'y'), ColumnType::text,
                                  FieldType::numeric, "amount");
  REQUIRE_FALSE(json);
  CHECK(json.error().message == "column 'amount': \"x\\u0001" + std::string(38, 'y') +
                                    "\u2026(102 bytes)\" is not a number");
  // A megabyte is quoted as 40 bytes, cut before a UTF-8 sequence that does not fit.
  const auto huge = convert_value(std::string(39, 'z') + "\u00e9" + std::string(1 << 20, 'z'),
                                  ColumnType::text, FieldType::date, "born");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message == "column 'born': \"" + std::string(39, 'z') +
                                    "\u2026(1048617 bytes)\" is not a valid date (expected "
                                    "YYYY-MM-DD)");
}

TEST_CASE("text is written exactly as nlohmann::json::dump() writes it (stored hashes are of it)",
          "[sync][convert]") {
  std::vector<std::string> samples = {"",
                                      "plain",
                                      "quote \" and backslash \\",
                                      "Zoë Ærø 東京 🙂",
                                      "del \x7f kept",
                                      "tab\tnew\nline\rcr\bbs\fff"};
  for (int byte = 1; byte < 0x80; ++byte) {
    samples.push_back("<" + std::string(1, static_cast<char>(byte)) + ">");
    // Long text is scanned 8 bytes at a time: the byte at every offset of a word.
    for (std::size_t at = 0; at < 17; ++at) {
      std::string text(20, 'a');
      text[at] = static_cast<char>(byte);
      samples.push_back(text);
    }
  }
  samples.push_back(std::string(300, 'x') + "\xc3\xa9" + std::string(13, 'y'));
  for (const auto& text : samples) {
    CAPTURE(text);
    const auto length = emsync::sync::utf8_length(text);
    REQUIRE(length);
    // Valid UTF-8: one code point per byte that is not a continuation byte.
    CHECK(*length == static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    })));
    const auto converted = convert_value(text, ColumnType::text, FieldType::largetext, "c");
    REQUIRE(converted);
    REQUIRE(*converted);
    CHECK(**converted == nlohmann::json(text).dump());
  }
}
