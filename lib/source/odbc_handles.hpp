// RAII owners of the ODBC handles a stream uses: environment → connection →
// statement, each freed (and the connection disconnected) when it goes out
// of scope. Declare them in that order so they are freed in reverse.
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <utility>

namespace emsync::source {

template <SQLSMALLINT HandleType>
class OdbcHandle {
 public:
  OdbcHandle() = default;
  ~OdbcHandle() { reset(); }
  OdbcHandle(OdbcHandle&& other) noexcept
      : m_handle(std::exchange(other.m_handle, SQL_NULL_HANDLE)) {}
  OdbcHandle& operator=(OdbcHandle&& other) noexcept {
    if (this != &other) {
      reset();
      m_handle = std::exchange(other.m_handle, SQL_NULL_HANDLE);
    }
    return *this;
  }
  OdbcHandle(const OdbcHandle&) = delete;
  OdbcHandle& operator=(const OdbcHandle&) = delete;

  // Allocates a handle under `parent` (SQL_NULL_HANDLE for an environment).
  SQLRETURN allocate(SQLHANDLE parent) {
    reset();
    return SQLAllocHandle(HandleType, parent, &m_handle);
  }
  SQLHANDLE get() const { return m_handle; }
  static constexpr SQLSMALLINT type = HandleType;

  // A connection's transaction is rolled back and the connection closed
  // first, so whatever a model wrote in it (with autocommit off) is undone;
  // errors there (say it never connected) change nothing.
  void reset() {
    if (m_handle == SQL_NULL_HANDLE) {
      return;
    }
    if constexpr (HandleType == SQL_HANDLE_DBC) {
      SQLEndTran(SQL_HANDLE_DBC, m_handle, SQL_ROLLBACK);
      SQLDisconnect(m_handle);
    }
    SQLFreeHandle(HandleType, m_handle);
    m_handle = SQL_NULL_HANDLE;
  }

 private:
  SQLHANDLE m_handle = SQL_NULL_HANDLE;
};

using OdbcEnvironment = OdbcHandle<SQL_HANDLE_ENV>;
using OdbcConnection = OdbcHandle<SQL_HANDLE_DBC>;
using OdbcStatement = OdbcHandle<SQL_HANDLE_STMT>;

}  // namespace emsync::source
