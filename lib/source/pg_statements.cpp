#include "source/pg_statements.hpp"

#include <charconv>

namespace emsync::source {

namespace {

constexpr std::size_t k_max_line_excerpt = 80;  // characters of the line quoted

bool continues_character(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

// The byte offset of the `characters`th character (0-based) of `text`, or
// text.size() when it has fewer.
std::size_t byte_offset(std::string_view text, std::size_t characters) {
  std::size_t at = 0;
  for (; at < text.size(); ++at) {
    if (!continues_character(text[at])) {
      if (characters == 0) {
        return at;
      }
      --characters;
    }
  }
  return at;
}

std::size_t characters_in(std::string_view text) {
  std::size_t count = 0;
  for (const char byte : text) {
    count += continues_character(byte) ? 0 : 1;
  }
  return count;
}

}  // namespace

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

std::string email_cursor_statement(const std::string& text, std::string_view column) {
  return "DECLARE emsync_model CURSOR FOR " +
         email_select(text, quote_identifier(column, "\""), "AS emsync_model", "$1");
}

std::string error_position_note(std::string_view statement, std::string_view text,
                                std::string_view position) {
  std::size_t character = 0;  // 1-based
  const auto [end, parsed] =
      std::from_chars(position.data(), position.data() + position.size(), character);
  if (parsed != std::errc() || end != position.data() + position.size() || character == 0) {
    return {};
  }
  const std::size_t at = byte_offset(statement, character - 1);
  const std::size_t text_at = statement.find(text);  // after emsync's fixed prefix, if any
  if (at >= statement.size()) {
    return {};
  }
  if (text_at == std::string_view::npos || at < text_at || at >= text_at + text.size()) {
    return "the position is in emsync's wrapper around the model query, which runs as "
           "SELECT * FROM (<query>) AS emsync_model (in COPY or a cursor): the query must be "
           "one complete SELECT of its own";
  }
  const std::string_view before = text.substr(0, at - text_at);
  const std::size_t line_start = before.rfind('\n') == std::string_view::npos
                                     ? 0
                                     : before.rfind('\n') + 1;
  std::size_t line_end = text.find('\n', line_start);
  line_end = line_end == std::string_view::npos ? text.size() : line_end;
  std::size_t line = 1;
  for (const char c : before) {
    line += c == '\n' ? 1 : 0;
  }
  const std::size_t column = characters_in(before.substr(line_start)) + 1;
  std::string_view excerpt = text.substr(line_start, line_end - line_start);
  std::string cut_before;
  std::string cut_after;
  if (characters_in(excerpt) > k_max_line_excerpt) {
    const std::size_t from = column > k_max_line_excerpt / 2 ? column - k_max_line_excerpt / 2 : 1;
    const std::size_t from_byte = byte_offset(excerpt, from - 1);
    std::string_view rest = excerpt.substr(from_byte);
    const std::size_t to_byte = byte_offset(rest, k_max_line_excerpt);
    cut_before = from_byte > 0 ? "..." : "";
    cut_after = to_byte < rest.size() ? "..." : "";
    excerpt = rest.substr(0, to_byte);
  }
  return "at line " + std::to_string(line) + ", column " + std::to_string(column) +
         " of the model query: \"" + cut_before + std::string(excerpt) + cut_after + "\"";
}

std::string fetch_statement(int rows) {
  return "FETCH FORWARD " + std::to_string(rows) + " FROM emsync_model";
}

bool is_redshift(std::string_view version_text) {
  return version_text.find("Redshift") != std::string_view::npos;
}

}  // namespace emsync::source
