// A thin RAII wrapper over the SQLite C API: Db, Statement, Transaction.
//
// Knows nothing of emsync's tables. Failures are Errc::state_error values
// whose message names the database file and SQLite's message; a file that is
// not a database (or is corrupt) also gets the remedy.
//
// Thread-safety: none of its own; a Db and its statements must be used by one
// thread at a time (the state store serialises with its mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace emsync::store {

// Builds the Error for a failed call on `db`: "<what>: SQLite database '<path>':
// <message>", plus what to do for NOTADB/CORRUPT/CANTOPEN.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Binds parameter `index` (1-based). Values are copied. A failed bind is
  // remembered and reported by the next step().
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind(int index, const std::string& text) { bind(index, std::string_view(text)); }
  void bind(int index, const char* text) { bind(index, std::string_view(text)); }
  void bind(int index, std::span<const std::byte> blob);
  void bind(int index, const std::optional<std::string>& text);
  void bind(int index, const std::optional<std::int64_t>& value);
  // Binds `values` to parameters 1..N.
  template <class... Values>
  void bind_all(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
  }

  // Steps once: true when a row is available, false when the statement is done.
  Result<bool> step();
  // Steps until done (for statements that return no rows).
  Result<void> run();
  // Makes the statement ready to run again and clears its bindings.
  void reset();

  // Columns of the current row (0-based).
  bool is_null(int column) const;
  std::int64_t get_int64(int column) const;
  std::string get_text(int column) const;
  // The column's text without a copy: valid until the next step() or reset().
  std::string_view get_text_view(int column) const;
  std::optional<std::string> get_optional_text(int column) const;
  std::optional<std::int64_t> get_optional_int64(int column) const;
  // Valid until the next step() or reset().
  std::span<const std::byte> get_blob(int column) const;

 private:
  friend class Db;
  explicit Statement(sqlite3_stmt* stmt) : m_stmt(stmt) {}
  void check_bind(int rc);

  sqlite3_stmt* m_stmt = nullptr;
  int m_bind_rc = 0;  // first failed bind, reported by step()
};

// Borrows a long-lived statement for one use and resets it when the scope
// ends, so that it holds no read snapshot (which would stall WAL checkpoints).
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : m_statement(statement) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() { m_statement.reset(); }

  Statement* operator->() { return &m_statement; }
  Statement& operator*() { return m_statement; }

 private:
  Statement& m_statement;
};

// Steps `statement` to its end and turns each row into a T with `read(statement)`.
template <class T, class Read>
Result<std::vector<T>> read_rows(Statement& statement, Read read) {
  std::vector<T> rows;
  for (;;) {
    auto row = statement.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return rows;
    }
    rows.push_back(read(statement));
  }
}

class Db {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_*). Extended
  // result codes are enabled.
  static Result<Db> open(const std::string& path, int flags);

  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  ~Db();

  // Runs one or more SQL statements that return nothing of interest.
  Result<void> exec(const std::string& sql);
  Result<Statement> prepare(std::string_view sql);
  void set_busy_timeout(int milliseconds);
  // Copies the whole WAL into the database and truncates the WAL file to
  // zero bytes (SQLITE_CHECKPOINT_TRUNCATE), waiting up to the busy timeout
  // for other connections' readers. False when one still read from the WAL
  // (nothing lost: the next checkpoint does it); an error for an I/O fault.
  Result<bool> checkpoint_truncate();

  std::int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  // "SQLite database '<path>'" (or "in-memory SQLite database"), for messages.
  std::string describe() const;
  sqlite3* handle() const { return m_db; }

 private:
  explicit Db(sqlite3* db) : m_db(db) {}
  sqlite3* m_db = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted.
// *db must outlive the transaction.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<void> commit();

 private:
  explicit Transaction(Db* db) : m_db(db) {}
  Db* m_db = nullptr;  // null once committed or moved from
};

}  // namespace emsync::store
