#include "source/row_filter.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "core/quote.hpp"

namespace emsync::source {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whether `text` has the shape of `pattern`, where '9' stands for any digit.
bool has_shape(std::string_view text, std::string_view pattern) {
  return text.size() == pattern.size() &&
         std::equal(pattern.begin(), pattern.end(), text.begin(), [](char expected, char c) {
           return expected == '9' ? is_digit(c) : c == expected;
         });
}

// The digits of `text` from `at` on, `count` of them (has_shape checked them).
int number_at(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (const char c : text.substr(at, count)) {
    value = value * 10 + (c - '0');
  }
  return value;
}

bool read_integer(std::string_view text, FilterBound& bound) {
  // from_chars takes a leading '-' and no '+' or blank; all of `text` must be read.
  const char* end = text.data() + text.size();
  const auto [stop, failure] = std::from_chars(text.data(), end, bound.integer);
  return failure == std::errc() && stop == end;
}

// "YYYY-MM-DD", a real day.
bool read_date(std::string_view text, FilterBound& bound) {
  if (!has_shape(text, "9999-99-99")) {
    return false;
  }
  bound.year = number_at(text, 0, 4);
  bound.month = number_at(text, 5, 2);
  bound.day = number_at(text, 8, 2);
  const std::chrono::year_month_day day{std::chrono::year(bound.year),
                                        std::chrono::month(static_cast<unsigned>(bound.month)),
                                        std::chrono::day(static_cast<unsigned>(bound.day))};
  return day.ok();
}

// "YYYY-MM-DD HH:MM:SS[.f{1,6}]"; `text` of the bound loses the fraction's
// trailing zeros.
bool read_timestamp(std::string_view text, FilterBound& bound) {
  constexpr std::size_t k_seconds_end = 19;
  if (text.size() < k_seconds_end || !read_date(text.substr(0, 10), bound) ||
      !has_shape(text.substr(10, 9), " 99:99:99")) {
    return false;
  }
  bound.hour = number_at(text, 11, 2);
  bound.minute = number_at(text, 14, 2);
  bound.second = number_at(text, 17, 2);
  if (bound.hour > 23 || bound.minute > 59 || bound.second > 59) {
    return false;
  }
  std::string_view fraction = text.substr(k_seconds_end);
  if (!fraction.empty()) {
    if (!fraction.starts_with('.')) {
      return false;
    }
    fraction.remove_prefix(1);
    if (fraction.empty() || fraction.size() > 6 ||
        !std::all_of(fraction.begin(), fraction.end(), is_digit)) {
      return false;
    }
  }
  std::uint32_t nanoseconds = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    nanoseconds = nanoseconds * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  bound.nanoseconds = nanoseconds;
  while (fraction.ends_with('0')) {
    fraction.remove_suffix(1);
  }
  bound.text = std::string(text.substr(0, k_seconds_end));
  if (!fraction.empty()) {
    bound.text += '.';
    bound.text += fraction;
  }
  return true;
}

// [A-Za-z_][A-Za-z0-9_]*: a name that needs no quotes.
bool is_plain_identifier(std::string_view name) {
  const auto letter = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  return !name.empty() && letter(name[0]) &&
         std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || is_digit(c); });
}

Error bad_filter(const RowFilter& filter, const std::string& what) {
  return make_error(Errc::invalid_input,
                    "the incremental read of cursor column '" + filter.column + "': " + what);
}

}  // namespace

std::string without_terminator(std::string_view query) {
  const std::size_t end = query.find_last_not_of(" \t\r\n;");
  return std::string(query.substr(0, end == std::string_view::npos ? 0 : end + 1));
}

std::string quote_identifier(std::string_view name, std::string_view quote) {
  std::string quoted(quote);
  for (std::size_t at = 0; at < name.size();) {
    if (!quote.empty() && name.substr(at).starts_with(quote)) {
      quoted.append(quote).append(quote);
      at += quote.size();
    } else {
      quoted += name[at++];
    }
  }
  return quoted.append(quote);
}

Result<std::string> quote_column(std::string_view column, std::string_view quote,
                                 std::string_view role) {
  if (!quote.empty() && quote != " ") {
    return quote_identifier(column, quote);
  }
  if (!is_plain_identifier(column)) {
    return make_error(Errc::source_error,
                      "the " + std::string(role) + " '" + std::string(column) +
                          "' needs quotes, and the driver quotes no identifier: name it with "
                          "letters, digits and underscores only in the model (AS updated_at)");
  }
  return std::string(column);
}

std::string filtered_select(std::string_view text, std::string_view quoted_column,
                            std::string_view alias, std::string_view parameter) {
  return "SELECT * FROM (" + without_terminator(text) + "\n) " + std::string(alias) +
         " WHERE emsync_model." + std::string(quoted_column) + " >= " + std::string(parameter) +
         "\n";
}

std::string email_select(std::string_view text, std::string_view quoted_column,
                         std::string_view alias, std::string_view parameter) {
  return "SELECT * FROM (" + without_terminator(text) + "\n) " + std::string(alias) +
         " WHERE LOWER(TRIM(emsync_model." + std::string(quoted_column) +
         ")) = " + std::string(parameter) + "\n";
}

Result<void> check_email_filter(const QueryOptions& options) {
  if (!options.email_filter || (!options.filter && !options.columns_only)) {
    return ok();
  }
  return make_error(Errc::invalid_input,
                    "the read of one contact (email column '" +
                        quote_value(options.email_filter->column) + "') " +
                        (options.filter ? "cannot also be incremental"
                                        : "cannot be a check of the columns alone") +
                        ": the caller asked for two reads at once");
}

Result<std::optional<FilterBound>> filter_bound(const QueryOptions& options) {
  if (!options.filter) {
    return std::optional<FilterBound>();
  }
  const RowFilter& filter = *options.filter;
  if (options.columns_only) {
    return bad_filter(filter,
                      "a check of the model's columns (columns_only) reads no row to filter");
  }
  FilterBound bound;
  bound.type = filter.type;
  bound.text = filter.bound;
  bool read = false;
  const char* form = "";
  switch (filter.type) {
    case ColumnType::integer:
      read = read_integer(filter.bound, bound);
      form = "an integer";
      break;
    case ColumnType::date:
      read = read_date(filter.bound, bound);
      form = "a date (YYYY-MM-DD)";
      break;
    case ColumnType::timestamp:
      read = read_timestamp(filter.bound, bound);
      form = "a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff], UTC)";
      break;
    default:
      return bad_filter(filter, std::string("a ") + to_string(filter.type) +
                                    " cursor cannot bound a read: use an integer, date or "
                                    "timestamp column");
  }
  if (!read) {
    return bad_filter(filter, "the bound '" + quote_value(filter.bound) + "' is not " + form);
  }
  return std::optional<FilterBound>(std::move(bound));
}

}  // namespace emsync::source
