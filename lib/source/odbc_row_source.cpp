// The ODBC row source: one connection per stream through the unixODBC driver
// manager, the model prepared once (SQLPrepare), its rows fetched in blocks.
//
// How rows are read depends on what the driver allows (SQLGetInfo
// SQL_GETDATA_EXTENSIONS):
//  - block mode, when SQLGetData works on bound columns and inside a block
//    (SQL_GD_BOUND and SQL_GD_BLOCK: psqlODBC): k_rows_per_fetch rows per
//    SQLFetch, every column bound column-wise to a buffer sized from its
//    metadata (odbc_types.hpp). A value longer than its buffer (the driver
//    declared less, or a TEXT column) is read again whole: SQLSetPos
//    (SQL_POSITION) on its row, then SQLGetData in pieces.
//  - row mode otherwise (libsqliteodbc has no SQL_GD_BLOCK): one row per
//    SQLFetch and every value read with SQLGetData in pieces, in column
//    order. Slower, never wrong.
// No value is truncated: a value longer than k_max_read_value_bytes fails
// the stream, so memory stays bounded whatever a row holds.
//
// Read-only, as far as ODBC allows (nothing here parses SQL):
//  - SQL_ATTR_ACCESS_MODE is set to SQL_MODE_READ_ONLY; drivers that do not
//    know it are not refused. psqlODBC accepts and ignores it (its own
//    ReadOnly=1 only refuses statements that start with a write keyword).
//  - autocommit is off and the transaction is rolled back at the end, so a
//    write inside the one statement (a data-modifying CTE) is undone on a
//    transactional database; a sequence's nextval() is not.
//  - SQLPrepare must give a result with columns (SQLNumResultCols > 0),
//    else k_one_read_only_select. psqlODBC splits a text of several
//    statements itself and runs them all in that transaction (so "SELECT 1;
//    DELETE ..." is rolled back too), and no ODBC call refuses that; but a
//    COMMIT among them makes what follows stay ("SELECT 1; COMMIT; DELETE").
//    With psqlODBC, pqopt={options='-c default_transaction_read_only=on'}
//    refuses that too, short of a model that turns the setting off itself.
//    So the guarantee against writes rests on the warehouse role's grants:
//    give emsync a role that may only read (README "Warehouses").
//
// An incremental read (QueryOptions::filter) prepares the model wrapped in
// the filtered query (row_filter.hpp: SELECT * FROM (<text>\n) emsync_model
// WHERE emsync_model.<column> >= ?), the column quoted with the driver's
// SQL_IDENTIFIER_QUOTE_CHAR, the bound bound with SQLBindParameter as an
// SQL_BIGINT, SQL_TYPE_DATE or SQL_TYPE_TIMESTAMP (microseconds). Its
// columns, described before SQLExecute as for any read, are the model's.
#include <sql.h>
#include <sqlext.h>
#include <sqlucode.h>

#include <langinfo.h>

#include <algorithm>
#include <atomic>
#include <string_view>

#include "core/hardening.hpp"
#include "source/cancel_watch.hpp"
#include "source/odbc_connection.hpp"
#include "source/odbc_diagnostics.hpp"
#include "source/odbc_handles.hpp"
#include "source/odbc_types.hpp"
#include "source/row_filter.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

constexpr SQLULEN k_rows_per_fetch = 1000;
constexpr std::size_t k_max_read_value_bytes = 16 * 1024 * 1024;
constexpr std::size_t k_get_data_piece_bytes = 64 * 1024;
constexpr SQLULEN k_login_timeout_s = 10;

SQLSMALLINT terminator_bytes(SQLSMALLINT c_type) {
  return c_type == SQL_C_WCHAR ? sizeof(SQLWCHAR) : 1;
}

// A bound column: its buffers for one block of rows, column-wise.
struct BoundColumn {
  SQLUSMALLINT number = 0;  // 1-based
  OdbcColumnKind kind;
  std::size_t width = 0;  // bytes per value, terminator included
  std::vector<char> data;
  std::vector<SQLLEN> indicators;
};

// What the messages of a stream need.
struct Context {
  std::string description;  // odbc_description()
  std::string driver;       // Driver= or DSN=, for remedies
  const std::optional<std::string>* password = nullptr;
  const std::atomic<bool>* cancel_requested = nullptr;  // of the current stream
};

Error cancelled(const Context& context) {
  return make_error(Errc::cancelled,
                    "ODBC source '" + context.description + "': the query was cancelled");
}

// "ODBC source '<description>': <what>SQLSTATE xxxxx: <message> (<remedy>)"
// from the diagnostics of `handle`, the password redacted; Errc::cancelled
// when `watch` cancelled the query.
Error odbc_failure(const Context& context, SQLSMALLINT handle_type, SQLHANDLE handle,
                   std::string_view what, const CancelWatch* watch) {
  if (watch != nullptr && watch->fired()) {
    return cancelled(context);
  }
  // Only the driver's text is redacted: emsync's own words hold no secret.
  auto primary = odbc_primary(odbc_diagnostics(handle_type, handle));
  if (primary) {
    primary->message = redacted(std::move(primary->message), *context.password);
  }
  return make_error(Errc::source_error, "ODBC source '" + context.description + "': " +
                                            std::string(what) + describe(primary, context.driver));
}

// How to fetch character data: as the source's config says, or automatic:
// as the connection's driver gives it best (odbc_text_fetch: its file name,
// and the process locale's codeset).
OdbcText text_fetch_of(SQLHDBC connection, OdbcTextFetch configured) {
  if (configured != OdbcTextFetch::automatic) {
    return configured == OdbcTextFetch::utf8 ? OdbcText::utf8 : OdbcText::utf16;
  }
  SQLCHAR driver[256] = {};
  if (!SQL_SUCCEEDED(SQLGetInfo(connection, SQL_DRIVER_NAME, driver, sizeof driver, nullptr))) {
    return OdbcText::utf16;
  }
  return odbc_text_fetch(reinterpret_cast<const char*>(driver), nl_langinfo(CODESET));
}

// The bound of a filtered read in the C type SQLBindParameter was given,
// read by the driver at SQLExecute: kept until then.
struct BoundParameter {
  SQLBIGINT integer = 0;
  SQL_DATE_STRUCT date{};
  SQL_TIMESTAMP_STRUCT timestamp{};
  std::string text;
  SQLLEN length = 0;
};

// Binds `bound` as parameter 1 of `statement`, its value in `parameter`: an
// SQL_C_SBIGINT, SQL_C_TYPE_DATE or SQL_C_TYPE_TIMESTAMP, but a timestamp
// as its canonical text (SQL_C_CHAR) when `timestamp_as_text`.
SQLRETURN bind_bound(SQLHSTMT statement, const FilterBound& bound, bool timestamp_as_text,
                     BoundParameter& parameter) {
  const auto year = static_cast<SQLSMALLINT>(bound.year);
  const auto month = static_cast<SQLUSMALLINT>(bound.month);
  const auto day = static_cast<SQLUSMALLINT>(bound.day);
  SQLSMALLINT c_type = SQL_C_TYPE_TIMESTAMP;
  SQLSMALLINT sql_type = SQL_TYPE_TIMESTAMP;
  // Column size: the characters of "YYYY-MM-DD HH:MM:SS.ffffff", 6 digits
  // of fraction; of "YYYY-MM-DD" for a date.
  SQLULEN column_size = 26;
  SQLSMALLINT digits = 6;
  SQLPOINTER value = &parameter.timestamp;
  if (bound.type == ColumnType::integer) {
    parameter.integer = bound.integer;
    parameter.length = sizeof parameter.integer;
    c_type = SQL_C_SBIGINT;
    sql_type = SQL_BIGINT;
    column_size = 0;
    digits = 0;
    value = &parameter.integer;
  } else if (bound.type == ColumnType::date) {
    parameter.date = {year, month, day};
    parameter.length = sizeof parameter.date;
    c_type = SQL_C_TYPE_DATE;
    sql_type = SQL_TYPE_DATE;
    column_size = 10;
    digits = 0;
    value = &parameter.date;
  } else if (timestamp_as_text) {
    parameter.text = bound.text;
    parameter.length = static_cast<SQLLEN>(parameter.text.size());
    c_type = SQL_C_CHAR;
    value = parameter.text.data();
  } else {
    parameter.timestamp = {year,
                           month,
                           day,
                           static_cast<SQLUSMALLINT>(bound.hour),
                           static_cast<SQLUSMALLINT>(bound.minute),
                           static_cast<SQLUSMALLINT>(bound.second),
                           bound.nanoseconds};
    parameter.length = sizeof parameter.timestamp;
  }
  return SQLBindParameter(statement, 1, SQL_PARAM_INPUT, c_type, sql_type, column_size, digits,
                          value, parameter.length, &parameter.length);
}

// Binds `email` as parameter 1 of `statement`, a character string, its
// value in `parameter` (EmailFilter).
SQLRETURN bind_email(SQLHSTMT statement, const std::string& email, BoundParameter& parameter) {
  parameter.text = email;
  parameter.length = static_cast<SQLLEN>(parameter.text.size());
  return SQLBindParameter(statement, 1, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
                          std::max<SQLULEN>(1, parameter.text.size()), 0, parameter.text.data(),
                          parameter.length, &parameter.length);
}

class OdbcStream {
 public:
  OdbcStream(const Context& context, SQLHSTMT statement, const std::vector<Column>& columns)
      : m_context(context), m_statement(statement), m_columns(columns), m_values(columns.size()) {}

  Result<void> read_block_mode(const std::vector<OdbcColumnKind>& kinds,
                               const std::vector<SQLULEN>& sizes, RowSink& sink,
                               const CancelWatch& watch);
  Result<void> read_row_mode(const std::vector<OdbcColumnKind>& kinds, RowSink& sink,
                             const CancelWatch& watch);

  Error failure(SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view context,
                const CancelWatch* watch) const {
    return odbc_failure(m_context, handle_type, handle, context, watch);
  }

 private:
  Result<void> bind(const std::vector<OdbcColumnKind>& kinds, const std::vector<SQLULEN>& sizes);
  // Binds `column`'s buffers, `width` bytes per value, for the next fetch.
  Result<void> bind_column(BoundColumn& column, std::size_t width);
  // After a block: widens the buffers whose values did not fit (`longest`,
  // per bound column, bytes with terminator; wider_buffer()).
  Result<void> widen(const std::vector<std::size_t>& longest);
  Result<void> set_attribute(SQLINTEGER attribute, SQLPOINTER value);
  // Reads column `number` of the current row whole with SQLGetData.
  Result<void> get_whole(SQLUSMALLINT number, const OdbcColumnKind& kind, Value& value);
  Error too_long(SQLUSMALLINT number) const;

  const Context& m_context;
  SQLHSTMT m_statement;
  const std::vector<Column>& m_columns;
  std::vector<Value> m_values;
  std::vector<BoundColumn> m_bound;
  std::vector<SQLUSMALLINT> m_row_status;
  SQLULEN m_fetched = 0;
  std::vector<char> m_piece;      // one SQLGetData piece
  std::vector<SQLWCHAR> m_wide;   // a wide value read in pieces
  std::int64_t m_row_number = 0;  // rows passed to the sink so far
};

Error OdbcStream::too_long(SQLUSMALLINT number) const {
  return make_error(Errc::source_error,
                    "ODBC source '" + m_context.description + "': column '" +
                        m_columns[number - 1].name + "' of row " +
                        std::to_string(m_row_number + 1) + " holds more than " +
                        std::to_string(k_max_read_value_bytes) +
                        " bytes, more than emsync reads of one value: shorten it in the model");
}

Result<void> OdbcStream::set_attribute(SQLINTEGER attribute, SQLPOINTER value) {
  if (!SQL_SUCCEEDED(SQLSetStmtAttr(m_statement, attribute, value, 0))) {
    return failure(SQL_HANDLE_STMT, m_statement, "cannot set up the fetch: ", nullptr);
  }
  return ok();
}

Result<void> OdbcStream::bind(const std::vector<OdbcColumnKind>& kinds,
                              const std::vector<SQLULEN>& sizes) {
  std::vector<std::size_t> widths;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (kinds[i].type == ColumnType::binary) {
      continue;  // never read
    }
    m_bound.push_back(BoundColumn{static_cast<SQLUSMALLINT>(i + 1), kinds[i], 0, {}, {}});
    widths.push_back(odbc_value_buffer_bytes(kinds[i], sizes[i]));
  }
  fit_row_budget(widths, k_bound_row_budget_bytes);
  for (std::size_t i = 0; i < m_bound.size(); ++i) {
    EMSYNC_TRY(bind_column(m_bound[i], widths[i]));
  }
  return ok();
}

Result<void> OdbcStream::bind_column(BoundColumn& column, std::size_t width) {
  // Whole SQLWCHARs, so a value ends on a unit.
  column.width = width - width % sizeof(SQLWCHAR);
  column.data.resize(column.width * k_rows_per_fetch);
  column.indicators.resize(k_rows_per_fetch);
  const SQLRETURN rc =
      SQLBindCol(m_statement, column.number, column.kind.c_type, column.data.data(),
                 static_cast<SQLLEN>(column.width), column.indicators.data());
  if (!SQL_SUCCEEDED(rc)) {
    return failure(SQL_HANDLE_STMT, m_statement, "cannot bind a column: ", nullptr);
  }
  return ok();
}

Result<void> OdbcStream::widen(const std::vector<std::size_t>& longest) {
  std::size_t row_bytes = 0;
  for (const BoundColumn& column : m_bound) {
    row_bytes += column.width;
  }
  for (std::size_t i = 0; i < m_bound.size(); ++i) {
    BoundColumn& column = m_bound[i];
    if (const auto wider = wider_buffer(column.width, longest[i], row_bytes)) {
      row_bytes += *wider - column.width;
      EMSYNC_TRY(bind_column(column, *wider));
    }
  }
  return ok();
}

Result<void> OdbcStream::get_whole(SQLUSMALLINT number, const OdbcColumnKind& kind, Value& value) {
  m_piece.resize(k_get_data_piece_bytes);
  const auto capacity = static_cast<SQLLEN>(k_get_data_piece_bytes - terminator_bytes(kind.c_type));
  const bool wide = kind.c_type == SQL_C_WCHAR;
  std::string* text = nullptr;
  if (!wide) {
    text = value ? &*value : &value.emplace();
    text->clear();
  }
  m_wide.clear();
  std::size_t total = 0;
  for (;;) {
    SQLLEN indicator = 0;
    const SQLRETURN rc = SQLGetData(m_statement, number, kind.c_type, m_piece.data(),
                                    static_cast<SQLLEN>(m_piece.size()), &indicator);
    if (rc == SQL_NO_DATA) {
      break;  // every piece read
    }
    if (!SQL_SUCCEEDED(rc)) {
      return failure(SQL_HANDLE_STMT, m_statement, "cannot read a value: ", nullptr);
    }
    if (indicator == SQL_NULL_DATA) {
      value.reset();
      return ok();
    }
    const bool more = indicator == SQL_NO_TOTAL || indicator > capacity;
    const auto bytes = static_cast<std::size_t>(more ? capacity : indicator);
    total += bytes;
    if (total > k_max_read_value_bytes) {
      return too_long(number);
    }
    if (wide) {
      const auto* units = reinterpret_cast<const SQLWCHAR*>(m_piece.data());
      m_wide.insert(m_wide.end(), units, units + bytes / sizeof(SQLWCHAR));
    } else {
      text->append(m_piece.data(), bytes);
    }
    if (!more) {
      break;
    }
  }
  if (wide) {
    std::string& out = value ? *value : value.emplace();
    out.clear();
    append_utf8(out, m_wide);
  } else {
    canonicalize(kind.conversion, *text);
  }
  return ok();
}

Result<void> OdbcStream::read_block_mode(const std::vector<OdbcColumnKind>& kinds,
                                         const std::vector<SQLULEN>& sizes, RowSink& sink,
                                         const CancelWatch& watch) {
  m_row_status.resize(k_rows_per_fetch);
  EMSYNC_TRY(
      set_attribute(SQL_ATTR_ROW_BIND_TYPE, reinterpret_cast<SQLPOINTER>(SQL_BIND_BY_COLUMN)));
  EMSYNC_TRY(
      set_attribute(SQL_ATTR_ROW_ARRAY_SIZE, reinterpret_cast<SQLPOINTER>(k_rows_per_fetch)));
  EMSYNC_TRY(set_attribute(SQL_ATTR_ROWS_FETCHED_PTR, &m_fetched));
  EMSYNC_TRY(set_attribute(SQL_ATTR_ROW_STATUS_PTR, m_row_status.data()));
  EMSYNC_TRY(bind(kinds, sizes));
  // The flag itself: the watch may not have seen it yet.
  if (m_context.cancel_requested != nullptr && m_context.cancel_requested->load()) {
    return cancelled(m_context);
  }
  if (!SQL_SUCCEEDED(SQLExecute(m_statement))) {
    return failure(SQL_HANDLE_STMT, m_statement, "", &watch);
  }
  std::vector<std::size_t> longest(m_bound.size());  // of the values cut in this block
  for (;;) {
    const SQLRETURN rc = SQLFetch(m_statement);
    if (rc == SQL_NO_DATA) {
      return ok();
    }
    if (!SQL_SUCCEEDED(rc) || watch.fired()) {
      return failure(SQL_HANDLE_STMT, m_statement, "", &watch);
    }
    std::fill(longest.begin(), longest.end(), 0);
    for (SQLULEN row = 0; row < m_fetched; ++row) {
      if (m_row_status[row] == SQL_ROW_ERROR) {
        return failure(SQL_HANDLE_STMT, m_statement, "", &watch);
      }
      for (std::size_t c = 0; c < m_bound.size(); ++c) {
        const BoundColumn& column = m_bound[c];
        Value& value = m_values[column.number - 1];
        const SQLLEN indicator = column.indicators[row];
        if (indicator == SQL_NULL_DATA) {
          value.reset();
          continue;
        }
        const auto capacity =
            static_cast<SQLLEN>(column.width) - terminator_bytes(column.kind.c_type);
        if (indicator == SQL_NO_TOTAL || indicator > capacity) {
          if (indicator != SQL_NO_TOTAL) {
            longest[c] = std::max(longest[c], static_cast<std::size_t>(indicator) +
                                                  terminator_bytes(column.kind.c_type));
          }
          // Cut at the buffer: read the whole value again from its row.
          if (!SQL_SUCCEEDED(SQLSetPos(m_statement, static_cast<SQLSETPOSIROW>(row + 1),
                                       SQL_POSITION, SQL_LOCK_NO_CHANGE))) {
            return failure(SQL_HANDLE_STMT, m_statement,
                           "cannot position on a long value: ", &watch);
          }
          EMSYNC_TRY(get_whole(column.number, column.kind, value));
          continue;
        }
        const char* bytes = column.data.data() + row * column.width;
        std::string& text = value ? *value : value.emplace();
        if (column.kind.c_type == SQL_C_WCHAR) {
          text.clear();
          append_utf8(text, {reinterpret_cast<const SQLWCHAR*>(bytes),
                             static_cast<std::size_t>(indicator) / sizeof(SQLWCHAR)});
        } else {
          text.assign(bytes, static_cast<std::size_t>(indicator));
          canonicalize(column.kind.conversion, text);
        }
      }
      EMSYNC_TRY(sink.on_row(m_values));
      ++m_row_number;
    }
    EMSYNC_TRY(widen(longest));
  }
}

Result<void> OdbcStream::read_row_mode(const std::vector<OdbcColumnKind>& kinds, RowSink& sink,
                                       const CancelWatch& watch) {
  // The flag itself: the watch may not have seen it yet.
  if (m_context.cancel_requested != nullptr && m_context.cancel_requested->load()) {
    return cancelled(m_context);
  }
  if (!SQL_SUCCEEDED(SQLExecute(m_statement))) {
    return failure(SQL_HANDLE_STMT, m_statement, "", &watch);
  }
  for (;;) {
    const SQLRETURN rc = SQLFetch(m_statement);
    if (rc == SQL_NO_DATA) {
      return ok();
    }
    if (!SQL_SUCCEEDED(rc) || watch.fired()) {
      return failure(SQL_HANDLE_STMT, m_statement, "", &watch);
    }
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      if (kinds[i].type == ColumnType::binary) {
        m_values[i].reset();
        continue;
      }
      EMSYNC_TRY(get_whole(static_cast<SQLUSMALLINT>(i + 1), kinds[i], m_values[i]));
    }
    EMSYNC_TRY(sink.on_row(m_values));
    ++m_row_number;
  }
}

class OdbcRowSource final : public RowSource {
 public:
  OdbcRowSource(std::string connection_string, std::optional<std::string> password,
                std::string password_attribute, OdbcTextFetch text_fetch)
      : m_connection_string(std::move(connection_string)),
        m_password(std::move(password)),
        m_password_attribute(std::move(password_attribute)),
        m_text_fetch(text_fetch) {
    m_context.description = odbc_description(m_connection_string);
    m_context.driver = odbc_driver_name(m_connection_string);
    m_context.password = &m_password;
  }
  ~OdbcRowSource() override {
    if (m_password) {
      wipe(*m_password);
    }
  }
  OdbcRowSource(const OdbcRowSource&) = delete;
  OdbcRowSource& operator=(const OdbcRowSource&) = delete;

  Result<void> stream(const std::string& query, const QueryOptions& options,
                      RowSink& sink) override;
  Result<void> check_connection() override {
    OdbcEnvironment environment;
    OdbcConnection connection;
    auto connected = connect(environment, connection);
    if (connected) {
      return ok();
    }
    // The records stay on the handle until its next call.
    auto primary = odbc_primary(odbc_diagnostics(SQL_HANDLE_DBC, connection.get()));
    if (primary && server_unreachable(*primary)) {
      return make_error(Errc::transient, connected.error().message);
    }
    return connected.error();
  }

 private:
  Error failure(SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view what,
                const CancelWatch* watch = nullptr) const {
    return odbc_failure(m_context, handle_type, handle, what, watch);
  }
  Result<void> connect(OdbcEnvironment& environment, OdbcConnection& connection) const;
  // The text to prepare: the model's, or for a filtered read the filtered
  // query, its parameter then bound from `parameter`.
  Result<std::string> statement_text(SQLHDBC connection, SQLHSTMT statement,
                                     const std::string& query, const QueryOptions& options,
                                     const std::optional<FilterBound>& bound,
                                     BoundParameter& parameter) const;

  std::string m_connection_string;
  std::optional<std::string> m_password;
  std::string m_password_attribute;
  OdbcTextFetch m_text_fetch;
  Context m_context;
};

Result<void> OdbcRowSource::connect(OdbcEnvironment& environment,
                                    OdbcConnection& connection) const {
  if (!SQL_SUCCEEDED(environment.allocate(SQL_NULL_HANDLE)) ||
      !SQL_SUCCEEDED(SQLSetEnvAttr(environment.get(), SQL_ATTR_ODBC_VERSION,
                                   reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0))) {
    return make_error(Errc::source_error, "ODBC source '" + m_context.description +
                                              "': the ODBC driver manager cannot start");
  }
  if (!SQL_SUCCEEDED(connection.allocate(environment.get()))) {
    return failure(SQL_HANDLE_ENV, environment.get(), "cannot connect: ");
  }
  // Optional: a driver that does not know it keeps its own default.
  SQLSetConnectAttr(connection.get(), SQL_ATTR_LOGIN_TIMEOUT,
                    reinterpret_cast<SQLPOINTER>(k_login_timeout_s), 0);
  std::string connect_string = odbc_connect_string(m_connection_string, m_password, m_password_attribute);
  const SQLRETURN rc = SQLDriverConnect(
      connection.get(), nullptr, reinterpret_cast<SQLCHAR*>(connect_string.data()),
      static_cast<SQLSMALLINT>(connect_string.size()), nullptr, 0, nullptr, SQL_DRIVER_NOPROMPT);
  wipe(connect_string);  // it holds the password; the driver keeps its own copy
  if (!SQL_SUCCEEDED(rc)) {
    return failure(SQL_HANDLE_DBC, connection.get(), "cannot connect: ");
  }
  // Best effort, see the top of this file: a driver that refuses either
  // (HYC00, optional feature not implemented) still runs the model.
  SQLSetConnectAttr(connection.get(), SQL_ATTR_ACCESS_MODE,
                    reinterpret_cast<SQLPOINTER>(SQL_MODE_READ_ONLY), 0);
  SQLSetConnectAttr(connection.get(), SQL_ATTR_AUTOCOMMIT,
                    reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_OFF), 0);
  return ok();
}

Result<std::string> OdbcRowSource::statement_text(SQLHDBC connection, SQLHSTMT statement,
                                                  const std::string& query,
                                                  const QueryOptions& options,
                                                  const std::optional<FilterBound>& bound,
                                                  BoundParameter& parameter) const {
  const std::optional<EmailFilter>& email = options.email_filter;
  if (!bound && !email) {
    // The newline ends a trailing "-- comment": psqlODBC (UseDeclareFetch=1)
    // wraps the text in a DECLARE ... CURSOR statement of its own.
    return query + "\n";
  }
  SQLCHAR quote[8] = {};
  if (!SQL_SUCCEEDED(
          SQLGetInfo(connection, SQL_IDENTIFIER_QUOTE_CHAR, quote, sizeof quote, nullptr))) {
    return failure(SQL_HANDLE_DBC, connection, "cannot learn how the driver quotes a column: ");
  }
  auto column = bound ? quote_column(options.filter->column, reinterpret_cast<const char*>(quote))
                      : quote_column(email->column, reinterpret_cast<const char*>(quote),
                                     "email column");
  if (!column) {
    return make_error(column.error().code,
                      "ODBC source '" + m_context.description + "': " + column.error().message);
  }
  if (!bound) {
    if (!SQL_SUCCEEDED(bind_email(statement, email->email, parameter))) {
      return failure(SQL_HANDLE_STMT, statement, "cannot bind the email of the contact read: ");
    }
    return email_select(query, *column, "emsync_model", "?");
  }
  // SQLite compares the text of timestamps, and libsqliteodbc makes text of
  // a timestamp with milliseconds ("10:00:00.000", after the stored
  // "10:00:00"): the canonical text compares as the SQLite source's does.
  SQLCHAR dbms[32] = {};
  SQLGetInfo(connection, SQL_DBMS_NAME, dbms, sizeof dbms, nullptr);
  const bool compares_text = std::string_view(reinterpret_cast<const char*>(dbms)) == "SQLite";
  if (!SQL_SUCCEEDED(bind_bound(statement, *bound, compares_text, parameter))) {
    return failure(SQL_HANDLE_STMT, statement, "cannot bind the bound of the incremental read: ");
  }
  return filtered_select(query, *column, "emsync_model", "?");
}

Result<void> OdbcRowSource::stream(const std::string& query, const QueryOptions& options,
                                   RowSink& sink) {
  auto bound = filter_bound(options);
  if (!bound) {
    return bound.error();
  }
  EMSYNC_TRY(check_email_filter(options));
  m_context.cancel_requested = options.cancel_requested;
  OdbcEnvironment environment;
  OdbcConnection connection;
  EMSYNC_TRY(connect(environment, connection));
  BoundParameter parameter;  // the driver may read it until the statement is freed
  OdbcStatement statement;
  if (!SQL_SUCCEEDED(statement.allocate(connection.get()))) {
    return failure(SQL_HANDLE_DBC, connection.get(), "");
  }
  if (options.statement_timeout.count() > 0) {
    // Whole seconds, rounded up: ODBC has no finer timeout.
    const auto seconds = static_cast<SQLULEN>((options.statement_timeout.count() + 999) / 1000);
    SQLSetStmtAttr(statement.get(), SQL_ATTR_QUERY_TIMEOUT, reinterpret_cast<SQLPOINTER>(seconds),
                   0);
  }
  // Declared after the statement, so it stops before the statement is freed.
  // A cancel requested before SQLExecute (SQLCancel then has nothing to
  // stop) is seen by the check of the flag in front of it.
  const CancelWatch watch(options.cancel_requested, [&] { SQLCancel(statement.get()); });

  auto text = statement_text(connection.get(), statement.get(), query, options, *bound, parameter);
  if (!text) {
    return text.error();
  }
  if (!SQL_SUCCEEDED(SQLPrepare(statement.get(), reinterpret_cast<SQLCHAR*>(text->data()),
                                static_cast<SQLINTEGER>(text->size())))) {
    const bool is_wrapped = bound->has_value() || options.email_filter.has_value();
    const std::string wrapped = is_wrapped ? std::string("(") + k_wrapped_query_note + ") " : "";
    return failure(SQL_HANDLE_STMT, statement.get(), wrapped, &watch);
  }
  SQLSMALLINT count = 0;
  if (!SQL_SUCCEEDED(SQLNumResultCols(statement.get(), &count))) {
    return failure(SQL_HANDLE_STMT, statement.get(), "", &watch);
  }
  if (count <= 0) {
    return make_error(Errc::source_error, "ODBC source '" + m_context.description +
                                              "': the model returns no columns (" +
                                              std::string(k_one_read_only_select) + ")");
  }
  const OdbcText text_fetch = text_fetch_of(connection.get(), m_text_fetch);
  std::vector<Column> columns(static_cast<std::size_t>(count));
  std::vector<OdbcColumnKind> kinds(columns.size());
  std::vector<SQLULEN> sizes(columns.size());
  for (SQLUSMALLINT i = 1; i <= static_cast<SQLUSMALLINT>(count); ++i) {
    SQLWCHAR name[512] = {};
    SQLSMALLINT name_length = 0;
    SQLSMALLINT sql_type = 0;
    SQLSMALLINT digits = 0;
    SQLSMALLINT nullable = 0;
    if (!SQL_SUCCEEDED(SQLDescribeColW(statement.get(), i, name, 512, &name_length, &sql_type,
                                       &sizes[i - 1], &digits, &nullable))) {
      return failure(SQL_HANDLE_STMT, statement.get(), "", &watch);
    }
    SQLCHAR type_name[128] = {};
    SQLColAttribute(statement.get(), i, SQL_DESC_TYPE_NAME, type_name, sizeof type_name, nullptr,
                    nullptr);
    std::span<const SQLWCHAR> units(
        name, static_cast<std::size_t>(std::clamp<SQLSMALLINT>(name_length, 0, 511)));
    while (!units.empty() && units.back() == 0) {
      units = units.first(units.size() - 1);  // unixODBC may count the terminator
    }
    columns[i - 1].name = odbc_column_name(units);
    kinds[i - 1] = odbc_column_kind(sql_type, reinterpret_cast<const char*>(type_name), text_fetch);
    columns[i - 1].type = kinds[i - 1].type;
    columns[i - 1].max_chars = odbc_declared_chars(sql_type, sizes[i - 1]);
  }
  EMSYNC_TRY(sink.on_columns(columns));
  if (options.columns_only) {
    return ok();  // prepared and described, never executed
  }

  SQLUINTEGER extensions = 0;
  SQLGetInfo(connection.get(), SQL_GETDATA_EXTENSIONS, &extensions, sizeof extensions, nullptr);
  const bool block_mode = (extensions & SQL_GD_BLOCK) != 0 && (extensions & SQL_GD_BOUND) != 0;
  OdbcStream rows(m_context, statement.get(), columns);
  return block_mode ? rows.read_block_mode(kinds, sizes, sink, watch)
                    : rows.read_row_mode(kinds, sink, watch);
}

}  // namespace

std::unique_ptr<RowSource> make_odbc_source(std::string connection_string,
                                            std::optional<std::string> password,
                                            std::string password_attribute,
                                            OdbcTextFetch text_fetch) {
  return std::make_unique<OdbcRowSource>(std::move(connection_string), std::move(password),
                                         std::move(password_attribute), text_fetch);
}

}  // namespace emsync::source
