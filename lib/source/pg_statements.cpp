#include "source/pg_statements.hpp"

namespace emsync::source {

std::string model_query(const std::string& text, bool columns_only) {
  if (columns_only) {
    return "SELECT * FROM (" + text + "\n) AS emsync_model LIMIT 0";
  }
  return text;
}

std::string copy_statement(const std::string& text, bool columns_only) {
  return "COPY (" + model_query(text, columns_only) + "\n) TO STDOUT";
}

std::string cursor_statement(const std::string& text, bool columns_only) {
  return "DECLARE emsync_model CURSOR FOR " + model_query(text, columns_only) + "\n";
}

std::string filtered_cursor_statement(const std::string& text, std::string_view column) {
  return "DECLARE emsync_model CURSOR FOR " +
         filtered_select(text, quote_identifier(column, "\""), "AS emsync_model", "$1");
}

std::string fetch_statement(int rows) {
  return "FETCH FORWARD " + std::to_string(rows) + " FROM emsync_model";
}

bool is_redshift(std::string_view version_text) {
  return version_text.find("Redshift") != std::string_view::npos;
}

}  // namespace emsync::source
