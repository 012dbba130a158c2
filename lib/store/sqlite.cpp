#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace emsync::store {
namespace {

// What to do about the failures an operator can fix.
const char* remedy(int rc) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return "; the file is not a SQLite database or is corrupt: restore it from a backup or move "
             "it away";
    case SQLITE_CANTOPEN:
      return "; check that the directory exists and is writable";
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return "; check the file's permissions";
    case SQLITE_FULL:
      return "; free some disk space";
    case SQLITE_BUSY:
      return "; another process holds a lock on it";
    default:
      return "";
  }
}

std::string describe_path(const char* path) {
  if (path == nullptr || *path == '\0') {
    return "in-memory SQLite database";
  }
  return std::string("SQLite database '") + path + "'";
}

}  // namespace

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = describe_path(sqlite3_db_filename(db, "main"));
  message += ": ";
  message += what;
  message += ": ";
  message += sqlite3_errmsg(db);
  message += remedy(rc);
  return make_error(Errc::state_error, std::move(message));
}

// -- Statement --

Statement::Statement(Statement&& other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr)), m_bind_rc(other.m_bind_rc) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_stmt = std::exchange(other.m_stmt, nullptr);
    m_bind_rc = other.m_bind_rc;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

void Statement::check_bind(int rc) {
  if (rc != SQLITE_OK && m_bind_rc == SQLITE_OK) {
    m_bind_rc = rc;
  }
}

void Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(m_stmt, index, value));
}

void Statement::bind(int index, std::string_view text) {
  check_bind(
      sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Statement::bind(int index, std::span<const std::byte> blob) {
  // A null pointer would bind NULL; an empty blob must stay a blob.
  static const std::byte k_empty{};
  const void* data = blob.empty() ? &k_empty : blob.data();
  check_bind(sqlite3_bind_blob64(m_stmt, index, data, blob.size(), SQLITE_TRANSIENT));
}

void Statement::bind(int index, const std::optional<std::string>& text) {
  if (text) {
    bind(index, std::string_view(*text));
  } else {
    check_bind(sqlite3_bind_null(m_stmt, index));
  }
}

void Statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind(index, *value);
  } else {
    check_bind(sqlite3_bind_null(m_stmt, index));
  }
}

Result<bool> Statement::step() {
  sqlite3* db = sqlite3_db_handle(m_stmt);
  if (m_bind_rc != SQLITE_OK) {
    return sqlite_error(db, m_bind_rc, std::string("binding ") + sqlite3_sql(m_stmt));
  }
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return sqlite_error(db, rc, std::string("running ") + sqlite3_sql(m_stmt));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return ok();
    }
  }
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
  m_bind_rc = SQLITE_OK;
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::get_int64(int column) const { return sqlite3_column_int64(m_stmt, column); }

std::string Statement::get_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
  const int size = sqlite3_column_bytes(m_stmt, column);
  return text == nullptr ? std::string() : std::string(text, static_cast<std::size_t>(size));
}

std::string_view Statement::get_text_view(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
  const int size = sqlite3_column_bytes(m_stmt, column);
  return text == nullptr ? std::string_view() : std::string_view(text, static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::get_optional_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return get_text(column);
}

std::optional<std::int64_t> Statement::get_optional_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return get_int64(column);
}

std::span<const std::byte> Statement::get_blob(int column) const {
  const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(m_stmt, column));
  const int size = sqlite3_column_bytes(m_stmt, column);
  return {data, static_cast<std::size_t>(size)};
}

// -- Db --

Result<Db> Db::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);  // closes the handle even when opening failed
  if (rc != SQLITE_OK) {
    std::string message = "cannot open SQLite database '" + path + "': ";
    message += raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    message += remedy(rc);
    return make_error(Errc::state_error, std::move(message));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Db::Db(Db&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(m_db);
    m_db = std::exchange(other.m_db, nullptr);
  }
  return *this;
}

// close_v2 defers the close until every statement is finalised, so member
// destruction order does not matter.
Db::~Db() { sqlite3_close_v2(m_db); }

Result<void> Db::exec(const std::string& sql) {
  const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return sqlite_error(m_db, rc, "running " + sql);
  }
  return ok();
}

Result<bool> Db::checkpoint_truncate() {
  const int rc =
      sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc == SQLITE_BUSY) {
    return false;
  }
  if (rc != SQLITE_OK) {
    return sqlite_error(m_db, rc, "checkpointing the WAL");
  }
  return true;
}

Result<Statement> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return sqlite_error(m_db, rc, "preparing " + std::string(sql));
  }
  return Statement(stmt);
}

void Db::set_busy_timeout(int milliseconds) { sqlite3_busy_timeout(m_db, milliseconds); }

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

std::string Db::describe() const { return describe_path(sqlite3_db_filename(m_db, "main")); }

std::int64_t Db::changes() const { return sqlite3_changes64(m_db); }

// -- Transaction --

Result<Transaction> Transaction::begin(Db& db) {
  EMSYNC_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Transaction::~Transaction() {
  if (m_db != nullptr) {
    // Nothing useful to do if the rollback fails: SQLite rolls back anyway
    // when the connection closes.
    (void)m_db->exec("ROLLBACK");
  }
}

Result<void> Transaction::commit() {
  EMSYNC_TRY(m_db->exec("COMMIT"));
  m_db = nullptr;
  return ok();
}

}  // namespace emsync::store
