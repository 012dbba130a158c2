#include "source/odbc_diagnostics.hpp"

#include <sqlext.h>

#include <algorithm>
#include <cctype>

#include "source/row_source.hpp"

namespace emsync::source {
namespace {

constexpr SQLSMALLINT k_max_records = 8;

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// unixODBC reports a Driver= library it cannot load as 01000 "Can't open lib".
bool driver_not_loaded(const OdbcDiagnostic& diagnostic) {
  return diagnostic.sqlstate == "IM002" || diagnostic.sqlstate == "IM003" ||
         (diagnostic.sqlstate == "01000" && contains(diagnostic.message, "Can't open lib"));
}

}  // namespace

std::vector<OdbcDiagnostic> odbc_diagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::vector<OdbcDiagnostic> records;
  for (SQLSMALLINT i = 1; i <= k_max_records; ++i) {
    SQLCHAR state[6] = {};
    SQLINTEGER native = 0;
    SQLCHAR text[1024] = {};
    SQLSMALLINT length = 0;
    const SQLRETURN rc =
        SQLGetDiagRec(handle_type, handle, i, state, &native, text, sizeof text, &length);
    if (!SQL_SUCCEEDED(rc)) {
      break;
    }
    // One line: psqlODBC adds ";\n<more>" and the server's "\n\tHINT".
    std::string message(reinterpret_cast<const char*>(text));
    std::replace_if(
        message.begin(), message.end(), [](char c) { return c == '\n' || c == '\t'; }, ' ');
    while (!message.empty() && message.back() == ' ') {
      message.pop_back();
    }
    records.push_back({std::string(reinterpret_cast<const char*>(state)), std::move(message)});
  }
  return records;
}

std::optional<OdbcDiagnostic> odbc_primary(const std::vector<OdbcDiagnostic>& records) {
  if (records.empty()) {
    return std::nullopt;
  }
  for (const auto& record : records) {
    if (driver_not_loaded(record)) {
      return record;
    }
  }
  for (const auto& record : records) {
    if (!record.sqlstate.starts_with("01")) {
      return record;
    }
  }
  return records.front();
}

std::string odbc_driver_remedy(std::string_view driver) {
  const std::string name = lowered(driver);
  if (contains(name, "postgres") || contains(name, "psqlodbc")) {
    return "install the Debian package odbc-postgresql";
  }
  if (contains(name, "sqlite")) {
    return "install the Debian package libsqliteodbc";
  }
  if (contains(name, "snowflake")) {
    return "install Snowflake's ODBC driver for Linux (from Snowflake's download page)";
  }
  if (contains(name, "bigquery")) {
    return "install Google's BigQuery ODBC driver (Simba) for Linux";
  }
  if (contains(name, "databricks") || contains(name, "spark")) {
    return "install the Databricks ODBC driver (Simba Spark) for Linux";
  }
  if (contains(name, "redshift")) {
    return "install the Amazon Redshift ODBC driver for Linux, or use the postgres source "
           "(read_mode cursor)";
  }
  return "install the driver and register it in odbcinst.ini, or give Driver= the path of its "
         "library (odbcinst -q -d lists the drivers installed)";
}

namespace {

bool login_refused(const OdbcDiagnostic& diagnostic) {
  const std::string_view state = diagnostic.sqlstate;
  return state == "28000" || state == "28P01" ||
         (state == "08001" && contains(lowered(diagnostic.message), "authentication failed"));
}

}  // namespace

bool server_unreachable(const OdbcDiagnostic& diagnostic) {
  const std::string_view state = diagnostic.sqlstate;
  return (state == "08001" && !login_refused(diagnostic)) || state == "08S01" ||
         state == "HYT00" || state == "HYT01";
}

std::string remedy(const OdbcDiagnostic& diagnostic, std::string_view driver) {
  const std::string_view state = diagnostic.sqlstate;
  if (driver_not_loaded(diagnostic)) {
    return "the driver '" + std::string(driver) +
           "' is not installed: " + odbc_driver_remedy(driver);
  }
  // psqlODBC reports every failed connection as 08001, a refused login too.
  if (login_refused(diagnostic)) {
    return "login failed: check the user in connection_string and the password in "
           "password_file or password_env";
  }
  if (state == "42S02" || state == "42P01") {
    return "a table or view of the model does not exist, or the user may not see it: check "
           "the model and the grants";
  }
  if (state == "HYT00" || state == "HYT01" || state == "57014") {
    return "the statement timeout passed: make the model query faster or raise "
           "statement_timeout";
  }
  if (state == "08001") {
    return "the server cannot be reached: check the host and port in connection_string";
  }
  if (state == "25006") {  // PostgreSQL's read_only_sql_transaction
    return std::string(k_one_read_only_select);
  }
  if (state == "HY008") {
    return "the query was cancelled";
  }
  return "";
}

std::string describe(const std::optional<OdbcDiagnostic>& diagnostic, std::string_view driver) {
  if (!diagnostic) {
    return "no diagnostic from the driver";
  }
  std::string text = "SQLSTATE " + diagnostic->sqlstate + ": " + diagnostic->message;
  const std::string hint = remedy(*diagnostic, driver);
  if (!hint.empty()) {
    text += " (" + hint + ")";
  }
  return text;
}

}  // namespace emsync::source
