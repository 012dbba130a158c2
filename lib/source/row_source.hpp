// A RowSource runs a model's SQL query and streams its rows, one at a time,
// without holding the result in memory.
//
// Three implementations: PostgreSQL (libpq: COPY streaming, or a server-side
// cursor for Redshift; READ ONLY transaction, statement timeout), ODBC (any
// warehouse with an ODBC driver: Snowflake, BigQuery, Databricks, ...;
// column-wise array fetch) and SQLite (the embedded default).
//
// Whatever its text, a model runs as one read-only statement, refused by the
// database otherwise (a second statement, a write, nextval(), a
// data-modifying CTE, COMMIT or SET): the stream fails with the database's
// message and k_one_read_only_select, and nothing in the source changes.
// ODBC holds to this only as far as the driver does (odbc_row_source.cpp):
// read-only access mode where the driver knows it, and a transaction that is
// rolled back at the end; psqlODBC runs every statement of a text of several,
// so for a warehouse the role's grants are what forbids writes.
//
// Blocking: stream() blocks the calling thread for the whole query, so the
// daemon calls it on its blocking thread pool, never on the event loop.
// Not thread-safe: one stream at a time per RowSource object.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace emsync::source {

// The type of a result column, which decides how its values are converted
// and which Emarsys field type a custom attribute gets.
//   PostgreSQL: bool → boolean; int2/int4/int8 → integer; float4/float8/numeric
//   → numeric; date → date; timestamp/timestamptz → timestamp; else text.
//   SQLite: from the declared column type (INT* → integer; REAL/FLOA/DOUB/
//   NUMERIC/DECIMAL → numeric; BOOL* → boolean; DATE → date; DATETIME/
//   TIMESTAMP → timestamp; else text); an expression without a declared type
//   takes the storage class of its first non-NULL value (text if none).
//   ODBC: from the ODBC SQL type (odbc_types.hpp: character → text, integer
//   types → integer, decimal/numeric/float → numeric, bit → boolean, date,
//   timestamp, binary → binary; else text).
// binary: bytes emsync does not send (bytea, varbinary); their values are not
// read (always std::nullopt), and a run whose activation uses such a column
// (as the email or a mapped column) fails, asking to cast it to text.
enum class ColumnType { text, integer, numeric, boolean, date, timestamp, binary };

const char* to_string(ColumnType type);

struct Column {
  std::string name;
  ColumnType type = ColumnType::text;
  // A text column's declared maximum length in characters (varchar(100):
  // 100), when the source declares one; std::nullopt for an unbounded text
  // (PostgreSQL text, SQLite TEXT, an ODBC long type) and other types.
  std::optional<std::int64_t> max_chars;
};

// A value in canonical text form; std::nullopt is SQL NULL.
//   integer: "42", "-7"; numeric: as the database prints it ("12.50", "1e+20");
//   boolean: "true"/"false"; date: "YYYY-MM-DD";
//   timestamp: "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (timestamptz values are
//   converted to UTC; ODBC: when the driver gives an offset); text: as stored
//   (ODBC: UTF-8).
using Value = std::optional<std::string>;

// Receives a stream. Returning an error from either callback stops the stream
// and makes stream() return that error (used for cancellation).
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called once, before the first row (also when there are no rows).
  virtual Result<void> on_columns(const std::vector<Column>& columns) = 0;
  // `values` has one entry per column and is valid only during the call.
  virtual Result<void> on_row(std::span<const Value> values) = 0;
  // Several rows at once, `columns` values each, row by row (valid only
  // during the call), from a producer that holds them together (the sync
  // module's row pipeline), so that a sink can prepare a few rows ahead of
  // judging them (e.g. start fetching what it will look up). The default
  // calls on_row() for each, and stops at the first error.
  virtual Result<void> on_rows(std::span<const Value> values, std::size_t columns);
};

// What the error of a model that is not one read-only statement says.
inline constexpr std::string_view k_one_read_only_select =
    "the model must be one read-only SELECT statement";

// Incremental reads: only the rows whose `column` is at least `bound`. The
// source runs
//   SELECT * FROM (<model>) AS emsync_model WHERE emsync_model.<column> >= ?
// (row_filter.hpp) with the column quoted as the database quotes identifiers
// (PostgreSQL and SQLite "...", a quote in the name doubled; ODBC the
// driver's SQL_IDENTIFIER_QUOTE_CHAR, and no AS: Oracle refuses it there) and
// the bound passed as a parameter, never in the SQL text, so that the
// database can use an index, a partition or a clustering key on the column.
// The model is still one read-only statement, refused otherwise as without a
// filter. A row whose column is NULL is never read.
//   PostgreSQL: a parameter of unknown type, which the server types as the
//     column (a timestamp, timestamptz, date, integer or numeric column keeps
//     its index); read through the cursor (DECLARE takes parameters, COPY
//     does not), in copy mode too. The session's time zone is UTC, so a
//     timestamptz column compares with the bound as UTC.
//   SQLite: bound as an integer, or as the shortest canonical text (a
//     fraction without trailing zeros: "10:00:00.25", "10:00:00"), and SQLite
//     compares stored text: "YYYY-MM-DD HH:MM:SS[.f]" in UTC as datetime()
//     writes it compares exactly; another spelling of a time is read when it
//     sorts after the bound as text, so "YYYY-MM-DDTHH:MM:SS" is read from
//     the bound's day on and "...Z" from the bound's second on: more rows,
//     never fewer.
//   ODBC: SQL_C_SBIGINT / SQL_C_TYPE_DATE / SQL_C_TYPE_TIMESTAMP (column size
//     26, 6 digits), but for SQLite (SQL_DBMS_NAME "SQLite": libsqliteodbc
//     would make text of a timestamp with milliseconds, "10:00:00.000",
//     which misses the stored "10:00:00") a timestamp goes as its canonical
//     text (SQL_C_CHAR), as the SQLite source binds it. A timestamp bound has
//     no zone: a column with one compares in the session's time zone, which
//     must be UTC (psqlODBC: pqopt={options='-c TimeZone=UTC'}; another
//     warehouse: its session time zone setting). A driver that quotes no
//     identifier takes a plain column name only ([A-Za-z_][A-Za-z0-9_]*),
//     else a source_error.
// The columns given to RowSink::on_columns are the model's, as without a
// filter (SQLite: a column without a declared type takes the type of the
// model's first non-NULL value, filtered or not), and on_columns is called
// before the filtered query runs (ODBC: prepared and described, before
// SQLExecute), so the sink can refuse a column of another type than `type`
// before the database compares it with the bound.
// A bound that is not the canonical text of `type`, a `type` other than
// integer, date or timestamp, or a filter with columns_only is
// Errc::invalid_input, before the source connects.
struct RowFilter {
  std::string column;
  ColumnType type = ColumnType::timestamp;  // integer, date or timestamp
  // In the canonical text of `type` (Value): "42", "2026-12-02",
  // "2026-12-02 10:00:00" or "2026-12-02 10:00:00.250000" (UTC).
  std::string bound;
};

// Only the rows of one contact (`emsyncctl explain`): those whose `column`,
// trimmed of spaces and lower-cased by the database (LOWER(TRIM(...))),
// equals `email`, which is bound as a text parameter and never part of the
// query's text. The query is the model wrapped as for a RowFilter; the
// caller normalises the email as a run does, and checks the rows it gets
// (a database's LOWER may fold more than ASCII, its TRIM fewer blanks).
// An EmailFilter with a RowFilter, or with columns_only, is
// Errc::invalid_input, before the source connects.
struct EmailFilter {
  std::string column;
  std::string email;
};

struct QueryOptions {
  // The query is cancelled by the server after this long (PostgreSQL
  // statement_timeout, see PostgresReadMode for the cursor; SQLite progress
  // handler; ODBC SQL_ATTR_QUERY_TIMEOUT, rounded up to whole seconds). Zero
  // means no limit.
  std::chrono::milliseconds statement_timeout{std::chrono::minutes(30)};
  // Only check the query: report its columns and stream no row (PostgreSQL
  // runs it with LIMIT 0, so that missing rights fail too; ODBC prepares and
  // describes it without executing it, LIMIT 0 not being portable).
  bool columns_only = false;
  // When set and it becomes true, the query is cancelled within about 100 ms
  // (PQcancel, SQLCancel, SQLite's progress handler; also while the database
  // computes the first row) and stream() returns Errc::cancelled. Owned by
  // the caller; read from a watcher thread (cancel_watch.hpp) or the
  // database's progress handler (SQLite).
  const std::atomic<bool>* cancel_requested = nullptr;
  // Read only the rows the filter selects (not with columns_only).
  std::optional<RowFilter> filter{};
  // Read only one contact's rows (not with `filter` or columns_only).
  std::optional<EmailFilter> email_filter{};
};

class RowSource {
 public:
  virtual ~RowSource() = default;

  // Runs `query` read-only and streams every row into `sink`. Errors carry
  // Errc::source_error with the database's message (connection refused, SQL
  // error, timeout); passwords never appear in them. A cancel
  // (QueryOptions::cancel_requested) is Errc::cancelled; an error from the
  // sink is returned as it is.
  virtual Result<void> stream(const std::string& query, const QueryOptions& options,
                              RowSink& sink) = 0;

  // Connects and disconnects, running no query of the user's (SQLite: opens
  // the file read-only and reads its schema): can the source be reached
  // with its settings and password? Messages as stream()'s ("cannot
  // connect: ...", "cannot open: ..."). Errc::transient when the server
  // could not be reached at all (PostgreSQL: libpq failed before the server
  // answered, no "FATAL:" from it: refused, timeout, unknown host, no
  // socket; ODBC: SQLSTATE 08001 but a refused login, 08S01, HYT00, HYT01),
  // else Errc::source_error (a refused login, a database or driver that does
  // not exist, a file that is no SQLite database). For `apply` (an
  // unreachable source is a warning, the rest an error) and `emsyncd
  // --check-config --connect`.
  virtual Result<void> check_connection() = 0;
};

// How the PostgreSQL source reads rows. Every mode gives the same columns and
// the same Values for the same query, refuses what is not one read-only
// SELECT with the same message, and is cancelled the same way.
//   copy:      COPY (<query>) TO STDOUT, the fastest; PostgreSQL only.
//   cursor:    DECLARE emsync_model CURSOR FOR <query>, then FETCH FORWARD
//              k_cursor_fetch_rows at a time, in the same READ ONLY
//              transaction: for Amazon Redshift, which refuses COPY TO STDOUT.
//              Redshift's leader node computes the whole result at the first
//              FETCH and keeps it (in memory or on disk) for the cursor,
//              within a size limit set by the cluster's node type. The
//              statement timeout bounds each FETCH in the server (the first
//              one computes the query) and the whole stream in emsync,
//              checked before each FETCH.
//   automatic: cursor when the server's version() names Redshift, else copy
//              (asked at the first stream of the source object).
enum class PostgresReadMode { copy, cursor, automatic };

// Rows per FETCH in cursor mode: Redshift's largest FETCH FORWARD count on a
// single-node cluster (larger clusters allow more; a round trip per 1,000
// rows costs little). Memory does not grow with it: the rows are read in
// libpq's single-row mode, so emsync holds one row at a time whatever its
// width (a row may be several values of 1 MiB), like COPY mode.
inline constexpr int k_cursor_fetch_rows = 1000;
// FETCHes sent ahead in cursor mode (libpq pipeline mode, a Sync after each):
// the server prepares the next rows while emsync converts these.
inline constexpr int k_cursor_fetches_in_flight = 2;

const char* to_string(PostgresReadMode mode);  // "copy", "cursor", "auto"

// `conninfo` is a libpq connection string without the password; `password`
// (read from a secret file or variable) is passed to libpq separately so it
// never shows in `ps`, logs or errors.
std::unique_ptr<RowSource> make_postgres_source(
    std::string conninfo, std::optional<std::string> password,
    PostgresReadMode read_mode = PostgresReadMode::automatic);

// How an ODBC source fetches character data (odbc_types.hpp):
//   utf16:     SQL_C_WCHAR, the one encoding every driver must deliver;
//   utf8:      SQL_C_CHAR, taken as UTF-8 as it is (faster; only for a
//              driver that gives UTF-8 there);
//   automatic: utf8 from the drivers known to give it (psqlODBC's Unicode
//              driver, libsqlite3odbc) in the C or a UTF-8 locale, else utf16.
enum class OdbcTextFetch { utf16, utf8, automatic };

// `connection_string` is an ODBC connection string ("Driver={...};Server=...")
// or "DSN=name;..." without the secret; `password` is appended as
// <password_attribute>={...} (braced, '}' doubled) at connect time only, and
// is redacted from every message (odbc_connection.hpp).
std::unique_ptr<RowSource> make_odbc_source(std::string connection_string,
                                            std::optional<std::string> password,
                                            std::string password_attribute = "PWD",
                                            OdbcTextFetch text_fetch = OdbcTextFetch::automatic);

// Opens `path` read-only for every stream.
std::unique_ptr<RowSource> make_sqlite_source(std::string path);

}  // namespace emsync::source
