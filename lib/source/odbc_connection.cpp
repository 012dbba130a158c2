#include "source/odbc_connection.hpp"

#include "core/odbc_attributes.hpp"

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

std::string odbc_connect_string(std::string_view connection_string,
                                const std::optional<std::string>& password,
                                std::string_view password_attribute) {
  std::string out(trim(connection_string));
  if (password) {
    if (!out.empty() && out.back() != ';') {
      out += ';';
    }
    out += std::string(password_attribute) + "=" + brace_odbc_value(*password);
  }
  return out;
}

std::string odbc_driver_name(std::string_view connection_string) {
  const auto attributes = parse_odbc_attributes(connection_string);
  if (!attributes) {
    return "";
  }
  return odbc_attribute(*attributes, "Driver").value_or(odbc_attribute(*attributes, "DSN").value_or(""));
}

std::string odbc_description(std::string_view connection_string) {
  const auto attributes = parse_odbc_attributes(connection_string);
  if (!attributes) {
    return "a connection string that does not parse";
  }
  std::string out;
  for (const auto& attribute : *attributes) {
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
