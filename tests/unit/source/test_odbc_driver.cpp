#include <catch2/catch.hpp>

#include "odbc_test_env.hpp"
#include "source/odbc_driver.hpp"

namespace emsync::source {
namespace {

using test::k_sqlite_odbc_driver;

TEST_CASE("an installed driver, by name or by path, is no problem", "[source][odbc]") {
  test::use_shared_odbc_ini();
  CHECK_FALSE(odbc_driver_problem("Driver={SQLite3};Database=/tmp/x.db"));
  CHECK_FALSE(odbc_driver_problem("driver=sqlite3;Database=/tmp/x.db"));
  CHECK_FALSE(odbc_driver_problem(std::string("Driver=") + k_sqlite_odbc_driver + ";PWD={x}"));
  CHECK_FALSE(odbc_driver_problem("DSN=models"));
  CHECK_FALSE(odbc_driver_problem("Driver={By Name}"));  // found in libodbc's odbc/ directory
}

TEST_CASE("a missing driver is named with where to get it", "[source][odbc]") {
  test::use_shared_odbc_ini();
  auto unknown = odbc_driver_problem("Driver={PostgreSQL Unicode};Server=db;PWD={hunter2}");
  REQUIRE(unknown);
  CHECK(*unknown ==
        "the ODBC driver 'PostgreSQL Unicode' is not installed (the driver manager knows: "
        "SQLite3, Gone Driver, By Name, Gone By Name): install the Debian package odbc-postgresql");
  auto path = odbc_driver_problem("Driver=/opt/simba/spark/lib/libsparkodbc_sb64.so");
  REQUIRE(path);
  CHECK_THAT(*path, Catch::Contains("'/opt/simba/spark/lib/libsparkodbc_sb64.so' does not exist") &&
                        Catch::Contains("Databricks ODBC driver"));
  auto gone = odbc_driver_problem("Driver={Gone Driver}");
  REQUIRE(gone);
  CHECK_THAT(*gone, Catch::Contains("'/nonexistent/libgone.so', which does not exist"));
  auto gone_by_name = odbc_driver_problem("Driver={Gone By Name}");
  REQUIRE(gone_by_name);
  CHECK_THAT(*gone_by_name, Catch::Contains("'libgone.so', which does not exist"));
}

TEST_CASE("a data source must be defined and its driver installed", "[source][odbc]") {
  test::use_shared_odbc_ini();
  auto undefined = odbc_driver_problem("DSN=nowhere;UID=x");
  REQUIRE(undefined);
  CHECK_THAT(*undefined, Catch::Contains("data source 'nowhere' is not defined"));
  auto orphan = odbc_driver_problem("DSN=orphan");
  REQUIRE(orphan);
  CHECK_THAT(*orphan, Catch::Contains("'Snowflake' is not installed") &&
                          Catch::Contains("Snowflake's ODBC driver"));
  auto neither = odbc_driver_problem("Server=db;UID=x");
  REQUIRE(neither);
  CHECK(*neither == "the ODBC connection string names no Driver or DSN");
}

}  // namespace
}  // namespace emsync::source
