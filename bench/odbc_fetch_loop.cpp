// The floor of `bench/sync_bench.sh --source odbc` (issue #16): a bare ODBC
// fetch loop over a query, through the same driver manager and driver as
// emsync's ODBC source, doing no more than any client must. emsync's
// no-change rerun is compared with it ("at most 1.3 x a bare ODBC fetch loop
// over the same query with the same driver").
//
//   emsync-odbc-fetch-loop [--array-size N] [--cap BYTES] [--wide] CONNECTION_STRING QUERY
//
// Connects with SQLDriverConnect (CONNECTION_STRING "-" reads it from
// $EMSYNC_ODBC_CONNECTION_STRING, so a password in it stays out of `ps`),
// runs QUERY with SQLExecDirect, binds every column column-wise as SQL_C_CHAR
// (a buffer per column sized from SQLDescribeCol: 4 bytes per character plus
// the NUL, at least 32, at most --cap, default 4096; with --wide, character
// columns as SQL_C_WCHAR, 2 bytes per character plus the NUL, as emsync's
// ODBC source reads them) and fetches
// SQL_ATTR_ROW_ARRAY_SIZE rows at a time (--array-size, default 1000). A
// value longer than its buffer is read again whole with SQLSetPos +
// SQLGetData in pieces; that needs SQL_GD_BOUND, and SQL_GD_BLOCK unless
// --array-size is 1 (psqlODBC offers both; SQLite ODBC no SQL_GD_BLOCK: such
// a value stops the loop with a message naming the remedy).
// Counts rows and the bytes of the non-NULL values (as fetched: UTF-16 ones
// with --wide), and prints one JSON line:
//   {"rows":N,"bytes":N,"long_values":N,"columns":N,"array_size":N,
//    "wide":B,"connect_s":S,"seconds":S,"max_rss_kib":N}
// seconds: from before the connect to the last fetch; max_rss_kib: this
// process's peak RSS (the driver's buffers included). Exit code 1 and the
// diagnostic records on stderr when a call fails.
#include <sql.h>
#include <sqlext.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage() {
  std::fputs("usage: emsync-odbc-fetch-loop [--array-size N] [--cap BYTES] [--wide] CONNECTION_STRING QUERY\n"
             "       (CONNECTION_STRING \"-\": $EMSYNC_ODBC_CONNECTION_STRING)\n",
             stderr);
  std::exit(2);
}

[[noreturn]] void fail(SQLSMALLINT handle_type, SQLHANDLE handle, const char* what) {
  std::fprintf(stderr, "odbc_fetch_loop: %s failed\n", what);
  SQLCHAR state[6];
  SQLCHAR message[1024];
  SQLINTEGER native = 0;
  SQLSMALLINT length = 0;
  for (SQLSMALLINT i = 1; handle != SQL_NULL_HANDLE; ++i) {
    const SQLRETURN rc = SQLGetDiagRec(handle_type, handle, i, state, &native, message,
                                       sizeof message, &length);
    if (!SQL_SUCCEEDED(rc)) {
      break;
    }
    std::fprintf(stderr, "  [%s] %s\n", reinterpret_cast<const char*>(state),
                 reinterpret_cast<const char*>(message));
  }
  std::exit(1);
}

void check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, const char* what) {
  if (!SQL_SUCCEEDED(rc)) {
    fail(handle_type, handle, what);
  }
}

long parse_positive(const char* text) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0) {
    usage();
  }
  return value;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool is_character(SQLSMALLINT sql_type) {
  switch (sql_type) {
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_LONGVARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
    case SQL_WLONGVARCHAR:
      return true;
    default:
      return false;
  }
}

// One bound column: `rows` values of `width` bytes each, and their indicators.
struct Column {
  SQLSMALLINT c_type = SQL_C_CHAR;
  SQLLEN width = 0;
  std::vector<char> data;
  std::vector<SQLLEN> indicators;
};

// The bytes of the value of row `row` (1-based in the rowset), column
// `column` (1-based), read whole as `c_type` with SQLGetData in pieces.
long long read_long_value(SQLHSTMT stmt, SQLUSMALLINT row, SQLUSMALLINT column,
                          SQLSMALLINT c_type) {
  const long long terminator = c_type == SQL_C_WCHAR ? static_cast<long long>(sizeof(SQLWCHAR)) : 1;
  check(SQLSetPos(stmt, row, SQL_POSITION, SQL_LOCK_NO_CHANGE), SQL_HANDLE_STMT, stmt,
        "SQLSetPos (SQL_POSITION)");
  char piece[65536];
  long long bytes = 0;
  for (;;) {
    SQLLEN indicator = 0;
    const SQLRETURN rc = SQLGetData(stmt, column, c_type, piece, sizeof piece, &indicator);
    if (rc == SQL_NO_DATA) {
      return bytes;
    }
    check(rc, SQL_HANDLE_STMT, stmt, "SQLGetData");
    if (indicator == SQL_NULL_DATA) {
      return bytes;
    }
    if (rc == SQL_SUCCESS_WITH_INFO && (indicator == SQL_NO_TOTAL ||
                                        indicator >= static_cast<SQLLEN>(sizeof piece))) {
      bytes += static_cast<long long>(sizeof piece) - terminator;  // a full piece, NUL-terminated
      continue;
    }
    return bytes + indicator;
  }
}

}  // namespace

int main(int argc, char** argv) {
  long array_size = 1000;
  long cap = 4096;
  bool wide = false;
  std::vector<const char*> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--array-size" && i + 1 < argc) {
      array_size = parse_positive(argv[++i]);
    } else if (arg == "--cap" && i + 1 < argc) {
      cap = std::max(64L, parse_positive(argv[++i]));
    } else if (arg == "--wide") {
      wide = true;
    } else if (arg == "-h" || arg == "--help" || (arg.size() > 1 && arg.starts_with("--"))) {
      usage();
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() != 2) {
    usage();
  }
  std::string connection_string = positional[0];
  if (connection_string == "-") {
    const char* from_env = std::getenv("EMSYNC_ODBC_CONNECTION_STRING");
    if (from_env == nullptr) {
      std::fputs("odbc_fetch_loop: $EMSYNC_ODBC_CONNECTION_STRING is not set\n", stderr);
      return 2;
    }
    connection_string = from_env;
  }
  std::string query = positional[1];

  const auto start = Clock::now();
  SQLHENV env = SQL_NULL_HENV;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env))) {
    std::fputs("odbc_fetch_loop: no ODBC environment\n", stderr);
    return 1;
  }
  check(SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0),
        SQL_HANDLE_ENV, env, "SQLSetEnvAttr (ODBC 3)");
  SQLHDBC dbc = SQL_NULL_HDBC;
  check(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc), SQL_HANDLE_ENV, env, "SQLAllocHandle (DBC)");
  check(SQLDriverConnect(dbc, nullptr, reinterpret_cast<SQLCHAR*>(connection_string.data()),
                         SQL_NTS, nullptr, 0, nullptr, SQL_DRIVER_NOPROMPT),
        SQL_HANDLE_DBC, dbc, "SQLDriverConnect");
  std::fill(connection_string.begin(), connection_string.end(), '\0');
  const double connect_s = seconds_since(start);
  SQLUINTEGER getdata_extensions = 0;
  check(SQLGetInfo(dbc, SQL_GETDATA_EXTENSIONS, &getdata_extensions, 0, nullptr), SQL_HANDLE_DBC,
        dbc, "SQLGetInfo (SQL_GETDATA_EXTENSIONS)");
  const bool can_get_long_values =
      (getdata_extensions & SQL_GD_BOUND) != 0 &&
      (array_size == 1 || (getdata_extensions & SQL_GD_BLOCK) != 0);

  SQLHSTMT stmt = SQL_NULL_HSTMT;
  check(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &stmt), SQL_HANDLE_DBC, dbc, "SQLAllocHandle (STMT)");
  check(SQLExecDirect(stmt, reinterpret_cast<SQLCHAR*>(query.data()), SQL_NTS), SQL_HANDLE_STMT,
        stmt, "SQLExecDirect");
  SQLSMALLINT column_count = 0;
  check(SQLNumResultCols(stmt, &column_count), SQL_HANDLE_STMT, stmt, "SQLNumResultCols");
  if (column_count <= 0) {
    std::fputs("odbc_fetch_loop: the query returns no result set\n", stderr);
    return 1;
  }

  const auto rows_per_fetch = static_cast<size_t>(array_size);
  std::vector<Column> columns(static_cast<size_t>(column_count));
  check(SQLSetStmtAttr(stmt, SQL_ATTR_ROW_BIND_TYPE, reinterpret_cast<SQLPOINTER>(SQL_BIND_BY_COLUMN), 0),
        SQL_HANDLE_STMT, stmt, "SQLSetStmtAttr (SQL_ATTR_ROW_BIND_TYPE)");
  check(SQLSetStmtAttr(stmt, SQL_ATTR_ROW_ARRAY_SIZE, reinterpret_cast<SQLPOINTER>(rows_per_fetch), 0),
        SQL_HANDLE_STMT, stmt, "SQLSetStmtAttr (SQL_ATTR_ROW_ARRAY_SIZE)");
  SQLULEN fetched = 0;
  check(SQLSetStmtAttr(stmt, SQL_ATTR_ROWS_FETCHED_PTR, &fetched, 0), SQL_HANDLE_STMT, stmt,
        "SQLSetStmtAttr (SQL_ATTR_ROWS_FETCHED_PTR)");
  for (SQLUSMALLINT c = 1; c <= static_cast<SQLUSMALLINT>(column_count); ++c) {
    SQLCHAR name[256];
    SQLSMALLINT name_length = 0;
    SQLSMALLINT data_type = 0;
    SQLULEN column_size = 0;
    SQLSMALLINT decimals = 0;
    SQLSMALLINT nullable = 0;
    check(SQLDescribeCol(stmt, c, name, sizeof name, &name_length, &data_type, &column_size,
                         &decimals, &nullable),
          SQL_HANDLE_STMT, stmt, "SQLDescribeCol");
    // Characters may take 4 bytes in UTF-8 (2 in UTF-16, --wide); an unknown
    // size (0) or a huge one (text, LONGVARCHAR) gets the cap.
    Column& column = columns[c - 1];
    column.c_type = wide && is_character(data_type) ? SQL_C_WCHAR : SQL_C_CHAR;
    const SQLULEN wanted = column_size == 0 || column_size > static_cast<SQLULEN>(cap)
                               ? static_cast<SQLULEN>(cap)
                           : column.c_type == SQL_C_WCHAR ? (column_size + 1) * sizeof(SQLWCHAR)
                                                          : column_size * 4 + 1;
    column.width = static_cast<SQLLEN>(std::clamp<SQLULEN>(wanted, 32, static_cast<SQLULEN>(cap)));
    column.data.resize(rows_per_fetch * static_cast<size_t>(column.width));
    column.indicators.resize(rows_per_fetch);
    check(SQLBindCol(stmt, c, column.c_type, column.data.data(), column.width, column.indicators.data()),
          SQL_HANDLE_STMT, stmt, "SQLBindCol");
  }

  long long rows = 0;
  long long bytes = 0;
  long long long_values = 0;
  for (;;) {
    const SQLRETURN rc = SQLFetch(stmt);
    if (rc == SQL_NO_DATA) {
      break;
    }
    check(rc, SQL_HANDLE_STMT, stmt, "SQLFetch");
    for (SQLULEN r = 0; r < fetched; ++r) {
      for (SQLUSMALLINT c = 0; c < static_cast<SQLUSMALLINT>(column_count); ++c) {
        const SQLLEN indicator = columns[c].indicators[r];
        if (indicator == SQL_NULL_DATA) {
          continue;
        }
        if (indicator == SQL_NO_TOTAL || indicator >= columns[c].width) {
          if (!can_get_long_values) {
            std::fprintf(stderr,
                         "odbc_fetch_loop: a value of column %d is longer than its %ld-byte buffer "
                         "and the driver cannot SQLGetData it within a block of rows "
                         "(no SQL_GD_BLOCK/SQL_GD_BOUND): rerun with a larger --cap or "
                         "--array-size 1\n",
                         c + 1, static_cast<long>(columns[c].width));
            return 1;
          }
          bytes += read_long_value(stmt, static_cast<SQLUSMALLINT>(r + 1),
                                   static_cast<SQLUSMALLINT>(c + 1), columns[c].c_type);
          ++long_values;
          continue;
        }
        bytes += indicator;
      }
    }
    rows += static_cast<long long>(fetched);
  }
  const double seconds = seconds_since(start);

  SQLFreeHandle(SQL_HANDLE_STMT, stmt);
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  SQLFreeHandle(SQL_HANDLE_ENV, env);

  rusage usage_now{};
  getrusage(RUSAGE_SELF, &usage_now);
  std::printf(
      "{\"rows\":%lld,\"bytes\":%lld,\"long_values\":%lld,\"columns\":%d,\"array_size\":%ld,"
      "\"wide\":%s,\"connect_s\":%.3f,\"seconds\":%.3f,\"max_rss_kib\":%ld}\n",
      rows, bytes, long_values, static_cast<int>(column_count), array_size, wide ? "true" : "false",
      connect_s, seconds, usage_now.ru_maxrss);
  return 0;
}
