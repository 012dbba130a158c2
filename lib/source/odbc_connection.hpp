// The ODBC connection string of an ODBC source: reading its attributes,
// adding the secret at connect time, and describing it safely. Pure.
//
// Syntax (ODBC SQLDriverConnect): "KEY=value;KEY={value}" pairs separated by
// ';'. A braced value may hold ';' and '=', and '}' written as "}}". Keys
// are case-insensitive.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emsync::source {

struct OdbcAttribute {
  std::string key;    // as written, trimmed
  std::string value;  // braces removed, "}}" read as '}'
};

// The attributes in order; a pair without '=' is skipped, as drivers do.
std::vector<OdbcAttribute> parse_odbc_attributes(std::string_view connection_string);

// The value of `key` (case-insensitive; the first occurrence), if present.
std::optional<std::string> odbc_attribute(std::string_view connection_string, std::string_view key);

// `value` braced for a connection string: "{" + value with '}' doubled + "}".
std::string odbc_braced(std::string_view value);

// What SQLDriverConnect gets: `connection_string`, then ";PWD={<password>}"
// when a password is given (braced, so ';', '=' and '}' in it are safe).
// Holds the secret: wipe() it once connected, never log it.
std::string odbc_connect_string(std::string_view connection_string,
                                const std::optional<std::string>& password);

// Safe for messages and logs: only the attributes that say where the source
// is and who connects (DSN, Driver, Server/Host, Port, Database/Catalog,
// Schema, Warehouse, Role, HTTPPath, UID), "KEY=value;..." as written.
// Every other attribute is left out, so no password, token or key (PWD,
// Password, PRIV_KEY_FILE_PWD, Auth_Client_Secret, pqopt...) ever shows.
std::string odbc_description(std::string_view connection_string);

// `text` with every occurrence of `secret` replaced by "***" (nothing when
// the secret is absent or empty).
std::string redacted(std::string text, const std::optional<std::string>& secret);

}  // namespace emsync::source
