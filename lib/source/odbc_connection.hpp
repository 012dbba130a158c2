// The ODBC connection string of an ODBC source: adding the secret at
// connect time, and describing it safely. Pure. Its syntax and parser are
// in core/odbc_attributes.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emsync::source {

// Attributes are read with core/odbc_attributes.hpp.

// What SQLDriverConnect gets: `connection_string`, then
// ";<password_attribute>={<password>}" when a password is given (braced, so
// ';', '=' and '}' in it are safe). Holds the secret: wipe() it once
// connected, never log it.
std::string odbc_connect_string(std::string_view connection_string,
                                const std::optional<std::string>& password,
                                std::string_view password_attribute = "PWD");

// The driver a connection string names: its Driver, else its DSN, else "".
std::string odbc_driver_name(std::string_view connection_string);

// Safe for messages and logs: only the attributes that say where the source
// is and who connects (DSN, Driver, Server/Host, Port, Database/Catalog,
// Schema, Warehouse, Role, HTTPPath, UID), "KEY=value;..." as written.
// Every other attribute is left out, so no password, token or key (PWD,
// Password, PRIV_KEY_FILE_PWD, Auth_Client_Secret, pqopt...) ever shows; a
// string that does not parse is described as such.
std::string odbc_description(std::string_view connection_string);

// `text` with every occurrence of `secret` replaced by "***" (nothing when
// the secret is absent or empty).
std::string redacted(std::string text, const std::optional<std::string>& secret);

}  // namespace emsync::source
