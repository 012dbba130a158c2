#include <catch2/catch.hpp>

#include "source/row_filter.hpp"

namespace emsync::source {
namespace {

QueryOptions filtered(ColumnType type, std::string bound, bool columns_only = false) {
  QueryOptions options;
  options.columns_only = columns_only;
  options.filter = RowFilter{"updated_at", type, std::move(bound)};
  return options;
}

TEST_CASE("a model's trailing semicolons and blanks are dropped, nothing else", "[source]") {
  CHECK(without_terminator("SELECT 1;\n ;\t") == "SELECT 1");
  CHECK(without_terminator("SELECT ';' -- x;\n") == "SELECT ';' -- x");
  CHECK(without_terminator(" ;\n") == "");
}

TEST_CASE("an identifier is quoted with its quotes doubled", "[source]") {
  CHECK(quote_identifier("updated_at", "\"") == "\"updated_at\"");
  CHECK(quote_identifier("a\"b\"", "\"") == "\"a\"\"b\"\"\"");
  CHECK(quote_identifier("", "\"") == "\"\"");
  CHECK(quote_identifier("it`s", "`") == "`it``s`");
}

TEST_CASE("a driver without identifier quotes takes plain column names only", "[source]") {
  CHECK(quote_column("Updated At", "\"").value() == "\"Updated At\"");
  // SQL_IDENTIFIER_QUOTE_CHAR is " " for a driver that has none.
  for (const char* none : {" ", ""}) {
    CHECK(quote_column("updated_at_2", none).value() == "updated_at_2");
    CHECK(quote_column("_x", none).value() == "_x");
    for (const char* name : {"updated at", "2nd", "a\"b", "é", ""}) {
      INFO(name);
      auto quoted = quote_column(name, none);
      REQUIRE_FALSE(quoted);
      CHECK(quoted.error().code == Errc::source_error);
      CHECK_THAT(quoted.error().message,
                 Catch::StartsWith("the cursor column '" + std::string(name) + "' needs quotes"));
    }
  }
}

TEST_CASE("the filtered query wraps the model, a newline after it, the bound a parameter",
          "[source]") {
  CHECK(filtered_select("SELECT * FROM t -- all;\n;  ", "\"t\"", "AS emsync_model", "?1") ==
        "SELECT * FROM (SELECT * FROM t -- all\n) AS emsync_model WHERE emsync_model.\"t\" >= "
        "?1\n");
  CHECK(filtered_select("SELECT 1", "c", "emsync_model", "?") ==
        "SELECT * FROM (SELECT 1\n) emsync_model WHERE emsync_model.c >= ?\n");
}

TEST_CASE("one contact's query wraps the model alike; it is neither incremental nor a check",
          "[source]") {
  CHECK(email_select("SELECT 1 AS e;", "e", "emsync_model", "?") ==
        "SELECT * FROM (SELECT 1 AS e\n) emsync_model WHERE LOWER(TRIM(emsync_model.e)) = ?\n");
  QueryOptions options;
  CHECK(check_email_filter(options));
  options.email_filter = EmailFilter{"email", "a@x.com"};
  CHECK(check_email_filter(options));
  options.columns_only = true;
  CHECK_FALSE(check_email_filter(options));
  options.columns_only = false;
  options.filter = RowFilter{"at", ColumnType::integer, "1"};
  const auto both = check_email_filter(options);
  REQUIRE_FALSE(both);
  CHECK(both.error().code == Errc::invalid_input);
  CHECK_THAT(both.error().message, Catch::Contains("email column 'email'"));
  // A driver without identifier quotes: the email column is named as such.
  CHECK_THAT(quote_column("E-Mail", " ", "email column").error().message,
             Catch::StartsWith("the email column 'E-Mail' needs quotes"));
}

TEST_CASE("no filter, no bound", "[source]") {
  auto bound = filter_bound(QueryOptions{});
  REQUIRE(bound);
  CHECK_FALSE(bound->has_value());
}

TEST_CASE("integer bounds are read whole, within 64 bits", "[source]") {
  auto bound = filter_bound(filtered(ColumnType::integer, "-9223372036854775808"));
  REQUIRE(bound);
  CHECK((*bound)->integer == INT64_MIN);
  CHECK(filter_bound(filtered(ColumnType::integer, "42")).value()->integer == 42);
  for (const char* bad :
       {"", "-", "+1", " 1", "1 ", "1.0", "1e3", "9223372036854775808", "0x10", "42abc"}) {
    INFO(bad);
    auto refused = filter_bound(filtered(ColumnType::integer, bad));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK_THAT(refused.error().message,
               Catch::StartsWith("the incremental read of cursor column 'updated_at': the bound '" +
                                 std::string(bad) + "' is not an integer"));
  }
}

TEST_CASE("date bounds are real days in YYYY-MM-DD", "[source]") {
  auto bound = filter_bound(filtered(ColumnType::date, "2024-02-29"));
  REQUIRE(bound);
  CHECK((*bound)->year == 2024);
  CHECK((*bound)->month == 2);
  CHECK((*bound)->day == 29);
  CHECK((*bound)->text == "2024-02-29");
  for (const char* bad : {"2023-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-4-1",
                          "2026-12-02 00:00:00", "20261202", "2026/12/02", "2026-12-0x"}) {
    INFO(bad);
    auto refused = filter_bound(filtered(ColumnType::date, bad));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK_THAT(refused.error().message, Catch::EndsWith("is not a date (YYYY-MM-DD)"));
  }
}

TEST_CASE("timestamp bounds are read to the nanosecond, their text without trailing zeros",
          "[source]") {
  auto bound = filter_bound(filtered(ColumnType::timestamp, "2026-12-02 10:09:08.250000"));
  REQUIRE(bound);
  const FilterBound& read = **bound;
  CHECK(read.year == 2026);
  CHECK(read.month == 12);
  CHECK(read.day == 2);
  CHECK(read.hour == 10);
  CHECK(read.minute == 9);
  CHECK(read.second == 8);
  CHECK(read.nanoseconds == 250000000);
  CHECK(read.text == "2026-12-02 10:09:08.25");
  CHECK(filter_bound(filtered(ColumnType::timestamp, "2026-12-02 10:00:00.000001"))
            .value()
            ->nanoseconds == 1000);
  CHECK(filter_bound(filtered(ColumnType::timestamp, "2026-12-02 10:00:00.000000")).value()->text ==
        "2026-12-02 10:00:00");
  CHECK(filter_bound(filtered(ColumnType::timestamp, "2026-12-02 23:59:59")).value()->text ==
        "2026-12-02 23:59:59");
  for (const char* bad :
       {"2026-12-02", "2026-12-02T10:00:00", "2026-12-02 10:00:00Z", "2026-12-02 10:00:00+00",
        "2026-12-02 24:00:00", "2026-12-02 10:60:00", "2026-12-02 10:00:60", "2026-12-02 10:00",
        "2026-12-02 10:00:00.", "2026-12-02 10:00:00.1234567", "2026-12-02 10:00:00,5",
        "2026-02-30 10:00:00", "2026-12-02 10:00:0a"}) {
    INFO(bad);
    auto refused = filter_bound(filtered(ColumnType::timestamp, bad));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK_THAT(refused.error().message,
               Catch::EndsWith("is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff], UTC)"));
  }
}

TEST_CASE("only integer, date and timestamp columns bound a read, never with columns_only",
          "[source]") {
  for (ColumnType type :
       {ColumnType::text, ColumnType::numeric, ColumnType::boolean, ColumnType::binary}) {
    auto refused = filter_bound(filtered(type, "1"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK_THAT(refused.error().message, Catch::Contains(std::string("a ") + to_string(type) +
                                                        " cursor cannot bound a read"));
  }
  auto check = filter_bound(filtered(ColumnType::integer, "1", true));
  REQUIRE_FALSE(check);
  CHECK(check.error().code == Errc::invalid_input);
  CHECK_THAT(check.error().message, Catch::Contains("columns_only"));
}

}  // namespace
}  // namespace emsync::source
