// Whether the driver of an ODBC connection string is installed, asked of the
// driver manager (SQLDrivers, SQLDataSources), which reads odbcinst.ini and
// odbc.ini as a connection would.
#include "source/odbc_driver.hpp"

#include <dlfcn.h>
#include <sql.h>
#include <sqlext.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "source/odbc_connection.hpp"
#include "source/odbc_diagnostics.hpp"
#include "source/odbc_handles.hpp"

namespace emsync::source {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct InstalledDriver {
  std::string name;
  std::string library;  // its Driver= attribute in odbcinst.ini
};

std::vector<InstalledDriver> installed_drivers(SQLHENV environment) {
  std::vector<InstalledDriver> drivers;
  SQLUSMALLINT direction = SQL_FETCH_FIRST;
  SQLCHAR name[256];
  SQLCHAR attributes[2048];
  SQLSMALLINT name_length = 0;
  SQLSMALLINT attributes_length = 0;
  while (SQL_SUCCEEDED(SQLDrivers(environment, direction, name, sizeof name, &name_length,
                                  attributes, sizeof attributes, &attributes_length))) {
    direction = SQL_FETCH_NEXT;
    InstalledDriver driver{reinterpret_cast<const char*>(name), {}};
    // "Key=value\0Key=value\0\0"
    for (const char* pair = reinterpret_cast<const char*>(attributes); *pair != '\0';
         pair += std::char_traits<char>::length(pair) + 1) {
      const std::string_view entry(pair);
      if (entry.size() > 7 && iequals(entry.substr(0, 7), "Driver=")) {
        driver.library = entry.substr(7);
      }
    }
    drivers.push_back(std::move(driver));
  }
  return drivers;
}

// The driver of data source `dsn`, if the driver manager knows the source.
std::optional<std::string> data_source_driver(SQLHENV environment, const std::string& dsn) {
  SQLUSMALLINT direction = SQL_FETCH_FIRST;
  SQLCHAR name[256];
  SQLCHAR driver[256];
  SQLSMALLINT name_length = 0;
  SQLSMALLINT driver_length = 0;
  while (SQL_SUCCEEDED(SQLDataSources(environment, direction, name, sizeof name, &name_length,
                                      driver, sizeof driver, &driver_length))) {
    direction = SQL_FETCH_NEXT;
    if (iequals(reinterpret_cast<const char*>(name), dsn)) {
      return std::string(reinterpret_cast<const char*>(driver));
    }
  }
  return std::nullopt;
}

// Whether the driver manager will find `library`, a Driver= value of
// odbcinst.ini: a path must exist; a bare name is looked up as unixODBC does,
// by dlopen()'s search, then in the odbc/ directory beside libodbc
// (Debian: /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so).
bool library_found(const std::string& library) {
  if (library.find('/') != std::string::npos) {
    return std::filesystem::exists(library);
  }
  if (void* handle = dlopen(library.c_str(), RTLD_LAZY | RTLD_LOCAL)) {
    dlclose(handle);
    return true;
  }
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&SQLAllocHandle), &info) == 0 || info.dli_fname == nullptr) {
    return true;  // cannot tell: the connection will say
  }
  const auto odbc_dir = std::filesystem::path(info.dli_fname).parent_path() / "odbc";
  return std::filesystem::exists(odbc_dir / library);
}

std::string names(const std::vector<InstalledDriver>& drivers) {
  std::string out;
  for (const auto& driver : drivers) {
    out += (out.empty() ? "" : ", ") + driver.name;
  }
  return out.empty() ? "none" : out;
}

// A problem with the driver `driver` (a name or a library path).
std::optional<std::string> driver_problem(const std::vector<InstalledDriver>& drivers,
                                          const std::string& driver) {
  if (driver.find('/') != std::string::npos) {
    if (std::filesystem::exists(driver)) {
      return std::nullopt;
    }
    return "the ODBC driver library '" + driver + "' does not exist: " + odbc_driver_remedy(driver);
  }
  const auto found = std::find_if(drivers.begin(), drivers.end(), [&](const auto& installed) {
    return iequals(installed.name, driver);
  });
  if (found == drivers.end()) {
    return "the ODBC driver '" + driver +
           "' is not installed (the driver manager knows: " + names(drivers) +
           "): " + odbc_driver_remedy(driver);
  }
  if (!found->library.empty() && !library_found(found->library)) {
    return "the ODBC driver '" + driver + "' is registered with the library '" + found->library +
           "', which does not exist: " + odbc_driver_remedy(driver);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> odbc_driver_problem(const std::string& connection_string) {
  const auto driver = odbc_attribute(connection_string, "Driver");
  const auto dsn = odbc_attribute(connection_string, "DSN");
  if (!driver && !dsn) {
    return "the ODBC connection string names no Driver or DSN";
  }
  OdbcEnvironment environment;
  if (!SQL_SUCCEEDED(environment.allocate(SQL_NULL_HANDLE)) ||
      !SQL_SUCCEEDED(SQLSetEnvAttr(environment.get(), SQL_ATTR_ODBC_VERSION,
                                   reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0))) {
    return "the ODBC driver manager (unixODBC) cannot start";
  }
  const auto drivers = installed_drivers(environment.get());
  if (driver) {
    return driver_problem(drivers, *driver);
  }
  const auto source_driver = data_source_driver(environment.get(), *dsn);
  if (!source_driver) {
    return "the ODBC data source '" + *dsn +
           "' is not defined (odbc.ini: $ODBCINI, $ODBCSYSINI/odbc.ini or ~/.odbc.ini)";
  }
  if (auto problem = driver_problem(drivers, *source_driver)) {
    return "the ODBC data source '" + *dsn + "': " + *problem;
  }
  return std::nullopt;
}

}  // namespace emsync::source
