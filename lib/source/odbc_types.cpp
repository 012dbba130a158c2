#include "source/odbc_types.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace emsync::source {
namespace {

// SQL Server's DATETIMEOFFSET (msodbcsql's SQL_SS_TIMESTAMPOFFSET).
constexpr SQLSMALLINT k_timestamp_offset = -155;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_character(SQLSMALLINT sql_type) {
  switch (sql_type) {
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_LONGVARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
    case SQL_WLONGVARCHAR:
      return true;
    default:
      return false;
  }
}

bool is_interval(SQLSMALLINT sql_type) {
  return sql_type >= SQL_INTERVAL_YEAR && sql_type <= SQL_INTERVAL_MINUTE_TO_SECOND;
}

void lower(std::string& text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), and back.
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) {
    return false;
  }
  value = 0;
  for (const char c : text.substr(at, count)) {
    if (c < '0' || c > '9') {
      return false;  // from_chars would take a sign
    }
    value = value * 10 + (c - '0');
  }
  return true;
}

// The offset in minutes east of UTC that `suffix` (what follows a
// timestamp's seconds and fraction) gives: "" and "Z" 0, "+02", "+0200",
// "+02:00" or " -05:30" (blanks before the sign); nullopt for anything else.
std::optional<int> offset_minutes(std::string_view suffix) {
  if (suffix.empty() || suffix == "Z") {
    return 0;
  }
  while (suffix.starts_with(' ')) {
    suffix.remove_prefix(1);
  }
  if (suffix.empty() || (suffix[0] != '+' && suffix[0] != '-')) {
    return std::nullopt;
  }
  const std::string_view rest = suffix.substr(1);
  int hours = 0;
  int minutes = 0;
  const bool parsed = rest.size() == 2   ? digits(rest, 0, 2, hours)
                      : rest.size() == 4 ? digits(rest, 0, 2, hours) && digits(rest, 2, 2, minutes)
                      : rest.size() == 5 ? rest[2] == ':' && digits(rest, 0, 2, hours) &&
                                               digits(rest, 3, 2, minutes)
                                         : false;
  if (!parsed) {
    return std::nullopt;
  }
  const int total = hours * 60 + minutes;
  return suffix[0] == '-' ? -total : total;
}

// Only text of the form "YYYY-MM-DD[ T]HH:MM:SS[.fraction][offset]" is
// changed; anything else is kept for the sync layer to judge, so canonical
// text stays as it is when canonicalized again.
void canonical_timestamp(std::string& text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') ||
      text[13] != ':' || text[16] != ':' || !digits(text, 0, 4, year) || !digits(text, 5, 2, month) ||
      !digits(text, 8, 2, day) || !digits(text, 11, 2, hour) || !digits(text, 14, 2, minute) ||
      !digits(text, 17, 2, second)) {
    return;
  }
  std::size_t end = 19;
  if (end < text.size() && text[end] == '.') {
    ++end;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      ++end;
    }
  }
  const auto offset = offset_minutes(std::string_view(text).substr(end));
  if (!offset) {
    return;
  }
  text.resize(end);
  text[10] = ' ';
  // The fraction without trailing zeros (".250" → ".25", ".000" → "").
  if (text.size() > 19) {
    const std::size_t last = text.find_last_not_of('0');
    text.resize(last == 19 ? 19 : last + 1);
  }
  if (*offset == 0) {
    return;
  }
  long long minutes =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 1440 +
      hour * 60 + minute - *offset;
  long long days = minutes / 1440;
  minutes %= 1440;
  if (minutes < 0) {
    minutes += 1440;
    --days;
  }
  long long utc_year = 0;
  unsigned utc_month = 0;
  unsigned utc_day = 0;
  civil_from_days(days, utc_year, utc_month, utc_day);
  char head[64];
  std::snprintf(head, sizeof head, "%04lld-%02u-%02u %02lld:%02lld", utc_year % 10000, utc_month,
                utc_day, minutes / 60, minutes % 60);
  text.replace(0, 16, head, 16);
}

void canonical_boolean(std::string& text) {
  for (std::string_view yes : {"1", "t", "true", "y", "yes"}) {
    if (iequals(text, yes)) {
      text = "true";
      return;
    }
  }
  for (std::string_view no : {"0", "f", "false", "n", "no"}) {
    if (iequals(text, no)) {
      text = "false";
      return;
    }
  }
}

}  // namespace

std::optional<std::int64_t> odbc_declared_chars(SQLSMALLINT sql_type, SQLULEN column_size) {
  const bool sized = sql_type == SQL_CHAR || sql_type == SQL_VARCHAR || sql_type == SQL_WCHAR ||
                     sql_type == SQL_WVARCHAR;
  if (!sized || column_size == 0 ||
      column_size > static_cast<SQLULEN>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(column_size);
}

OdbcText odbc_text_fetch(std::string_view driver_file, std::string_view codeset) {
  const std::size_t slash = driver_file.rfind('/');
  const std::string_view file =
      slash == std::string_view::npos ? driver_file : driver_file.substr(slash + 1);
  const bool known = file == "psqlodbcw.so" || file == "sqlite3odbc.so" ||
                     file == "libsqlite3odbc.so";
  const bool unconverted = codeset == "ANSI_X3.4-1968" || codeset == "UTF-8";
  return known && unconverted ? OdbcText::utf8 : OdbcText::utf16;
}

OdbcColumnKind odbc_column_kind(SQLSMALLINT sql_type, std::string_view type_name, OdbcText text) {
  const OdbcColumnKind character =
      text == OdbcText::utf8 ? OdbcColumnKind{ColumnType::text, SQL_C_CHAR, OdbcConversion::utf8}
                             : OdbcColumnKind{ColumnType::text, SQL_C_WCHAR, OdbcConversion::utf16};
  if (is_character(sql_type)) {
    if (iequals(type_name, "bool") || iequals(type_name, "boolean")) {
      return {ColumnType::boolean, SQL_C_CHAR, OdbcConversion::boolean};
    }
    return character;
  }
  switch (sql_type) {
    case SQL_BIT:
      return {ColumnType::boolean, SQL_C_CHAR, OdbcConversion::boolean};
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
      return {ColumnType::integer, SQL_C_CHAR, OdbcConversion::none};
    case SQL_DECIMAL:
    case SQL_NUMERIC:
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
      return {ColumnType::numeric, SQL_C_CHAR, OdbcConversion::none};
    case SQL_TYPE_DATE:
    case SQL_DATE:
      return {ColumnType::date, SQL_C_CHAR, OdbcConversion::none};
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
    case k_timestamp_offset:
      return {ColumnType::timestamp, SQL_C_CHAR, OdbcConversion::timestamp};
    case SQL_TYPE_TIME:
    case SQL_TIME:
      return {ColumnType::text, SQL_C_CHAR, OdbcConversion::none};
    case SQL_GUID:
      return {ColumnType::text, SQL_C_CHAR, OdbcConversion::guid};
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY:
      return {ColumnType::binary, SQL_C_BINARY, OdbcConversion::none};
    default:
      if (is_interval(sql_type)) {
        return {ColumnType::text, SQL_C_CHAR, OdbcConversion::none};
      }
      return character;
  }
}

std::size_t odbc_value_buffer_bytes(const OdbcColumnKind& kind, SQLULEN column_size) {
  if (kind.c_type == SQL_C_WCHAR) {
    if (column_size == 0 || column_size >= k_max_bound_value_bytes / sizeof(SQLWCHAR)) {
      return k_long_column_bound_bytes;
    }
    return (column_size + 1) * sizeof(SQLWCHAR);
  }
  if (kind.conversion == OdbcConversion::utf8) {  // up to 4 bytes a character
    if (column_size == 0 || column_size >= k_max_bound_value_bytes / 4) {
      return k_long_column_bound_bytes;
    }
    return std::max<std::size_t>(k_min_bound_value_bytes, column_size * 4 + 1);
  }
  // ASCII: digits, sign, point, exponent, terminator; at least 64 bytes
  // (a double's shortest text, a timestamp with offset).
  if (column_size >= k_max_bound_value_bytes) {
    return k_long_column_bound_bytes;
  }
  return std::max<std::size_t>(k_min_bound_value_bytes, column_size + 8);
}

void fit_row_budget(std::span<std::size_t> widths, std::size_t budget) {
  for (;;) {
    std::size_t total = 0;
    for (std::size_t width : widths) {
      total += width;
    }
    if (total <= budget || widths.empty()) {
      return;
    }
    auto widest = std::max_element(widths.begin(), widths.end());
    if (*widest <= k_min_bound_value_bytes) {
      return;  // as small as they go: more columns than the budget holds
    }
    *widest = std::max(k_min_bound_value_bytes, *widest / 2);
  }
}

std::optional<std::size_t> wider_buffer(std::size_t width, std::size_t longest,
                                        std::size_t row_bytes) {
  if (longest <= width || width >= k_max_bound_value_bytes) {
    return std::nullopt;
  }
  const std::size_t wider = std::min(k_max_bound_value_bytes, std::bit_ceil(longest));
  if (row_bytes - width + wider > k_bound_row_budget_bytes) {
    return std::nullopt;
  }
  return wider;
}

void append_utf8(std::string& out, std::span<const SQLWCHAR> units) {
  // At most 3 bytes per unit (a surrogate pair: 4 bytes for 2 units), written
  // in place: this runs for every text value of a model.
  const std::size_t start = out.size();
  out.resize(start + 3 * units.size());
  char* to = out.data() + start;
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t code = units[i];
    if (code < 0x80) {
      *to++ = static_cast<char>(code);
      continue;
    }
    if (code >= 0xD800 && code <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      code = 0x10000 + ((code - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (code >= 0xD800 && code <= 0xDFFF) {
      code = 0xFFFD;
    }
    if (code < 0x800) {
      *to++ = static_cast<char>(0xC0 | (code >> 6));
    } else if (code < 0x10000) {
      *to++ = static_cast<char>(0xE0 | (code >> 12));
      *to++ = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    } else {
      *to++ = static_cast<char>(0xF0 | (code >> 18));
      *to++ = static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      *to++ = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    }
    *to++ = static_cast<char>(0x80 | (code & 0x3F));
  }
  out.resize(static_cast<std::size_t>(to - out.data()));
}

std::string odbc_column_name(std::span<const SQLWCHAR> units) {
  std::string bytes;
  bool multi_byte = false;
  for (SQLWCHAR unit : units) {
    if (unit > 0xFF) {
      bytes.clear();
      append_utf8(bytes, units);
      return bytes;
    }
    multi_byte = multi_byte || unit >= 0x80;
    bytes += static_cast<char>(unit);
  }
  if (!multi_byte) {
    return bytes;  // ASCII
  }
  // Valid UTF-8 (RFC 3629 shapes: lead byte, then continuation bytes)?
  for (std::size_t i = 0; i < bytes.size();) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    const std::size_t length = lead < 0x80                    ? 1
                               : lead >= 0xC2 && lead <= 0xDF ? 2
                               : lead >= 0xE0 && lead <= 0xEF ? 3
                               : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                              : 0;
    bool valid = length != 0 && i + length <= bytes.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) {
      bytes.clear();
      append_utf8(bytes, units);  // Latin-1 names, say "Zoë" from a Unicode driver
      return bytes;
    }
    i += length;
  }
  return bytes;
}

void canonicalize(OdbcConversion conversion, std::string& text) {
  switch (conversion) {
    case OdbcConversion::boolean:
      canonical_boolean(text);
      return;
    case OdbcConversion::guid:
      lower(text);
      return;
    case OdbcConversion::timestamp:
      canonical_timestamp(text);
      return;
    case OdbcConversion::none:
    case OdbcConversion::utf16:
    case OdbcConversion::utf8:
      return;
  }
}

}  // namespace emsync::source
