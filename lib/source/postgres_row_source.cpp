// The PostgreSQL row source: one connection and one READ ONLY transaction per
// stream; rows arrive through COPY so memory stays flat whatever the size.
#include <pqxx/pqxx>

#include "source/conninfo.hpp"
#include "source/copy_text.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

// How a column's COPY text becomes its canonical form.
enum class Conversion { none, boolean, strip_utc_offset };

// Type OIDs from PostgreSQL's pg_type.dat.
ColumnType column_type(pqxx::oid type) {
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

Conversion conversion(pqxx::oid type) {
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

// The query without trailing semicolons, as a parenthesised subquery; the
// newline keeps a trailing "-- comment" from swallowing the parenthesis.
std::string as_subquery(const std::string& query) {
  const std::size_t end = query.find_last_not_of(" \t\r\n;");
  return "(" + query.substr(0, end == std::string::npos ? 0 : end + 1) + "\n)";
}

// The model's columns, learnt without running it: LIMIT 0 plans the query
// but fetches nothing. `conversions` gets one entry per column.
std::vector<Column> describe_columns(pqxx::transaction_base& transaction,
                                     const std::string& subquery,
                                     std::vector<Conversion>& conversions) {
  const pqxx::result shape =
      transaction.exec("SELECT * FROM " + subquery + " AS emsync_model LIMIT 0");
  std::vector<Column> columns;
  for (pqxx::row::size_type i = 0; i < shape.columns(); ++i) {
    columns.push_back(Column{shape.column_name(i), column_type(shape.column_type(i))});
    conversions.push_back(conversion(shape.column_type(i)));
  }
  return columns;
}

// libpq and server messages end with a newline.
std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

class PostgresRowSource final : public RowSource {
 public:
  PostgresRowSource(std::string conninfo, std::optional<std::string> password)
      : m_connect(make_connect_info(conninfo, password)), m_password(std::move(password)) {}

  Result<void> stream(const std::string& query, const QueryOptions& options,
                      RowSink& sink) override;

 private:
  Result<void> stream_rows(pqxx::connection& connection, const std::string& subquery,
                           const QueryOptions& options, RowSink& sink);
  Error failure(const std::string& message) const;

  Result<PgConnectInfo> m_connect;
  std::optional<std::string> m_password;  // only to scrub it from messages
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
  return make_error(Errc::source_error,
                    "PostgreSQL source '" + m_connect->description + "': " + text);
}

Result<void> PostgresRowSource::stream(const std::string& query, const QueryOptions& options,
                                       RowSink& sink) {
  if (!m_connect) {
    return m_connect.error();
  }
  try {
    pqxx::connection connection(m_connect->connect_string);
    return stream_rows(connection, as_subquery(query), options, sink);
  } catch (const pqxx::sql_error& e) {
    std::string message = trimmed(e.what());
    if (e.sqlstate() == "57014") {  // query_canceled: the statement timeout
      message += " (after " + std::to_string(options.statement_timeout.count()) +
                 " ms): make the model query faster or raise statement_timeout";
    }
    return failure(message);
  } catch (const pqxx::broken_connection& e) {
    return failure(std::string("cannot connect or lost the connection: ") + e.what());
  } catch (const std::exception& e) {
    return failure(e.what());
  }
}

Result<void> PostgresRowSource::stream_rows(pqxx::connection& connection,
                                            const std::string& subquery,
                                            const QueryOptions& options, RowSink& sink) {
  pqxx::read_transaction transaction(connection);  // BEGIN ... READ ONLY
  transaction.exec0("SET LOCAL statement_timeout = " +
                    std::to_string(options.statement_timeout.count()));
  transaction.exec0("SET LOCAL TIME ZONE 'UTC'");
  transaction.exec0("SET LOCAL DateStyle = 'ISO, YMD'");

  std::vector<Conversion> conversions;
  const std::vector<Column> columns = describe_columns(transaction, subquery, conversions);
  EMSYNC_TRY(sink.on_columns(columns));

  pqxx::stream_from copy(transaction, subquery);  // COPY (query) TO STDOUT
  std::vector<Value> values(columns.size());
  for (std::string line; copy.get_raw_line(line);) {
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
    }
    if (!decode_copy_line(line, values)) {
      connection.cancel_query();
      return failure("a COPY line does not have " + std::to_string(values.size()) + " fields");
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i]) {
        convert(conversions[i], *values[i]);
      }
    }
    auto accepted = sink.on_row(values);
    if (!accepted) {
      connection.cancel_query();  // so that closing the stream does not read the rest
      return accepted.error();
    }
  }
  copy.complete();
  transaction.commit();
  return ok();
}

}  // namespace

std::unique_ptr<RowSource> make_postgres_source(std::string conninfo,
                                                std::optional<std::string> password) {
  return std::make_unique<PostgresRowSource>(std::move(conninfo), std::move(password));
}

}  // namespace emsync::source
