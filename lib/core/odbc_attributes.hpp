// ODBC connection strings ("Driver={PostgreSQL Unicode};Server=db;UID=me"),
// read and written. Shared by the config check (no secret in the config
// text) and the ODBC source (the secret added at connect time, the driver
// named, a description safe for messages). Pure.
//
// The grammar (ODBC's SQLDriverConnect): attributes separated by ';', each
// KEY=VALUE; keys are case-insensitive and trimmed; a value in braces may
// hold ';' and '=', and "}}" inside braces stands for '}'.
//
//   auto attributes = parse_odbc_attributes("DSN=dw;UID=me;Extra={a;b}");
//   // -> {{"DSN","dw"}, {"UID","me"}, {"Extra","a;b"}}
//   brace_odbc_value("p}w;d")  // -> "{p}}w;d}"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace emsync {

struct OdbcAttribute {
  std::string key;    // as written, trimmed
  std::string value;  // without its braces, "}}" undone
};

// The most attributes a connection string may have (a bound for hostile text).
inline constexpr std::size_t k_max_odbc_attributes = 256;

// Errc::invalid_input for a brace that is not closed, an attribute without
// '=' or with an empty key, or more than k_max_odbc_attributes; the message
// names the attribute by its key only (never a value: it may be a secret).
Result<std::vector<OdbcAttribute>> parse_odbc_attributes(std::string_view text);

// The value of `key` (case-insensitive), if present: the first one.
std::optional<std::string> odbc_attribute(const std::vector<OdbcAttribute>& attributes,
                                          std::string_view key);

// Whether an attribute's key names a secret: PWD or PASSWORD, or a key that
// ends with PWD, PASSWORD, SECRET or TOKEN (PRIV_KEY_FILE_PWD,
// Auth_Client_Secret, ...), case-insensitive.
bool is_secret_odbc_key(std::string_view key);

// `value` in braces, each '}' doubled: safe whatever it holds.
std::string brace_odbc_value(std::string_view value);

}  // namespace emsync
