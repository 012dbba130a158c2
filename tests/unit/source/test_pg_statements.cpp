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

TEST_CASE("a server's error position is told in the user's query, line and column",
          "[source]") {
  // The text prepared alone: the position is the text's.
  CHECK(error_position_note("SELEC email FROM people", "SELEC email FROM people", "1") ==
        "at line 1, column 1 of the model query: \"SELEC email FROM people\"");
  // In COPY, emsync's prefix is subtracted; lines and columns count from 1.
  const std::string text = "SELECT email\nFROM people)";
  const std::string copy = copy_statement(text, true);
  const auto at = [&](std::string_view what) {
    return std::to_string(copy.find(what) + 1);  // ASCII: characters are bytes
  };
  CHECK(error_position_note(copy, text, at(")\n")) ==
        "at line 2, column 12 of the model query: \"FROM people)\"");
  CHECK(error_position_note(copy, text, at("email")) ==
        "at line 1, column 8 of the model query: \"SELECT email\"");
  // Positions count characters, not bytes.
  const std::string utf8 = "SELECT 'é' AS x, email FROM people";
  CHECK(error_position_note(utf8, utf8, "18") ==
        "at line 1, column 18 of the model query: \"" + utf8 + "\"");
  // emsync's own part of the statement: the query is wrapped.
  const std::string wrapper = error_position_note(copy, text, "3");
  CHECK(wrapper.find("emsync's wrapper") != std::string::npos);
  CHECK(wrapper.find("SELECT * FROM (<query>) AS emsync_model") != std::string::npos);
  CHECK(error_position_note(copy, text, std::to_string(copy.size())).find("wrapper") !=
        std::string::npos);
  // A long line is cut around the column.
  const std::string long_line = "SELECT " + std::string(100, 'a') + " FROM t)";
  const std::string cut = error_position_note(long_line, long_line, "115");
  CHECK(cut.starts_with("at line 1, column 115 of the model query: \"..."));
  CHECK(cut.ends_with(" FROM t)\""));
  // No position, or none within the statement: nothing to say.
  CHECK(error_position_note(copy, text, "").empty());
  CHECK(error_position_note(copy, text, "0").empty());
  CHECK(error_position_note(copy, text, "x1").empty());
  CHECK(error_position_note(copy, text, std::to_string(copy.size() + 1)).empty());
}

TEST_CASE("one contact's read declares the cursor over the wrapped model, the email $1",
          "[source]") {
  CHECK(email_cursor_statement("SELECT email FROM x -- comment\n;", "E\"mail") ==
        "DECLARE emsync_model CURSOR FOR SELECT * FROM (SELECT email FROM x -- comment\n) AS "
        "emsync_model WHERE LOWER(TRIM(emsync_model.\"E\"\"mail\")) = $1\n");
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
