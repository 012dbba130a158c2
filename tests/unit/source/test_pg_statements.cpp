#include <catch2/catch.hpp>

#include "source/pg_statements.hpp"

namespace emsync::source {
namespace {

TEST_CASE("COPY and the cursor wrap the model text alike, a newline after it", "[source]") {
  const std::string text = "SELECT a FROM t -- trailing comment";
  CHECK(copy_statement(text, false) == "COPY (SELECT a FROM t -- trailing comment\n) TO STDOUT");
  CHECK(cursor_statement(text, false) ==
        "DECLARE emsync_model CURSOR FOR SELECT a FROM t -- trailing comment\n");
  // The check (columns_only) plans the query and checks its rights, no row.
  CHECK(copy_statement(text, true) ==
        "COPY (SELECT * FROM (SELECT a FROM t -- trailing comment\n) AS emsync_model LIMIT 0\n) "
        "TO STDOUT");
  CHECK(cursor_statement(text, true) ==
        "DECLARE emsync_model CURSOR FOR SELECT * FROM (SELECT a FROM t -- trailing comment\n) AS "
        "emsync_model LIMIT 0\n");
  CHECK(fetch_statement(1000) == "FETCH FORWARD 1000 FROM emsync_model");
}

TEST_CASE("an incremental read declares the cursor over the filtered model, the bound $1",
          "[source]") {
  CHECK(filtered_cursor_statement("SELECT a, t FROM x -- trailing comment\n;", "t") ==
        "DECLARE emsync_model CURSOR FOR SELECT * FROM (SELECT a, t FROM x -- trailing comment\n) "
        "AS emsync_model WHERE emsync_model.\"t\" >= $1\n");
  // A quote in the column's name is doubled: the name cannot end the identifier.
  CHECK(filtered_cursor_statement("SELECT 1 AS \"a\"\"b\"", "a\"b") ==
        "DECLARE emsync_model CURSOR FOR SELECT * FROM (SELECT 1 AS \"a\"\"b\"\n) AS emsync_model "
        "WHERE emsync_model.\"a\"\"b\" >= $1\n");
  CHECK(filtered_cursor_statement("SELECT 1 AS \"Updated At\"", "Updated At")
            .ends_with("WHERE emsync_model.\"Updated At\" >= $1\n"));
}

TEST_CASE("Redshift is recognised by its version() text", "[source]") {
  CHECK(
      is_redshift("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 "
                  "20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.12103"));
  CHECK_FALSE(
      is_redshift("PostgreSQL 16.4 (Debian 16.4-1.pgdg120+2) on x86_64-pc-linux-gnu, "
                  "compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit"));
  CHECK_FALSE(is_redshift(""));
}

}  // namespace
}  // namespace emsync::source
