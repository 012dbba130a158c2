// The ODBC drivers the tests use, by library path (DSN-less, so /etc's
// odbcinst.ini is never needed), and a private ODBCSYSINI/ODBCINI that
// registers drivers and data sources for one test.
#pragma once

#include <dlfcn.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace emsync::source::test {

inline constexpr const char* k_sqlite_odbc_driver =
    "/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so";
inline constexpr const char* k_psql_odbc_driver = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so";

// Points ODBCSYSINI and ODBCINI at a temporary directory holding the given
// odbcinst.ini and odbc.ini; restores both variables when destroyed.
// unixODBC caches what it read of them for the process, so a test binary
// uses one: use_shared_odbc_ini().
class PrivateOdbcIni {
 public:
  PrivateOdbcIni(const std::string& odbcinst, const std::string& odbc) {
    std::string dir = (std::filesystem::temp_directory_path() / "emsync-odbc-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    m_dir = dir;
    std::ofstream(m_dir / "odbcinst.ini") << odbcinst;
    std::ofstream(m_dir / "odbc.ini") << odbc;
    save("ODBCSYSINI", m_sysini);
    save("ODBCINI", m_ini);
    setenv("ODBCSYSINI", m_dir.c_str(), 1);
    setenv("ODBCINI", (m_dir / "odbc.ini").c_str(), 1);
  }
  ~PrivateOdbcIni() {
    restore("ODBCSYSINI", m_sysini);
    restore("ODBCINI", m_ini);
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }
  PrivateOdbcIni(const PrivateOdbcIni&) = delete;
  PrivateOdbcIni& operator=(const PrivateOdbcIni&) = delete;

 private:
  static void save(const char* name, std::optional<std::string>& slot) {
    if (const char* value = getenv(name)) {
      slot = value;
    }
  }
  static void restore(const char* name, const std::optional<std::string>& slot) {
    if (slot) {
      setenv(name, slot->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }

  std::filesystem::path m_dir;
  std::optional<std::string> m_sysini;
  std::optional<std::string> m_ini;
};

// The one private configuration of the unit tests: the SQLite3 driver
// (registered with its path), "By Name" (the same library by its bare name),
// "Gone Driver" and "Gone By Name" (libraries that do not exist); data sources "models" (SQLite3)
// and "orphan" (a driver not installed). Set on first use, for the rest of the process.
inline void use_shared_odbc_ini() {
  // Mapped for the whole process: the SQLite driver loads unixODBC's
  // libodbcinst to read a DSN, whose cache then stays reachable; unloaded
  // with the driver, LeakSanitizer (tools/sanitize.sh) reported it as leaked.
  static void* const pinned_odbcinst = dlopen("libodbcinst.so.2", RTLD_NOW | RTLD_LOCAL);
  (void)pinned_odbcinst;
  static const PrivateOdbcIni ini(
      std::string("[SQLite3]\nDescription=SQLite3\nDriver=") + k_sqlite_odbc_driver +
          "\n\n[Gone Driver]\nDriver=/nonexistent/libgone.so\n"
          "\n[By Name]\nDriver=libsqlite3odbc.so\n\n[Gone By Name]\nDriver=libgone.so\n",
      "[models]\nDriver=SQLite3\nDatabase=/tmp/x.db\n\n[orphan]\nDriver=Snowflake\n");
}

}  // namespace emsync::source::test
