#include "service/connections.hpp"

namespace emsync::service {

namespace {

source::PostgresReadMode read_mode(config::PgReadMode mode) {
  switch (mode) {
    case config::PgReadMode::copy:
      return source::PostgresReadMode::copy;
    case config::PgReadMode::cursor:
      return source::PostgresReadMode::cursor;
    case config::PgReadMode::automatic:
      break;
  }
  return source::PostgresReadMode::automatic;
}

source::OdbcTextFetch text_fetch(config::OdbcTextFetch fetch) {
  switch (fetch) {
    case config::OdbcTextFetch::utf16:
      return source::OdbcTextFetch::utf16;
    case config::OdbcTextFetch::utf8:
      return source::OdbcTextFetch::utf8;
    case config::OdbcTextFetch::automatic:
      break;
  }
  return source::OdbcTextFetch::automatic;
}

}  // namespace

std::unique_ptr<source::RowSource> make_source(const config::SourceConfig& source,
                                               const std::optional<std::string>& password) {
  switch (source.type) {
    case config::SourceType::postgres:
      return source::make_postgres_source(source.conninfo, password, read_mode(source.read_mode));
    case config::SourceType::odbc:
      return source::make_odbc_source(source.connection_string, password,
                                      source.password_attribute, text_fetch(source.text_fetch));
    case config::SourceType::sqlite:
      break;
  }
  return source::make_sqlite_source(source.path);
}

emarsys::ClientConfig client_config(const config::DestinationConfig& d, std::string secret) {
  emarsys::ClientConfig c;
  c.api_url = d.api_url;
  c.auth = d.auth == config::AuthKind::wsse ? emarsys::AuthKind::wsse : emarsys::AuthKind::oauth2;
  c.user = d.auth == config::AuthKind::wsse ? d.username : d.client_id;
  c.secret = std::move(secret);
  c.token_url = d.token_url;
  c.ca_file = d.ca_file;
  c.rate_limit_per_minute = d.rate_limit_per_minute;
  c.connections = d.connections;
  return c;
}

emarsys::ClientConfig check_settings(emarsys::ClientConfig settings) {
  settings.max_attempts = 2;
  settings.request_timeout = std::chrono::seconds(10);
  return settings;
}

}  // namespace emsync::service
