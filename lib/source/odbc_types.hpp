// How an ODBC result column is fetched and how its values become the
// canonical text of row_source.hpp. Pure (no driver calls).
//
//   ODBC SQL type                          column type  fetched as     value
//   CHAR, VARCHAR, LONGVARCHAR, WCHAR,     text         SQL_C_WCHAR    UTF-16 → UTF-8
//     WVARCHAR, WLONGVARCHAR, unknown                   (or SQL_C_CHAR UTF-8 as it is, from
//     driver types (VARIANT, JSON, ...)                  the drivers of odbc_text_fetch)
//   ... whose type name is bool/boolean    boolean      SQL_C_CHAR     "1"/"0"/"t"/"f" →
//     (psqlODBC's default BoolsAsChar=1)                                "true"/"false"
//   BIT                                    boolean      SQL_C_CHAR     likewise
//   TINYINT, SMALLINT, INTEGER, BIGINT     integer      SQL_C_CHAR     as the driver prints it
//   DECIMAL, NUMERIC                       numeric      SQL_C_CHAR     exact ("12.50"), no float
//   REAL, FLOAT, DOUBLE                    numeric      SQL_C_CHAR     as the driver prints it
//   TYPE_DATE                              date         SQL_C_CHAR     "YYYY-MM-DD"
//   TYPE_TIMESTAMP, SQL Server's           timestamp    SQL_C_CHAR     "YYYY-MM-DD HH:MM:SS[.f]";
//     DATETIMEOFFSET (-155)                                            an offset is converted to
//     UTC
//   TYPE_TIME, INTERVAL_*                  text         SQL_C_CHAR     as printed
//   GUID                                   text         SQL_C_CHAR     lower case (as PostgreSQL)
//   BINARY, VARBINARY, LONGVARBINARY       binary       not read       always NULL
//
// Character data is fetched as SQL_C_WCHAR because what SQL_C_CHAR holds
// depends on the driver and the process locale (psqlODBC's Unicode driver
// converts SQL_C_CHAR to the locale's encoding when that is neither UTF-8
// nor the C locale's ASCII); UTF-16 (unixODBC's SQLWCHAR) is the one encoding
// every driver must deliver. But from the drivers known to hand SQL_C_CHAR
// over as the database's UTF-8, in the locales where they do
// (odbc_text_fetch), it is fetched as SQL_C_CHAR: no conversion to UTF-16
// and back (psqlODBC's made a 1M-row read about a fifth slower). Bytes
// that are not UTF-8 (SQLite stores what it is given) then pass as the
// SQLite source passes them, and sync rejects their row. The other types
// are ASCII as SQL_C_CHAR, in the formats ODBC's conversion rules fix.
// A timestamp with time zone arrives in whatever zone the driver's session
// uses when the driver gives no offset (psqlODBC: the session's TimeZone,
// so its users add pqopt={options='-c TimeZone=UTC'}).
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "source/row_source.hpp"

namespace emsync::source {

// What a fetched value needs to become canonical text (utf8: character
// data fetched as SQL_C_CHAR, nothing).
enum class OdbcConversion { none, utf16, utf8, boolean, guid, timestamp };

// How character data is fetched: SQL_C_WCHAR (UTF-16), or SQL_C_CHAR taken
// as UTF-8.
enum class OdbcText { utf16, utf8 };

// How to fetch character data from the driver whose SQL_DRIVER_NAME is
// `driver_file`, in a process whose LC_CTYPE codeset (nl_langinfo(CODESET))
// is `codeset`: utf8 for psqlODBC's Unicode driver (psqlodbcw.so) and
// libsqlite3odbc (sqlite3odbc.so), which give SQL_C_CHAR as the database's
// UTF-8, unconverted, in the C locale ("ANSI_X3.4-1968": the daemon's, as it
// never sets one) and in UTF-8 locales (tried here, both drivers, both
// locales); utf16 for any other driver or locale.
//   odbc_text_fetch("psqlodbcw.so", "ANSI_X3.4-1968") == OdbcText::utf8
//   odbc_text_fetch("psqlodbca.so", "UTF-8") == OdbcText::utf16
OdbcText odbc_text_fetch(std::string_view driver_file, std::string_view codeset);

struct OdbcColumnKind {
  ColumnType type = ColumnType::text;
  SQLSMALLINT c_type = SQL_C_WCHAR;  // meaningless for binary (not read)
  OdbcConversion conversion = OdbcConversion::utf16;
};

// From SQLDescribeCol's type and SQL_DESC_TYPE_NAME; character data fetched
// as `text` says.
OdbcColumnKind odbc_column_kind(SQLSMALLINT sql_type, std::string_view type_name,
                                OdbcText text = OdbcText::utf16);

// A character column's declared length in characters, from SQLDescribeCol's
// type and column size: (W)CHAR and (W)VARCHAR of a known size; nullopt for
// the long types, a size the driver does not know (0) and other types.
std::optional<std::int64_t> odbc_declared_chars(SQLSMALLINT sql_type, SQLULEN column_size);

// The largest bound buffer of one value, and the size given to a column
// whose size the driver does not know (0) or declares over the cap (TEXT,
// LONGVARCHAR): such values are usually short; a longer one is read again
// whole with SQLGetData.
inline constexpr std::size_t k_max_bound_value_bytes = 4096;
inline constexpr std::size_t k_long_column_bound_bytes = 256;
// The bound buffers of one row together; over it, the widest are halved
// (down to k_min_bound_value_bytes), so 1000 rows stay within a few MiB.
inline constexpr std::size_t k_bound_row_budget_bytes = 16384;
inline constexpr std::size_t k_min_bound_value_bytes = 64;

// Bytes of the bound buffer of a value of `kind` whose column size is
// `column_size` (characters or digits, from SQLDescribeCol), terminator
// included.
std::size_t odbc_value_buffer_bytes(const OdbcColumnKind& kind, SQLULEN column_size);

// Shrinks `widths` (one per bound column) in place until their sum is at most
// `budget`, halving the widest first, never below k_min_bound_value_bytes.
void fit_row_budget(std::span<std::size_t> widths, std::size_t budget);

// The wider buffer a bound column gets after a block in which a value of
// `longest` bytes (terminator included) did not fit its `width`: the next
// power of two that holds it, at most k_max_bound_value_bytes, as long as
// the row's buffers (`row_bytes` in all, this column's included) stay within
// k_bound_row_budget_bytes; nullopt when it stays as it is. So a model of
// values longer than the column metadata promised (psqlODBC's text is
// "unknown") pays SQLGetData on its first block only.
std::optional<std::size_t> wider_buffer(std::size_t width, std::size_t longest,
                                        std::size_t row_bytes);

// Appends `units` (UTF-16) to `out` as UTF-8; an unpaired surrogate becomes
// U+FFFD.
void append_utf8(std::string& out, std::span<const SQLWCHAR> units);

// A column name from SQLDescribeColW as UTF-8. With an ANSI driver
// (libsqliteodbc, psqlodbca) unixODBC widens the driver's bytes through the
// process locale, byte by byte in the C locale the daemon runs in, so a
// UTF-8 name arrives as one unit per byte ("prÃ©nom"). Units that are all
// below 0x100 and, read as bytes, are valid UTF-8 with a multi-byte
// sequence are taken as such bytes; anything else is converted as UTF-16.
std::string odbc_column_name(std::span<const SQLWCHAR> units);

// Turns `text` (a fetched value of a column with this conversion, not utf16)
// into canonical text in place (none and utf8: as it is).
//   boolean: "1"/"t"/"true"/"y" → "true", "0"/"f"/"false"/"n" → "false"
//     (any case); other text is kept.
//   guid: lower case.
//   timestamp: 'T' → ' ', trailing zeros of the fraction dropped, and a
//     trailing "Z" or UTC offset ("+02:00", " -0530", "+02") applied, giving UTC;
//     text that is no timestamp is kept.
void canonicalize(OdbcConversion conversion, std::string& text);

}  // namespace emsync::source
