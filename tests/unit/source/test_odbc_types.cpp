#include <catch2/catch.hpp>
#include <vector>

#include "source/odbc_types.hpp"

namespace emsync::source {
namespace {

std::string canonical(OdbcConversion conversion, std::string text) {
  canonicalize(conversion, text);
  return text;
}

TEST_CASE("ODBC SQL types map to column types and fetch types", "[source][odbc]") {
  CHECK(odbc_column_kind(SQL_VARCHAR, "varchar").type == ColumnType::text);
  CHECK(odbc_column_kind(SQL_WLONGVARCHAR, "text").c_type == SQL_C_WCHAR);
  CHECK(odbc_column_kind(SQL_VARCHAR, "bool").type == ColumnType::boolean);
  CHECK(odbc_column_kind(SQL_BIT, "boolean").type == ColumnType::boolean);
  CHECK(odbc_column_kind(SQL_BIGINT, "int8").type == ColumnType::integer);
  CHECK(odbc_column_kind(SQL_NUMERIC, "numeric").type == ColumnType::numeric);
  CHECK(odbc_column_kind(SQL_NUMERIC, "numeric").c_type == SQL_C_CHAR);
  CHECK(odbc_column_kind(SQL_DOUBLE, "float8").type == ColumnType::numeric);
  CHECK(odbc_column_kind(SQL_TYPE_DATE, "date").type == ColumnType::date);
  CHECK(odbc_column_kind(SQL_TYPE_TIMESTAMP, "timestamptz").type == ColumnType::timestamp);
  CHECK(odbc_column_kind(-155, "datetimeoffset").conversion == OdbcConversion::timestamp);
  CHECK(odbc_column_kind(SQL_TYPE_TIME, "time").type == ColumnType::text);
  CHECK(odbc_column_kind(SQL_GUID, "uuid").conversion == OdbcConversion::guid);
  CHECK(odbc_column_kind(SQL_LONGVARBINARY, "bytea").type == ColumnType::binary);
  CHECK(odbc_column_kind(SQL_INTERVAL_DAY, "interval").c_type == SQL_C_CHAR);
  CHECK(odbc_column_kind(-9999, "VARIANT").c_type == SQL_C_WCHAR);
}

TEST_CASE("character data is fetched as UTF-8 only from drivers and locales known to give it",
          "[source][odbc]") {
  CHECK(odbc_text_fetch("psqlodbcw.so", "ANSI_X3.4-1968") == OdbcText::utf8);
  CHECK(odbc_text_fetch("psqlodbcw.so", "UTF-8") == OdbcText::utf8);
  CHECK(odbc_text_fetch("/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so", "UTF-8") == OdbcText::utf8);
  CHECK(odbc_text_fetch("sqlite3odbc.so", "ANSI_X3.4-1968") == OdbcText::utf8);
  CHECK(odbc_text_fetch("libsqlite3odbc.so", "UTF-8") == OdbcText::utf8);
  // psqlODBC's ANSI driver gives the database's encoding; an unknown
  // driver, anything; a Latin-1 locale makes psqlODBC convert to it.
  CHECK(odbc_text_fetch("psqlodbca.so", "UTF-8") == OdbcText::utf16);
  CHECK(odbc_text_fetch("libsnowflakeodbc_sb64.so", "UTF-8") == OdbcText::utf16);
  CHECK(odbc_text_fetch("psqlodbcw.so", "ISO-8859-1") == OdbcText::utf16);
  CHECK(odbc_text_fetch("", "UTF-8") == OdbcText::utf16);

  const OdbcColumnKind narrow = odbc_column_kind(SQL_WVARCHAR, "varchar", OdbcText::utf8);
  CHECK(narrow.type == ColumnType::text);
  CHECK(narrow.c_type == SQL_C_CHAR);
  CHECK(narrow.conversion == OdbcConversion::utf8);
  CHECK(odbc_column_kind(-9999, "VARIANT", OdbcText::utf8).c_type == SQL_C_CHAR);
  // What is no character data is fetched as before.
  CHECK(odbc_column_kind(SQL_VARCHAR, "bool", OdbcText::utf8).conversion ==
        OdbcConversion::boolean);
  CHECK(odbc_column_kind(SQL_INTEGER, "int4", OdbcText::utf8).conversion == OdbcConversion::none);
  // A UTF-8 buffer holds 4 bytes a character, and a terminator.
  CHECK(odbc_value_buffer_bytes(narrow, 12) == 64);
  CHECK(odbc_value_buffer_bytes(narrow, 100) == 401);
  CHECK(odbc_value_buffer_bytes(narrow, 0) == k_long_column_bound_bytes);
  CHECK(odbc_value_buffer_bytes(narrow, 1024) == k_long_column_bound_bytes);
  CHECK(canonical(OdbcConversion::utf8, "Zoë 日本") == "Zoë 日本");
}

TEST_CASE("ODBC character columns of a known size declare their length", "[source][odbc]") {
  CHECK(odbc_declared_chars(SQL_VARCHAR, 12) == std::optional<std::int64_t>(12));
  CHECK(odbc_declared_chars(SQL_WVARCHAR, 300) == std::optional<std::int64_t>(300));
  CHECK(odbc_declared_chars(SQL_CHAR, 5) == std::optional<std::int64_t>(5));
  CHECK(odbc_declared_chars(SQL_WCHAR, 1) == std::optional<std::int64_t>(1));
  CHECK_FALSE(odbc_declared_chars(SQL_VARCHAR, 0));  // the driver does not know
  CHECK_FALSE(odbc_declared_chars(SQL_LONGVARCHAR, 8190));
  CHECK_FALSE(odbc_declared_chars(SQL_WLONGVARCHAR, 16777216));
  CHECK_FALSE(odbc_declared_chars(SQL_INTEGER, 10));
}

TEST_CASE("fetched text becomes canonical text", "[source][odbc]") {
  CHECK(canonical(OdbcConversion::boolean, "1") == "true");
  CHECK(canonical(OdbcConversion::boolean, "f") == "false");
  CHECK(canonical(OdbcConversion::boolean, "TRUE") == "true");
  CHECK(canonical(OdbcConversion::boolean, "maybe") == "maybe");
  CHECK(canonical(OdbcConversion::guid, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11") ==
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  CHECK(canonical(OdbcConversion::none, "12.50") == "12.50");
}

TEST_CASE("timestamps lose trailing zeros and their offset, in UTC", "[source][odbc]") {
  const auto ts = [](std::string text) { return canonical(OdbcConversion::timestamp, text); };
  CHECK(ts("2024-05-01 10:00:00") == "2024-05-01 10:00:00");
  CHECK(ts("2024-05-01 10:00:00.000") == "2024-05-01 10:00:00");
  CHECK(ts("2024-05-01 10:00:00.2500000") == "2024-05-01 10:00:00.25");
  CHECK(ts("2024-05-01T10:00:00Z") == "2024-05-01 10:00:00");
  CHECK(ts("2024-05-01 12:00:00.123456 +02:00") == "2024-05-01 10:00:00.123456");
  CHECK(ts("2024-05-01 00:30:00-05:30") == "2024-05-01 06:00:00");
  CHECK(ts("2024-01-01 01:00:00+0200") == "2023-12-31 23:00:00");
  CHECK(ts("2024-02-28 23:00:00-02") == "2024-02-29 01:00:00");
  CHECK(ts("2024-05-01 10:00:00+00:00") == "2024-05-01 10:00:00");
  CHECK(ts("not a time") == "not a time");
}

TEST_CASE("only a whole timestamp is changed, so canonical text stays canonical (fuzz)",
          "[source][odbc]") {
  const auto ts = [](std::string text) { return canonical(OdbcConversion::timestamp, text); };
  // fuzz/corpus/odbc_text/ts-garbage-double-offset: a value with two offsets
  // lost one per canonicalization.
  const std::string two_offsets = std::string("2024-03-01T23:30:") + std::string(4, '\0') +
                                  "00.\x96+20+02:00";
  CHECK(ts(two_offsets) == two_offsets);
  for (const char* kept : {"2024-05-01 10:00:00+20+02:00", "2024-05-01 10:00:00 UTC",
                           "-024-05-01 10:00:00", "2024-05-01 10:00:0x", "2024-05-01 10:00:00.5x",
                           "2024-05-01 10:00:00+2"}) {
    CHECK(ts(kept) == kept);
  }
}

TEST_CASE("UTF-16 becomes UTF-8, surrogate pairs joined", "[source][odbc]") {
  const std::vector<SQLWCHAR> units = {u'Z', u'o', 0x00EB, u' ', 0x65E5, 0x672C, 0xD83D, 0xDE00};
  std::string out = "kept ";
  append_utf8(out, units);
  CHECK(out == "kept Zo\xC3\xAB \xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80");
  std::string lone;
  append_utf8(lone, std::vector<SQLWCHAR>{0xD800, u'a'});
  CHECK(lone ==
        "\xEF\xBF\xBD"
        "a");
}

TEST_CASE("column names widened byte by byte are read back as UTF-8", "[source][odbc]") {
  // "prénom 名" as unixODBC widens an ANSI driver's UTF-8 in the C locale.
  const std::vector<SQLWCHAR> widened = {'p', 'r', 0xC3, 0xA9, 'n', 'o',
                                         'm', ' ', 0xE5, 0x90, 0x8D};
  CHECK(odbc_column_name(widened) == "prénom 名");
  // Real UTF-16 from a Unicode driver.
  CHECK(odbc_column_name(std::vector<SQLWCHAR>{'p', 'r', 0xE9, 'n', 'o', 'm', ' ', 0x540D}) ==
        "prénom 名");
  CHECK(odbc_column_name(std::vector<SQLWCHAR>{'Z', 'o', 0xEB}) == "Zoë");
  CHECK(odbc_column_name(std::vector<SQLWCHAR>{'i', 'd'}) == "id");
}

TEST_CASE("bound buffers follow the column size within a per-row budget", "[source][odbc]") {
  const OdbcColumnKind wide{ColumnType::text, SQL_C_WCHAR, OdbcConversion::utf16};
  const OdbcColumnKind narrow{ColumnType::integer, SQL_C_CHAR, OdbcConversion::none};
  CHECK(odbc_value_buffer_bytes(wide, 10) == 22);
  CHECK(odbc_value_buffer_bytes(wide, 0) == k_long_column_bound_bytes);
  CHECK(odbc_value_buffer_bytes(wide, 8190) == k_long_column_bound_bytes);
  CHECK(odbc_value_buffer_bytes(narrow, 10) == k_min_bound_value_bytes);
  CHECK(odbc_value_buffer_bytes(narrow, 1000) == 1008);
  std::vector<std::size_t> widths = {4000, 4000, 4000, 4000, 4000, 64};
  fit_row_budget(widths, 16384);
  std::size_t total = 0;
  for (std::size_t width : widths) {
    total += width;
  }
  CHECK(total <= 16384);
  CHECK(widths.back() == 64);
  std::vector<std::size_t> many(1000, 64);
  fit_row_budget(many, 16384);  // cannot fit: left at the minimum
  CHECK(many.front() == 64);
}

TEST_CASE("a buffer whose values did not fit grows to hold them, within the row budget",
          "[source][odbc]") {
  // psqlODBC's text: 256 bytes bound; 200-character values need 402.
  CHECK(wider_buffer(256, 402, 256 + 6 * 64) == 512);
  CHECK_FALSE(wider_buffer(256, 200, 1000));  // it fitted
  CHECK(wider_buffer(256, 100'000, 1000) == k_max_bound_value_bytes);
  CHECK_FALSE(wider_buffer(k_max_bound_value_bytes, 100'000, 5000));
  // The row's buffers would pass the budget: left as they are.
  CHECK_FALSE(wider_buffer(256, 4000, k_bound_row_budget_bytes - 100));
  CHECK(wider_buffer(256, 4000, k_bound_row_budget_bytes - 4096 + 256) == 4096);
}

}  // namespace
}  // namespace emsync::source
