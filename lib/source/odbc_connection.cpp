#include "source/odbc_connection.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace emsync::source {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The attributes a description keeps (see odbc_description()).
constexpr std::array<std::string_view, 17> k_described_keys = {
    "DSN",    "Driver",    "Server", "Servername", "Host", "Port", "Database", "DB",     "Catalog",
    "Schema", "Warehouse", "Role",   "HTTPPath",   "UID",  "User", "Username", "Account"};

}  // namespace

std::vector<OdbcAttribute> parse_odbc_attributes(std::string_view text) {
  std::vector<OdbcAttribute> attributes;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t equals = text.find('=', at);
    const std::size_t semicolon = text.find(';', at);
    if (equals == std::string_view::npos || semicolon < equals) {
      if (semicolon == std::string_view::npos) {
        break;
      }
      at = semicolon + 1;  // a pair without '='
      continue;
    }
    OdbcAttribute attribute{std::string(trim(text.substr(at, equals - at))), {}};
    std::size_t value_at = equals + 1;
    while (value_at < text.size() && text[value_at] == ' ') {
      ++value_at;
    }
    if (value_at < text.size() && text[value_at] == '{') {
      std::size_t i = value_at + 1;
      for (; i < text.size(); ++i) {
        if (text[i] == '}') {
          if (i + 1 < text.size() && text[i + 1] == '}') {
            attribute.value += '}';
            ++i;
            continue;
          }
          break;
        }
        attribute.value += text[i];
      }
      const std::size_t end = text.find(';', std::min(i, text.size()));
      at = end == std::string_view::npos ? text.size() : end + 1;
    } else {
      const std::size_t end = semicolon == std::string_view::npos ? text.size() : semicolon;
      attribute.value = std::string(trim(text.substr(value_at, end - value_at)));
      at = end + 1;
    }
    if (!attribute.key.empty()) {
      attributes.push_back(std::move(attribute));
    }
  }
  return attributes;
}

std::optional<std::string> odbc_attribute(std::string_view connection_string,
                                          std::string_view key) {
  for (auto& attribute : parse_odbc_attributes(connection_string)) {
    if (iequals(attribute.key, key)) {
      return std::move(attribute.value);
    }
  }
  return std::nullopt;
}

std::string odbc_braced(std::string_view value) {
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}') {
      out += '}';
    }
  }
  return out + "}";
}

std::string odbc_connect_string(std::string_view connection_string,
                                const std::optional<std::string>& password) {
  std::string out(trim(connection_string));
  if (password) {
    if (!out.empty() && out.back() != ';') {
      out += ';';
    }
    out += "PWD=" + odbc_braced(*password);
  }
  return out;
}

std::string odbc_description(std::string_view connection_string) {
  std::string out;
  for (const auto& attribute : parse_odbc_attributes(connection_string)) {
    const bool kept =
        std::any_of(k_described_keys.begin(), k_described_keys.end(),
                    [&](std::string_view key) { return iequals(key, attribute.key); });
    if (kept) {
      out += (out.empty() ? "" : ";") + attribute.key + "=" + attribute.value;
    }
  }
  return out;
}

std::string redacted(std::string text, const std::optional<std::string>& secret) {
  if (!secret || secret->empty()) {
    return text;
  }
  constexpr std::string_view k_redacted = "***";
  for (std::size_t at = text.find(*secret); at != std::string::npos;
       at = text.find(*secret, at + k_redacted.size())) {
    text.replace(at, secret->size(), k_redacted);
  }
  return text;
}

}  // namespace emsync::source
