// Plain-text output for emsyncctl: aligned tables and "key: value" blocks.
// Pure string building; widths count UTF-8 code points, not bytes.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace emsync::admin {

// Columns separated by two spaces, each padded to its widest cell; the last
// column is not padded, so lines carry no trailing spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // REQUIRES: cells.size() == number of headers.
  void add_row(std::vector<std::string> cells);
  // Every row including the header, each ending in '\n'.
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> m_rows;  // m_rows[0] is the header
};

using Fields = std::vector<std::pair<std::string, std::string>>;

// "key:   value" lines, values aligned one space after the longest "key:".
std::string render_fields(const Fields& fields);

}  // namespace emsync::admin
