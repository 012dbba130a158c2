#include "admin/table.hpp"

#include <algorithm>
#include <cassert>

namespace emsync::admin {
namespace {

std::size_t display_width(const std::string& text) {
  // Count every byte that does not continue a UTF-8 sequence.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void append_padded(std::string& out, const std::string& text, std::size_t width) {
  out += text;
  out.append(width - display_width(text), ' ');
}

}  // namespace

Table::Table(std::vector<std::string> headers) { m_rows.push_back(std::move(headers)); }

void Table::add_row(std::vector<std::string> cells) {
  assert(cells.size() == m_rows.front().size());
  m_rows.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<std::size_t> widths(m_rows.front().size(), 0);
  for (const auto& row : m_rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  std::string out;
  for (const auto& row : m_rows) {
    for (std::size_t i = 0; i + 1 < row.size(); ++i) {
      append_padded(out, row[i], widths[i] + 2);
    }
    if (!row.empty()) {
      out += row.back();
    }
    out += '\n';
  }
  return out;
}

std::string render_fields(const Fields& fields) {
  std::size_t width = 0;
  for (const auto& [key, value] : fields) {
    width = std::max(width, display_width(key) + 1);
  }
  std::string out;
  for (const auto& [key, value] : fields) {
    append_padded(out, key + ":", width + 1);
    out += value;
    out += '\n';
  }
  return out;
}

}  // namespace emsync::admin
