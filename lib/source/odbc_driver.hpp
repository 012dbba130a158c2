// Whether an ODBC source's driver is installed, for `emsyncd --check-config`.
#pragma once

#include <optional>
#include <string>

namespace emsync::source {

// A problem with the driver an ODBC connection string names, or nullopt when
// it is installed: "Driver={Name}" must be a driver the driver manager knows
// (odbcinst.ini, $ODBCSYSINI) or an existing library path; "DSN=name" a data
// source it knows (odbc.ini, $ODBCINI, ~/.odbc.ini) whose driver is
// installed. The message names what is missing and where to get it (the
// Debian package or the vendor's driver). Never contains the string's
// secrets (the string is read for its Driver and DSN keys only).
std::optional<std::string> odbc_driver_problem(const std::string& connection_string);

}  // namespace emsync::source
