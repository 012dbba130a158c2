// A RowSource runs a model's SQL query and streams its rows, one at a time,
// without holding the result in memory.
//
// Two implementations: PostgreSQL (libpq, COPY streaming, READ ONLY
// transaction, statement timeout) and SQLite (the embedded default).
//
// Whatever its text, a model runs as one read-only statement, refused by the
// database otherwise (a second statement, a write, nextval(), a
// data-modifying CTE, COMMIT or SET): the stream fails with the database's
// message and k_one_read_only_select, and nothing in the source changes.
//
// Blocking: stream() blocks the calling thread for the whole query, so the
// daemon calls it on its blocking thread pool, never on the event loop.
// Not thread-safe: one stream at a time per RowSource object.
#pragma once

#include <chrono>
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
enum class ColumnType { text, integer, numeric, boolean, date, timestamp };

const char* to_string(ColumnType type);

struct Column {
  std::string name;
  ColumnType type = ColumnType::text;
};

// A value in canonical text form; std::nullopt is SQL NULL.
//   integer: "42", "-7"; numeric: as the database prints it ("12.50", "1e+20");
//   boolean: "true"/"false"; date: "YYYY-MM-DD";
//   timestamp: "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (timestamptz values are
//   converted to UTC); text: as stored.
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
};

// What the error of a model that is not one read-only statement says.
inline constexpr std::string_view k_one_read_only_select =
    "the model must be one read-only SELECT statement";

struct QueryOptions {
  // The query is cancelled by the server after this long (PostgreSQL
  // statement_timeout; SQLite progress handler). Zero means no limit.
  std::chrono::milliseconds statement_timeout{std::chrono::minutes(30)};
  // Only check the query: report its columns and stream no row (PostgreSQL
  // runs it with LIMIT 0, so that missing rights fail too).
  bool columns_only = false;
};

class RowSource {
 public:
  virtual ~RowSource() = default;

  // Runs `query` read-only and streams every row into `sink`. Errors carry
  // Errc::source_error with the database's message (connection refused, SQL
  // error, timeout); passwords never appear in them.
  virtual Result<void> stream(const std::string& query, const QueryOptions& options,
                              RowSink& sink) = 0;
};

// `conninfo` is a libpq connection string without the password; `password`
// (read from a secret file or variable) is passed to libpq separately so it
// never shows in `ps`, logs or errors.
std::unique_ptr<RowSource> make_postgres_source(std::string conninfo,
                                                std::optional<std::string> password);

// Opens `path` read-only for every stream.
std::unique_ptr<RowSource> make_sqlite_source(std::string path);

}  // namespace emsync::source
