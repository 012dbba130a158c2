#include "core/odbc_attributes.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace emsync {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

Error bad(std::string_view key, std::string_view problem) {
  std::string message = "the ODBC connection string ";
  if (!key.empty()) {
    message += "attribute '" + std::string(key) + "' ";
  }
  return make_error(Errc::invalid_input, message + std::string(problem));
}

}  // namespace

Result<std::vector<OdbcAttribute>> parse_odbc_attributes(std::string_view text) {
  std::vector<OdbcAttribute> attributes;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end_of_key = text.find_first_of("=;", at);
    const std::string_view key =
        trim(text.substr(at, end_of_key == std::string_view::npos ? text.npos : end_of_key - at));
    if (end_of_key == std::string_view::npos || text[end_of_key] == ';') {
      if (!key.empty()) {
        return bad(key, "has no '='");
      }
      at = end_of_key == std::string_view::npos ? text.size() : end_of_key + 1;
      continue;  // an empty attribute (";;" or a trailing ';')
    }
    if (key.empty()) {
      return bad("", "has an attribute without a key");
    }
    if (attributes.size() == k_max_odbc_attributes) {
      return bad("", "has more than " + std::to_string(k_max_odbc_attributes) + " attributes");
    }
    std::size_t pos = end_of_key + 1;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
      ++pos;
    }
    std::string value;
    if (pos < text.size() && text[pos] == '{') {
      bool closed = false;
      for (++pos; pos < text.size(); ++pos) {
        if (text[pos] == '}') {
          if (pos + 1 < text.size() && text[pos + 1] == '}') {
            value += '}';
            ++pos;
            continue;
          }
          closed = true;
          ++pos;
          break;
        }
        value += text[pos];
      }
      if (!closed) {
        return bad(key, "has a '{' that is not closed");
      }
      const std::size_t next = text.find(';', pos);
      if (!trim(text.substr(pos, next == std::string_view::npos ? text.npos : next - pos)).empty()) {
        return bad(key, "has text after its closing '}'");
      }
      pos = next == std::string_view::npos ? text.size() : next + 1;
    } else {
      const std::size_t next = text.find(';', pos);
      value = trim(text.substr(pos, next == std::string_view::npos ? text.npos : next - pos));
      pos = next == std::string_view::npos ? text.size() : next + 1;
    }
    attributes.push_back({std::string(key), std::move(value)});
    at = pos;
  }
  return attributes;
}

std::optional<std::string> odbc_attribute(const std::vector<OdbcAttribute>& attributes,
                                          std::string_view key) {
  const std::string wanted = upper(key);
  for (const auto& attribute : attributes) {
    if (upper(attribute.key) == wanted) {
      return attribute.value;
    }
  }
  return std::nullopt;
}

bool is_secret_odbc_key(std::string_view key) {
  const std::string name = upper(trim(key));
  constexpr std::array<std::string_view, 4> k_secret_endings = {"PWD", "PASSWORD", "SECRET",
                                                                "TOKEN"};
  return std::any_of(k_secret_endings.begin(), k_secret_endings.end(),
                     [&](std::string_view ending) { return name.ends_with(ending); });
}

std::string brace_odbc_value(std::string_view value) {
  std::string out = "{";
  for (const char c : value) {
    out += c;
    if (c == '}') {
      out += '}';
    }
  }
  out += '}';
  return out;
}

}  // namespace emsync
