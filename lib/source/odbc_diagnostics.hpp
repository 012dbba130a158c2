// What an ODBC call that failed says: the diagnostic records of its handle
// (SQLGetDiagRec), and what emsync knows of the remedy.
#pragma once

#include <sql.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emsync::source {

struct OdbcDiagnostic {
  std::string sqlstate;  // five characters: "28P01", "42S02", "HYT00"
  std::string message;   // the driver's (or driver manager's) text, on one line
};

// Every diagnostic record of `handle` (at most 8), in order; empty when there
// is none.
std::vector<OdbcDiagnostic> odbc_diagnostics(SQLSMALLINT handle_type, SQLHANDLE handle);

// The SQLSTATE that explains the failure best: the first record that is not
// a warning (class 01) unless the driver manager could not load the driver,
// else the first record; nullopt for none.
std::optional<OdbcDiagnostic> odbc_primary(const std::vector<OdbcDiagnostic>& records);

// "SQLSTATE 28P01: <message> (<remedy>)"; the remedy only where emsync knows
// one (remedy()); "no diagnostic from the driver" when there is no record.
// Pure.
std::string describe(const std::optional<OdbcDiagnostic>& diagnostic, std::string_view driver);

// The remedy of a SQLSTATE, or "" when emsync knows none. `driver` is the
// connection string's Driver or DSN, used to name the package or vendor
// driver to install (odbc_driver_remedy()). Pure.
//   IM002, IM003, 01000 "Can't open lib": driver not installed
//   28000, 28P01, 08001 "authentication failed": login failed
//   08001 otherwise: server not reached 42S02, 42P01: object not found
//   HYT00, HYT01: timeout              HY008: cancelled
//   25006 (a write in a read-only transaction): k_one_read_only_select
std::string remedy(const OdbcDiagnostic& diagnostic, std::string_view driver);

// Whether a failed connect says the server was not reached at all: 08001
// (but a refused login, which psqlODBC also reports as 08001), 08S01, HYT00,
// HYT01. Pure.
bool server_unreachable(const OdbcDiagnostic& diagnostic);

// Where to get the driver `driver` names: "install the Debian package
// odbc-postgresql" (PostgreSQL), libsqliteodbc (SQLite), Snowflake's ODBC
// driver, Google's BigQuery ODBC driver (Simba), the Databricks ODBC driver
// (Simba Spark), the Amazon Redshift ODBC driver; else a general hint. Pure.
std::string odbc_driver_remedy(std::string_view driver);

}  // namespace emsync::source
