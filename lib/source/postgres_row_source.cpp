// The PostgreSQL row source: one connection and one READ ONLY transaction per
// stream; rows arrive through COPY, or a cursor for Redshift (row_source.hpp,
// PostgresReadMode), so memory stays flat whatever the size.
//
// The model runs as exactly one read-only statement, whatever its text, and
// the server enforces it (nothing here parses SQL):
//  - the session starts with default_transaction_read_only=on and the
//    statement timeout (startup options, conninfo.hpp), and the transaction
//    is BEGIN READ ONLY with SET LOCAL statement_timeout, so a write, a
//    nextval() or a data-modifying CTE is refused;
//  - the text alone is prepared first (PQprepare, the extended query
//    protocol: it refuses several commands, and an unterminated string or
//    comment), which also gives the columns (PQdescribePrepared);
//  - then COPY (<text>\n) TO STDOUT, or DECLARE emsync_model CURSOR FOR
//    <text>\n, runs through PQexecParams, again one statement; the text's
//    tokens are balanced, as it was prepared alone, so they stay inside the
//    parentheses or the DECLARE (pg_statements.hpp).
// An incremental read (QueryOptions::filter) always takes the cursor, in copy
// mode too: DECLARE takes the bound as a parameter through PQexecParams,
// COPY takes none. The parameter has no type given, so the server types it
// as the column it is compared with, and an index on the column is used.
// Both modes give the same Values: COPY's text is decoded (copy_text.hpp),
// the cursor's rows come as text results, and both are the types' text
// output, converted alike (convert()).
//
// Redshift (documented, not tried here: there is no Redshift on this
// machine): it refuses COPY ... TO STDOUT; a cursor must be declared in a
// transaction block, one per session; the leader node materialises the
// cursor's whole result at the first FETCH, within a total size per node
// type; FETCH FORWARD takes at most 1000 rows on a single-node cluster, and
// DECLARE's syntax has no SCROLL or NO SCROLL. It has PREPARE and BEGIN READ
// ONLY; in a read-only transaction, the first read of a datashare or
// external table in a session can fail ("Failed to incorporate external
// table ... transaction is read-only"). Whether its DECLARE takes a
// parameter (an incremental read) is not known here either.
#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <string_view>

#include "core/hardening.hpp"
#include "source/cancel_watch.hpp"
#include "source/conninfo.hpp"
#include "source/copy_text.hpp"
#include "source/pg_statements.hpp"
#include "source/row_filter.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

struct FinishConnection {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct FreeMemory {
  void operator()(char* memory) const { PQfreemem(memory); }
};
struct FreeCancel {
  void operator()(PGcancel* cancel) const { PQfreeCancel(cancel); }
};
using ConnectionPtr = std::unique_ptr<PGconn, FinishConnection>;
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;
using CancelPtr = std::unique_ptr<PGcancel, FreeCancel>;

// How a column's text becomes its canonical form.
enum class Conversion { none, boolean, strip_utc_offset };

// Type OIDs from PostgreSQL's pg_type.dat.
ColumnType column_type(Oid type) {
  switch (type) {
    case 16:
      return ColumnType::boolean;
    case 20:
    case 21:
    case 23:
      return ColumnType::integer;
    case 700:
    case 701:
    case 1700:
      return ColumnType::numeric;
    case 1082:
      return ColumnType::date;
    case 1114:
    case 1184:
      return ColumnType::timestamp;
    default:
      return ColumnType::text;
  }
}

// A varchar(n) or char(n) column's n (its typmod is n plus the 4-byte
// header); nullopt for text, an unconstrained varchar and other types.
std::optional<std::int64_t> declared_chars(Oid type, int typmod) {
  constexpr int k_varhdrsz = 4;
  if ((type == 1042 || type == 1043) && typmod > k_varhdrsz) {
    return typmod - k_varhdrsz;
  }
  return std::nullopt;
}

Conversion conversion(Oid type) {
  switch (type) {
    case 16:
      return Conversion::boolean;
    case 1184:
      return Conversion::strip_utc_offset;  // timestamptz, printed in UTC
    default:
      return Conversion::none;
  }
}

void convert(Conversion how, std::string& text) {
  if (how == Conversion::boolean) {
    text = text == "t" ? "true" : "false";
  } else if (how == Conversion::strip_utc_offset && text.ends_with("+00")) {
    text.resize(text.size() - 3);
  }
}

void convert_all(const std::vector<Conversion>& conversions, std::vector<Value>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i]) {
      convert(conversions[i], *values[i]);
    }
  }
}

// The one row of a single-row-mode result, into `values` (their strings
// reused from the row before).
void read_row(const PGresult* row, const std::vector<Conversion>& conversions,
              std::vector<Value>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int field = static_cast<int>(i);
    if (PQgetisnull(row, 0, field) != 0) {
      values[i].reset();
      continue;
    }
    const std::string_view text(PQgetvalue(row, 0, field),
                                static_cast<std::size_t>(PQgetlength(row, 0, field)));
    if (values[i]) {
      values[i]->assign(text);
    } else {
      values[i].emplace(text);
    }
  }
  convert_all(conversions, values);
}

// SQLSTATEs a model gets for not being one read-only SELECT: syntax_error
// (several commands, COPY or DECLARE of a command that is not a query),
// feature_not_supported (COPY of a DELETE without RETURNING, DECLARE of a
// data-modifying CTE), active_sql_transaction (set_config(
// 'transaction_read_only', 'off', ...)), read_only_sql_transaction (a write,
// nextval(), a data-modifying CTE).
bool breaks_the_rule(std::string_view sqlstate) {
  return sqlstate == "42601" || sqlstate == "0A000" || sqlstate == "25001" || sqlstate == "25006";
}

// libpq and server messages end with a newline.
std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// What a statement timeout adds to the message, in both modes.
std::string with_timeout_remedy(std::string message, std::chrono::milliseconds timeout) {
  return message + " (after " + std::to_string(timeout.count()) +
         " ms): make the model query faster or raise statement_timeout";
}

// Safe from any thread while the connection's owner waits in libpq.
void send_cancel(PGcancel* cancel) {
  if (cancel != nullptr) {
    char ignored[256];
    PQcancel(cancel, ignored, sizeof ignored);
  }
}

void cancel_query(PGconn* connection) {
  const CancelPtr cancel(PQgetCancel(connection));
  send_cancel(cancel.get());
}

struct Shape {
  std::vector<Column> columns;
  std::vector<Conversion> conversions;
};

// What one stream reads with.
struct StreamContext {
  PGconn* connection;
  const QueryOptions& options;
  const CancelWatch& watch;
  std::chrono::steady_clock::time_point started;
};

class PostgresRowSource final : public RowSource {
 public:
  PostgresRowSource(std::string conninfo, std::optional<std::string> password,
                    PostgresReadMode read_mode)
      : m_conninfo(std::move(conninfo)), m_password(std::move(password)), m_read_mode(read_mode) {}
  ~PostgresRowSource() override {
    if (m_password) {
      wipe(*m_password);
    }
  }
  PostgresRowSource(const PostgresRowSource&) = delete;
  PostgresRowSource& operator=(const PostgresRowSource&) = delete;

  Result<void> stream(const std::string& query, const QueryOptions& options,
                      RowSink& sink) override;
  Result<void> check_connection() override;

 private:
  // A connection made with the conninfo and password, or why not.
  Result<ConnectionPtr> connect(std::chrono::milliseconds statement_timeout);
  // Everything after the connection: the transaction, the mode, the rows.
  Result<void> read(const StreamContext& context, const std::string& query, RowSink& sink);
  Result<bool> reads_with_cursor(const StreamContext& context);
  Result<Shape> describe(const StreamContext& context, const std::string& text) const;
  Result<void> copy_rows(const StreamContext& context, const std::string& text, const Shape& shape,
                         RowSink& sink) const;
  Result<void> cursor_rows(const StreamContext& context, const std::string& text,
                           const Shape& shape, RowSink& sink) const;
  // Hands a row to the sink unless the stream was cancelled.
  Result<void> deliver(const StreamContext& context, const std::vector<Value>& values,
                       RowSink& sink) const;
  // Fails unless `result` has `expected` status.
  // An error of a statement that holds the model's text (`statement`, with
  // `text` in it) says where in the text it is (error_position_note).
  Result<void> check(const StreamContext& context, const PGresult* result,
                     ExecStatusType expected, std::string_view statement = {},
                     std::string_view text = {}) const;
  Error failure(const std::string& message) const;
  Error cancelled() const;

  std::string m_conninfo;
  std::optional<std::string> m_password;
  PostgresReadMode m_read_mode;
  std::optional<bool> m_redshift;                // what version() said, asked once (automatic)
  std::string m_description = "libpq defaults";  // of the last stream's conninfo
};

// "PostgreSQL source 'host=... dbname=...': <message>", without the password
// even if a server or libpq message were to echo it.
Error PostgresRowSource::failure(const std::string& message) const {
  std::string text = trimmed(message);
  if (m_password && !m_password->empty()) {
    constexpr std::string_view k_redacted = "***";
    for (std::size_t at = text.find(*m_password); at != std::string::npos;
         at = text.find(*m_password, at + k_redacted.size())) {
      text.replace(at, m_password->size(), k_redacted);
    }
  }
  return make_error(Errc::source_error, "PostgreSQL source '" + m_description + "': " + text);
}

Error PostgresRowSource::cancelled() const {
  return make_error(Errc::cancelled,
                    "PostgreSQL source '" + m_description + "': the model query was cancelled");
}

Result<void> PostgresRowSource::check(const StreamContext& context, const PGresult* result,
                                      ExecStatusType expected, std::string_view statement,
                                      std::string_view text) const {
  if (result != nullptr && PQresultStatus(result) == expected) {
    return ok();
  }
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary != nullptr ? primary : trimmed(PQerrorMessage(context.connection));
  const char* position =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_STATEMENT_POSITION) : nullptr;
  if (position != nullptr && !statement.empty()) {
    if (const std::string note = error_position_note(statement, text, position); !note.empty()) {
      message += " (" + note + ")";
    }
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state != nullptr ? state : "";
  if (sqlstate == "57014") {  // query_canceled: the statement timeout (or a cancel, see stream())
    message = with_timeout_remedy(std::move(message), context.options.statement_timeout);
  } else if (breaks_the_rule(sqlstate)) {
    message += " (" + std::string(k_one_read_only_select) + ")";
  }
  return failure(message);
}

Result<void> PostgresRowSource::deliver(const StreamContext& context,
                                        const std::vector<Value>& values, RowSink& sink) const {
  if (context.watch.fired()) {
    return cancelled();
  }
  return sink.on_row(values);
}

Result<ConnectionPtr> PostgresRowSource::connect(std::chrono::milliseconds statement_timeout) {
  auto connect = make_connect_info(m_conninfo, m_password, statement_timeout);
  if (!connect) {
    return connect.error();
  }
  m_description = connect->description;
  ConnectionPtr connection(PQconnectdb(connect->connect_string.c_str()));
  wipe(connect->connect_string);  // it holds the password; libpq keeps its own copy
  if (!connection) {
    return failure("cannot connect: out of memory");
  }
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return failure("cannot connect: " + std::string(PQerrorMessage(connection.get())));
  }
  return connection;
}

Result<void> PostgresRowSource::check_connection() {
  auto connected = connect(QueryOptions{}.statement_timeout);
  if (!connected) {
    // The server's own refusals come as its error message, "FATAL:  ...".
    const bool answered = connected.error().message.find("FATAL:") != std::string::npos;
    return answered ? connected.error() : make_error(Errc::transient, connected.error().message);
  }
  return ok();
}

Result<void> PostgresRowSource::stream(const std::string& query, const QueryOptions& options,
                                       RowSink& sink) {
  auto bound = filter_bound(options);  // checked before connecting
  if (!bound) {
    return bound.error();
  }
  EMSYNC_TRY(check_email_filter(options));
  auto connected = connect(options.statement_timeout);
  if (!connected) {
    return connected.error();
  }
  ConnectionPtr connection = std::move(*connected);
  // Declared after the connection, so destroyed before it: the watch first.
  const CancelPtr canceller(PQgetCancel(connection.get()));
  const CancelWatch watch(options.cancel_requested,
                          [cancel = canceller.get()] { send_cancel(cancel); });
  const StreamContext context{connection.get(), options, watch, std::chrono::steady_clock::now()};
  auto streamed = read(context, query, sink);
  // Whatever the server said after a cancel (57014 as for a timeout, or
  // nothing if the query was between statements), the stream was cancelled.
  if (watch.fired()) {
    return cancelled();
  }
  return streamed;
}

Result<void> PostgresRowSource::read(const StreamContext& context, const std::string& query,
                                     RowSink& sink) {
  const std::string session = "BEGIN READ ONLY; SET LOCAL statement_timeout = " +
                              std::to_string(context.options.statement_timeout.count()) +
                              "; SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'";
  const ResultPtr begun(PQexec(context.connection, session.c_str()));
  EMSYNC_TRY(check(context, begun.get(), PGRES_COMMAND_OK));
  auto cursor = reads_with_cursor(context);
  if (!cursor) {
    return cursor.error();
  }
  const std::string text = without_terminator(query);
  auto shape = describe(context, text);
  if (!shape) {
    return shape.error();
  }
  EMSYNC_TRY(sink.on_columns(shape->columns));
  // A cancel while the sink worked (it may wait for the field plan) found
  // the server idle, so it stopped nothing: the query must not start.
  if (context.watch.fired()) {
    return cancelled();
  }
  return *cursor ? cursor_rows(context, text, *shape, sink)
                 : copy_rows(context, text, *shape, sink);
}

Result<bool> PostgresRowSource::reads_with_cursor(const StreamContext& context) {
  if (context.options.filter || context.options.email_filter) {
    return true;  // the bound is a parameter: DECLARE takes one, COPY does not
  }
  switch (m_read_mode) {
    case PostgresReadMode::copy:
      return false;
    case PostgresReadMode::cursor:
      return true;
    case PostgresReadMode::automatic:
      break;
  }
  if (!m_redshift) {
    const ResultPtr version(PQexec(context.connection, "SELECT version()"));
    EMSYNC_TRY(check(context, version.get(), PGRES_TUPLES_OK));
    if (PQntuples(version.get()) != 1 || PQnfields(version.get()) != 1) {
      return failure("SELECT version() did not return one value");
    }
    m_redshift = is_redshift(PQgetvalue(version.get(), 0, 0));
  }
  return *m_redshift;
}

Result<Shape> PostgresRowSource::describe(const StreamContext& context,
                                          const std::string& text) const {
  const ResultPtr prepared(PQprepare(context.connection, "", text.c_str(), 0, nullptr));
  EMSYNC_TRY(check(context, prepared.get(), PGRES_COMMAND_OK, text, text));
  const ResultPtr described(PQdescribePrepared(context.connection, ""));
  EMSYNC_TRY(check(context, described.get(), PGRES_COMMAND_OK));
  const int fields = PQnfields(described.get());
  if (fields == 0) {
    return failure("the model returns no columns (" + std::string(k_one_read_only_select) + ")");
  }
  Shape shape;
  for (int i = 0; i < fields; ++i) {
    const Oid type = PQftype(described.get(), i);
    shape.columns.push_back(Column{PQfname(described.get(), i), column_type(type),
                                   declared_chars(type, PQfmod(described.get(), i))});
    shape.conversions.push_back(conversion(type));
  }
  return shape;
}

Result<void> PostgresRowSource::copy_rows(const StreamContext& context, const std::string& text,
                                          const Shape& shape, RowSink& sink) const {
  PGconn* connection = context.connection;
  const std::string copy = copy_statement(text, context.options.columns_only);
  const ResultPtr copying(
      PQexecParams(connection, copy.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  EMSYNC_TRY(check(context, copying.get(), PGRES_COPY_OUT, copy, text));
  std::vector<Value> values(shape.columns.size());
  for (;;) {
    char* raw = nullptr;
    const int size = PQgetCopyData(connection, &raw, 0);
    if (size < 0) {
      break;  // -1: done, the status follows; -2: failed, likewise
    }
    const std::unique_ptr<char, FreeMemory> line(raw);
    std::string_view text_line(line.get(), static_cast<std::size_t>(size));
    if (text_line.ends_with('\n')) {
      text_line.remove_suffix(1);
    }
    if (!decode_copy_line(text_line, values)) {
      cancel_query(connection);
      return failure("a COPY line does not have " + std::to_string(values.size()) + " fields");
    }
    convert_all(shape.conversions, values);
    if (auto accepted = deliver(context, values, sink); !accepted) {
      cancel_query(connection);  // so that the server stops sending the rest
      return accepted.error();
    }
  }
  const ResultPtr copied(PQgetResult(connection));
  return check(context, copied.get(), PGRES_COMMAND_OK);
}

// FETCH after FETCH until one returns fewer rows than asked for, with
// k_cursor_fetches_in_flight of them sent ahead (pipeline mode). Each is read
// in single-row mode: libpq holds one row at a time, however many a FETCH
// returns. A sink's error leaves the rest unread: at most
// k_cursor_fetches_in_flight × k_cursor_fetch_rows rows, dropped with the
// connection.
Result<void> PostgresRowSource::cursor_rows(const StreamContext& context, const std::string& text,
                                            const Shape& shape, RowSink& sink) const {
  PGconn* connection = context.connection;
  const QueryOptions& options = context.options;
  const std::optional<RowFilter>& filter = options.filter;
  const std::optional<EmailFilter>& email = options.email_filter;
  const std::string declare = filter  ? filtered_cursor_statement(text, filter->column)
                              : email ? email_cursor_statement(text, email->column)
                                      : cursor_statement(text, options.columns_only);
  // The bound as text, its type the column's (paramTypes nullptr).
  const char* const bound = filter  ? filter->bound.c_str()
                            : email ? email->email.c_str()
                                    : nullptr;
  const ResultPtr declared(PQexecParams(connection, declare.c_str(), bound ? 1 : 0, nullptr,
                                        bound ? &bound : nullptr, nullptr, nullptr, 0));
  EMSYNC_TRY(check(context, declared.get(), PGRES_COMMAND_OK, declare, text));
  const std::string fetch = fetch_statement(k_cursor_fetch_rows);
  // Pipelined: the next FETCH is sent before this one's rows are read, so
  // the server works on it while the rows are converted (a FETCH at a time
  // left both sides waiting on each round trip). Each FETCH is followed by a
  // Sync, which flushes the server's output; inside the transaction block it
  // commits nothing.
  if (PQenterPipelineMode(connection) == 0) {
    return failure(PQerrorMessage(connection));
  }
  int in_flight = 0;
  const auto send_fetch = [&]() -> Result<void> {
    // The server's timeout restarts with every FETCH; the stream's is kept here.
    if (options.statement_timeout.count() > 0 &&
        std::chrono::steady_clock::now() - context.started >= options.statement_timeout) {
      return failure(with_timeout_remedy("the model query ran longer than the statement timeout",
                                         options.statement_timeout));
    }
    if (PQsendQueryParams(connection, fetch.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) ==
            0 ||
        PQpipelineSync(connection) == 0) {
      return failure(PQerrorMessage(connection));
    }
    ++in_flight;
    return ok();
  };
  for (int i = 0; i < k_cursor_fetches_in_flight; ++i) {
    EMSYNC_TRY(send_fetch());
  }
  std::vector<Value> values(shape.columns.size());
  bool exhausted = false;
  while (in_flight > 0) {
    if (PQsetSingleRowMode(connection) == 0) {
      return failure(PQerrorMessage(connection));
    }
    int fetched = 0;
    while (const ResultPtr result{PQgetResult(connection)}) {
      if (PQresultStatus(result.get()) != PGRES_SINGLE_TUPLE) {
        EMSYNC_TRY(check(context, result.get(), PGRES_TUPLES_OK));  // the FETCH's end
        continue;
      }
      ++fetched;
      read_row(result.get(), shape.conversions, values);
      EMSYNC_TRY(deliver(context, values, sink));
    }
    const ResultPtr synced{PQgetResult(connection)};
    EMSYNC_TRY(check(context, synced.get(), PGRES_PIPELINE_SYNC));
    --in_flight;
    exhausted = exhausted || fetched < k_cursor_fetch_rows;
    if (!exhausted) {
      EMSYNC_TRY(send_fetch());
    }
  }
  if (PQexitPipelineMode(connection) == 0) {
    return failure(PQerrorMessage(connection));
  }
  return ok();
}

}  // namespace

std::unique_ptr<RowSource> make_postgres_source(std::string conninfo,
                                                std::optional<std::string> password,
                                                PostgresReadMode read_mode) {
  return std::make_unique<PostgresRowSource>(std::move(conninfo), std::move(password), read_mode);
}

}  // namespace emsync::source
