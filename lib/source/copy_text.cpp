#include "source/copy_text.hpp"

namespace emsync::source {
namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

char control_escape(char c) {
  switch (c) {
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'v':
      return '\v';
    default:
      return c;  // also "\\" -> "\"
  }
}

// Decodes the escape at field[i] (just after a backslash) into `out`; returns
// the index after it.
std::size_t decode_escape(std::string_view field, std::size_t i, std::string& out) {
  if (is_octal(field[i])) {
    int code = 0;
    std::size_t end = i;
    while (end < field.size() && end < i + 3 && is_octal(field[end])) {
      code = code * 8 + (field[end++] - '0');
    }
    out.push_back(static_cast<char>(code));
    return end;
  }
  if (field[i] == 'x' && i + 1 < field.size() && hex_digit(field[i + 1]) >= 0) {
    int code = hex_digit(field[i + 1]);
    std::size_t end = i + 2;
    if (end < field.size() && hex_digit(field[end]) >= 0) {
      code = code * 16 + hex_digit(field[end++]);
    }
    out.push_back(static_cast<char>(code));
    return end;
  }
  out.push_back(control_escape(field[i]));
  return i + 1;
}

void decode_field(std::string_view field, Value& slot) {
  if (field == "\\N") {
    slot.reset();
    return;
  }
  if (!slot) {
    slot.emplace();
  }
  std::string& out = *slot;
  out.clear();
  for (std::size_t i = 0; i < field.size();) {
    const std::size_t backslash = field.find('\\', i);
    out.append(field.substr(i, backslash - i));
    if (backslash == std::string_view::npos || backslash + 1 == field.size()) {
      break;  // a trailing lone backslash cannot occur in COPY output
    }
    i = decode_escape(field, backslash + 1, out);
  }
}

}  // namespace

bool decode_copy_line(std::string_view line, std::span<Value> values) {
  std::size_t start = 0;
  for (std::size_t column = 0; column < values.size(); ++column) {
    // Tabs inside values are escaped, so every raw tab separates fields.
    const std::size_t tab = line.find('\t', start);
    const bool last = column + 1 == values.size();
    if (last != (tab == std::string_view::npos)) {
      return false;
    }
    decode_field(line.substr(start, last ? std::string_view::npos : tab - start), values[column]);
    start = tab + 1;
  }
  return !values.empty() || line.empty();
}

}  // namespace emsync::source
