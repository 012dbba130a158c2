// How a RowFilter (row_source.hpp) becomes SQL and a bound value, for the
// three sources alike (pure; no database).
//
// The filtered query wraps the model's text in
//   SELECT * FROM (<text>\n) <alias> WHERE emsync_model.<column> >= <parameter>\n
// The text comes unchanged from the model, after it was prepared alone (one
// statement, tokens balanced), so it cannot close the parentheses or the
// statement it is wrapped in; the newline after it keeps a trailing
// "-- comment" from swallowing what follows. The column is quoted; the bound
// never appears in the text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "source/row_source.hpp"

namespace emsync::source {

// The model text without trailing semicolons and blanks (a subquery, COPY
// and DECLARE take a query, not a statement).
std::string without_terminator(std::string_view query);

// `name` between two `quote`s, each `quote` in it doubled: quote_identifier(
// "a\"b", "\"") is "\"a\"\"b\"".
std::string quote_identifier(std::string_view name, std::string_view quote);

// `column` quoted with `quote`, the driver's SQL_IDENTIFIER_QUOTE_CHAR. A
// driver that has none gives " ": then `column` goes unquoted if it is a
// plain identifier ([A-Za-z_][A-Za-z0-9_]*), else Errc::source_error naming
// it as `role` ("cursor column", "email column").
Result<std::string> quote_column(std::string_view column, std::string_view quote,
                                 std::string_view role = "cursor column");

// The filtered query (above) of `text`, its terminator dropped: `alias` is
// "AS emsync_model" or "emsync_model" (Oracle takes no AS there),
// `parameter` "$1", "?1" or "?".
std::string filtered_select(std::string_view text, std::string_view quoted_column,
                            std::string_view alias, std::string_view parameter);

// What a database's error about a filtered query adds to its message: a
// line or position it names is of the wrapped query, not of the model's text
// alone.
inline constexpr const char* k_wrapped_query_note =
    "the model query ran wrapped as SELECT * FROM (<query>\n) emsync_model WHERE ...: a line "
    "the database names is the query's own line, a column on its first line is 15 characters "
    "past the query's";

// The query of an EmailFilter: the model wrapped as above, with the
// condition LOWER(TRIM(emsync_model.<quoted_column>)) = <parameter>.
std::string email_select(std::string_view text, std::string_view quoted_column,
                         std::string_view alias, std::string_view parameter);

// Checks an EmailFilter (row_source.hpp) against the other options:
// Errc::invalid_input, naming the column, with a RowFilter or columns_only.
Result<void> check_email_filter(const QueryOptions& options);

// A bound, read from its canonical text (row_source.hpp, Value).
struct FilterBound {
  ColumnType type = ColumnType::timestamp;  // integer, date or timestamp
  std::int64_t integer = 0;                 // integer
  int year = 0, month = 0, day = 0;         // date, timestamp
  int hour = 0, minute = 0, second = 0;     // timestamp
  std::uint32_t nanoseconds = 0;            // timestamp: the fraction, at most 6 digits
  // The shortest canonical text of the same value: a timestamp's fraction
  // without trailing zeros ("10:00:00.25", "10:00:00"), which as text is at
  // most any spelling of the same instant with more digits ("10:00:00.250").
  std::string text;
};

// The filter's bound, read strictly: integer "-?[0-9]+" within int64; date
// "YYYY-MM-DD"; timestamp "YYYY-MM-DD HH:MM:SS" with an optional fraction of
// 1 to 6 digits; a real day of the month, hours < 24, minutes and seconds <
// 60. nullopt without a filter. Errc::invalid_input, naming the column and
// the bound, for another text or type, or a filter with columns_only.
Result<std::optional<FilterBound>> filter_bound(const QueryOptions& options);

}  // namespace emsync::source
