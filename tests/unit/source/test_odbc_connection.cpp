#include <catch2/catch.hpp>

#include "core/odbc_attributes.hpp"
#include "source/odbc_connection.hpp"
#include "source/odbc_diagnostics.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

TEST_CASE("the password is appended braced, with '}' doubled", "[source][odbc]") {
  CHECK(odbc_connect_string("Driver={PostgreSQL Unicode};Server=db", std::string("p;w=d}x{")) ==
        "Driver={PostgreSQL Unicode};Server=db;PWD={p;w=d}}x{}");
  CHECK(odbc_connect_string("DSN=warehouse;", std::string("}}")) == "DSN=warehouse;PWD={}}}}}");
  CHECK(odbc_connect_string("DSN=warehouse", std::nullopt) == "DSN=warehouse");
  CHECK(odbc_connect_string("DSN=dw", std::string("k}"), "PRIV_KEY_FILE_PWD") ==
        "DSN=dw;PRIV_KEY_FILE_PWD={k}}}");
}

TEST_CASE("a braced password reads back as it was given", "[source][odbc]") {
  for (const std::string password : {"p;w=d}x{", "}", "a}}b;", " lead and trail ", "{x}"}) {
    INFO(password);
    const auto attributes =
        parse_odbc_attributes(odbc_connect_string("Driver=/x.so;Database=db", password));
    REQUIRE(attributes);
    CHECK(odbc_attribute(*attributes, "pwd") == password);
    CHECK(odbc_attribute(*attributes, "Database") == "db");
  }
}

TEST_CASE("the driver is named by Driver, else DSN", "[source][odbc]") {
  CHECK(odbc_driver_name("driver={SQLite3};DSN=y") == "SQLite3");
  CHECK(odbc_driver_name("DSN=warehouse;UID=me") == "warehouse");
  CHECK(odbc_driver_name("Server=x").empty());
  CHECK(odbc_driver_name("Driver={x").empty());
  CHECK(odbc_description("Driver={x;PWD=y") == "a connection string that does not parse");
}

TEST_CASE("the description keeps where and who, never a secret", "[source][odbc]") {
  const std::string text =
      "Driver={Snowflake};Server=acme.snowflakecomputing.com;UID=etl;PWD={s3cret};"
      "Password=other;PRIV_KEY_FILE_PWD=kp;Auth_Client_Secret=cs;Token=t0k;"
      "pqopt={password=pq};Database=DW;Warehouse=WH;Role=READER";
  const std::string description = odbc_description(text);
  CHECK(description ==
        "Driver=Snowflake;Server=acme.snowflakecomputing.com;UID=etl;Database=DW;Warehouse=WH;"
        "Role=READER");
  for (const char* secret : {"s3cret", "other", "kp", "cs", "t0k", "pq"}) {
    CHECK_THAT(description, !Catch::Contains(secret));
  }
}

TEST_CASE("a secret is redacted from a message wherever it appears", "[source][odbc]") {
  CHECK(redacted("PWD=abc; again abc.", std::string("abc")) == "PWD=***; again ***.");
  CHECK(redacted("nothing", std::string()) == "nothing");
  CHECK(redacted("nothing", std::nullopt) == "nothing");
}

TEST_CASE("diagnostics name the SQLSTATE, the message and the remedy", "[source][odbc]") {
  CHECK(describe(OdbcDiagnostic{"28P01", "password authentication failed"}, "PostgreSQL") ==
        "SQLSTATE 28P01: password authentication failed (login failed: check the user in "
        "connection_string and the password in password_file or password_env)");
  CHECK(describe(OdbcDiagnostic{"42000", "syntax error"}, "x") == "SQLSTATE 42000: syntax error");
  CHECK(describe(std::nullopt, "x") == "no diagnostic from the driver");
  CHECK_THAT(remedy({"IM002", "Data source name not found"}, "Snowflake"),
             Catch::Contains("'Snowflake' is not installed") &&
                 Catch::Contains("Snowflake's ODBC driver"));
  CHECK_THAT(remedy({"01000", "[unixODBC][Driver Manager]Can't open lib '/x/psqlodbcw.so'"},
                    "/x/psqlodbcw.so"),
             Catch::Contains("odbc-postgresql"));
  CHECK_THAT(remedy({"42S02", "no such table"}, "x"), Catch::Contains("does not exist"));
  CHECK_THAT(remedy({"08001", "FATAL:  password authentication failed for user \"x\""}, "x"),
             Catch::StartsWith("login failed"));
  CHECK_THAT(remedy({"08001", "could not connect to server"}, "x"),
             Catch::StartsWith("the server cannot be reached"));
  CHECK_THAT(remedy({"HYT00", "timeout expired"}, "x"), Catch::Contains("statement_timeout"));
  CHECK(remedy({"25006", "cannot execute DELETE in a read-only transaction"}, "x") ==
        k_one_read_only_select);
  CHECK(odbc_driver_remedy("SQLite3") == "install the Debian package libsqliteodbc");
  CHECK_THAT(odbc_driver_remedy("Simba Spark ODBC Driver"), Catch::Contains("Databricks"));
  CHECK_THAT(odbc_driver_remedy("Simba Google BigQuery ODBC Driver"), Catch::Contains("BigQuery"));
  CHECK_THAT(odbc_driver_remedy("Amazon Redshift (x64)"), Catch::Contains("Redshift ODBC"));
  CHECK_THAT(odbc_driver_remedy("Vendor X"), Catch::Contains("odbcinst -q -d"));
}

TEST_CASE("the primary diagnostic skips warnings but not a driver that did not load",
          "[source][odbc]") {
  const std::vector<OdbcDiagnostic> warned = {{"01S02", "option value changed"},
                                              {"42S02", "no such table: t"}};
  CHECK(odbc_primary(warned)->sqlstate == "42S02");
  const std::vector<OdbcDiagnostic> missing = {
      {"01000", "[unixODBC][Driver Manager]Can't open lib '/nope.so' : file not found"},
      {"IM004", "Driver's SQLAllocHandle on SQL_HANDLE_HENV failed"}};
  CHECK(odbc_primary(missing)->sqlstate == "01000");
  CHECK_FALSE(odbc_primary({}));
}

TEST_CASE("a failed connect that never reached the server is told from a refused login",
          "[source][odbc]") {
  CHECK(server_unreachable({"08001", "could not connect to server: Connection refused"}));
  CHECK(server_unreachable({"08S01", "communication link failure"}));
  CHECK(server_unreachable({"HYT00", "login timeout expired"}));
  CHECK_FALSE(server_unreachable({"08001", "FATAL:  password authentication failed for user"}));
  CHECK_FALSE(server_unreachable({"28000", "invalid authorization specification"}));
  CHECK_FALSE(server_unreachable({"IM002", "Data source name not found"}));
}

}  // namespace
}  // namespace emsync::source
