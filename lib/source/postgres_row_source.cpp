// The PostgreSQL row source: one connection and one READ ONLY transaction per
// stream; rows arrive through COPY so memory stays flat whatever the size.
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
//  - then COPY (<text>\n) TO STDOUT runs through PQexecParams, again one
//    statement; the text's tokens are balanced, as it was prepared alone, so
//    they stay inside the parentheses.
#include <libpq-fe.h>

#include <memory>
#include <string_view>

#include "core/hardening.hpp"
#include "source/conninfo.hpp"
#include "source/copy_text.hpp"
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
using ConnectionPtr = std::unique_ptr<PGconn, FinishConnection>;
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

// How a column's COPY text becomes its canonical form.
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

// The model text without trailing semicolons and blanks (COPY takes a query,
// not a statement).
std::string without_terminator(const std::string& query) {
  const std::size_t end = query.find_last_not_of(" \t\r\n;");
  return query.substr(0, end == std::string::npos ? 0 : end + 1);
}

// The COPY statement around the prepared text; the newline keeps a trailing
// "-- comment" from swallowing the parenthesis. With `columns_only` the
// query runs with LIMIT 0: planned, its rights checked, no row fetched.
std::string copy_statement(const std::string& text, bool columns_only) {
  if (columns_only) {
    return "COPY (SELECT * FROM (" + text + "\n) AS emsync_model LIMIT 0) TO STDOUT";
  }
  return "COPY (" + text + "\n) TO STDOUT";
}

// SQLSTATEs a model gets for not being one read-only SELECT: syntax_error
// (several commands, COPY of a command that is not a query),
// feature_not_supported (COPY of a DELETE without RETURNING),
// active_sql_transaction (set_config('transaction_read_only', 'off', ...)),
// read_only_sql_transaction (a write, nextval(), a data-modifying CTE).
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

void cancel_query(PGconn* connection) {
  if (PGcancel* cancel = PQgetCancel(connection)) {
    char ignored[256];
    PQcancel(cancel, ignored, sizeof ignored);
    PQfreeCancel(cancel);
  }
}

class PostgresRowSource final : public RowSource {
 public:
  PostgresRowSource(std::string conninfo, std::optional<std::string> password)
      : m_conninfo(std::move(conninfo)), m_password(std::move(password)) {}
  ~PostgresRowSource() override {
    if (m_password) {
      wipe(*m_password);
    }
  }
  PostgresRowSource(const PostgresRowSource&) = delete;
  PostgresRowSource& operator=(const PostgresRowSource&) = delete;

  Result<void> stream(const std::string& query, const QueryOptions& options,
                      RowSink& sink) override;

 private:
  Result<void> stream_rows(PGconn* connection, const std::string& text, const QueryOptions& options,
                           RowSink& sink) const;
  // Fails unless `result` has `expected` status.
  Result<void> check(PGconn* connection, const PGresult* result, ExecStatusType expected,
                     const QueryOptions& options) const;
  Error failure(const std::string& message) const;

  std::string m_conninfo;
  std::optional<std::string> m_password;
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

Result<void> PostgresRowSource::check(PGconn* connection, const PGresult* result,
                                      ExecStatusType expected, const QueryOptions& options) const {
  if (result != nullptr && PQresultStatus(result) == expected) {
    return ok();
  }
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary != nullptr ? primary : trimmed(PQerrorMessage(connection));
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state != nullptr ? state : "";
  if (sqlstate == "57014") {  // query_canceled: the statement timeout
    message += " (after " + std::to_string(options.statement_timeout.count()) +
               " ms): make the model query faster or raise statement_timeout";
  } else if (breaks_the_rule(sqlstate)) {
    message += " (" + std::string(k_one_read_only_select) + ")";
  }
  return failure(message);
}

Result<void> PostgresRowSource::stream(const std::string& query, const QueryOptions& options,
                                       RowSink& sink) {
  auto connect = make_connect_info(m_conninfo, m_password, options.statement_timeout);
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
  const std::string session = "BEGIN READ ONLY; SET LOCAL statement_timeout = " +
                              std::to_string(options.statement_timeout.count()) +
                              "; SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'";
  const ResultPtr begun(PQexec(connection.get(), session.c_str()));
  EMSYNC_TRY(check(connection.get(), begun.get(), PGRES_COMMAND_OK, options));
  return stream_rows(connection.get(), without_terminator(query), options, sink);
}

Result<void> PostgresRowSource::stream_rows(PGconn* connection, const std::string& text,
                                            const QueryOptions& options, RowSink& sink) const {
  const ResultPtr prepared(PQprepare(connection, "", text.c_str(), 0, nullptr));
  EMSYNC_TRY(check(connection, prepared.get(), PGRES_COMMAND_OK, options));
  const ResultPtr shape(PQdescribePrepared(connection, ""));
  EMSYNC_TRY(check(connection, shape.get(), PGRES_COMMAND_OK, options));
  const int fields = PQnfields(shape.get());
  if (fields == 0) {
    return failure("the model returns no columns (" + std::string(k_one_read_only_select) + ")");
  }
  std::vector<Column> columns;
  std::vector<Conversion> conversions;
  for (int i = 0; i < fields; ++i) {
    columns.push_back(Column{PQfname(shape.get(), i), column_type(PQftype(shape.get(), i))});
    conversions.push_back(conversion(PQftype(shape.get(), i)));
  }
  EMSYNC_TRY(sink.on_columns(columns));

  const std::string copy = copy_statement(text, options.columns_only);
  const ResultPtr copying(
      PQexecParams(connection, copy.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  EMSYNC_TRY(check(connection, copying.get(), PGRES_COPY_OUT, options));
  std::vector<Value> values(columns.size());
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
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i]) {
        convert(conversions[i], *values[i]);
      }
    }
    if (auto accepted = sink.on_row(values); !accepted) {
      cancel_query(connection);  // so that the server stops sending the rest
      return accepted.error();
    }
  }
  const ResultPtr copied(PQgetResult(connection));
  return check(connection, copied.get(), PGRES_COMMAND_OK, options);
}

}  // namespace

std::unique_ptr<RowSource> make_postgres_source(std::string conninfo,
                                                std::optional<std::string> password,
                                                PostgresReadMode /*read_mode*/) {
  return std::make_unique<PostgresRowSource>(std::move(conninfo), std::move(password));
}

}  // namespace emsync::source
