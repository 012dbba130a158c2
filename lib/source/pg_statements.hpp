// The statements the PostgreSQL source wraps a model's text in, and how it
// recognises Amazon Redshift (pure; no libpq).
//
// The text comes unchanged from the model, after it was prepared alone
// (PQprepare: one statement, tokens balanced), so it cannot close the
// parentheses or the statement these wrap it in. The newline after it keeps
// a trailing "-- comment" from swallowing what follows.
#pragma once

#include <string>
#include <string_view>

#include "source/row_filter.hpp"  // without_terminator

namespace emsync::source {

// The query that COPY or the cursor runs: the text, or with `columns_only`
// "SELECT * FROM (<text>\n) AS emsync_model LIMIT 0": planned and its rights
// checked, no row computed.
std::string model_query(const std::string& text, bool columns_only);

// "COPY (<model_query>\n) TO STDOUT".
std::string copy_statement(const std::string& text, bool columns_only);

// "DECLARE emsync_model CURSOR FOR <model_query>\n". Neither SCROLL nor NO
// SCROLL: Redshift's DECLARE syntax has neither ("DECLARE name CURSOR FOR
// query"), and PostgreSQL's default adds no cost to a forward read.
std::string cursor_statement(const std::string& text, bool columns_only);

// "DECLARE emsync_model CURSOR FOR SELECT * FROM (<text>\n) AS emsync_model
// WHERE emsync_model."<column>" >= $1\n" (row_filter.hpp): an incremental
// read, the bound its one parameter, of no type given, so that the server
// takes the column's type and can use its index.
std::string filtered_cursor_statement(const std::string& text, std::string_view column);

// Where a server's error position (PG_DIAG_STATEMENT_POSITION: 1-based,
// counted in characters of `statement`, UTF-8) falls, in the user's terms.
// `text` is the model's text as `statement` holds it (one of the statements
// above, or the text alone, as it is prepared): in it, "at line L, column C
// of the model query: \"<that line>\"" (a line longer than 80 characters cut
// around the column); in emsync's own part of the statement, a sentence
// saying that the model query is wrapped and how. Empty when `position` is
// not a number within the statement.
std::string error_position_note(std::string_view statement, std::string_view text,
                                std::string_view position);

// "DECLARE emsync_model CURSOR FOR SELECT * FROM (<text>\n) AS emsync_model
// WHERE LOWER(TRIM(emsync_model."<column>")) = $1\n": one contact's rows
// (EmailFilter), the email its one parameter.
std::string email_cursor_statement(const std::string& text, std::string_view column);

// "FETCH FORWARD <rows> FROM emsync_model".
std::string fetch_statement(int rows);

// Whether the server's version() text is Amazon Redshift's, e.g.
// "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2
// 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.12103".
bool is_redshift(std::string_view version_text);

}  // namespace emsync::source
