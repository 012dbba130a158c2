// The SQLite row source: a read-only connection per stream, column types from
// the declared types, values in canonical text form.
//
// An incremental read (QueryOptions::filter) prepares the model alone first,
// as any read (one read-only statement), and takes its columns from it, then
// reads the rows of the model's statement wrapped in the filtered query
// (row_filter.hpp), the bound parameter ?1: an integer bound as an integer, a
// date or timestamp bound as its shortest canonical text, which SQLite
// compares with the stored text (row_source.hpp, RowFilter). The read of one
// contact (QueryOptions::email_filter) wraps it alike, the email bound as
// text.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <string_view>

#include "source/row_filter.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

// How often (in SQLite VM instructions) the progress handler checks the clock
// and the cancel flag.
constexpr int k_progress_interval = 1000;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// The statement timeout and the cancel flag (QueryOptions): SQLite calls
// check() every k_progress_interval steps; a non-zero return interrupts the
// statement, and step_error() says why.
struct Interruption {
  std::optional<std::chrono::steady_clock::time_point> deadline;  // none: no timeout
  const std::atomic<bool>* cancel_requested = nullptr;
  bool expired = false;
  bool cancelled = false;

  explicit Interruption(const QueryOptions& options) : cancel_requested(options.cancel_requested) {
    if (options.statement_timeout.count() > 0) {
      deadline = std::chrono::steady_clock::now() + options.statement_timeout;
    }
  }

  bool needed() const { return deadline.has_value() || cancel_requested != nullptr; }

  static int check(void* self) {
    auto* interruption = static_cast<Interruption*>(self);
    interruption->cancelled =
        interruption->cancel_requested != nullptr && interruption->cancel_requested->load();
    interruption->expired =
        interruption->deadline && std::chrono::steady_clock::now() >= *interruption->deadline;
    return interruption->cancelled || interruption->expired ? 1 : 0;
  }
};

std::string upper(const char* text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The type of a declared column (see row_source.hpp), or nullopt when the
// column has no declared type (an expression).
std::optional<ColumnType> declared_type(const char* declared) {
  if (declared == nullptr) {
    return std::nullopt;
  }
  const std::string type = upper(declared);
  // Order matters: DATETIME contains DATE, BOOLEAN has no INT but BIGINT has.
  if (contains(type, "BOOL")) {
    return ColumnType::boolean;
  }
  if (contains(type, "DATETIME") || contains(type, "TIMESTAMP")) {
    return ColumnType::timestamp;
  }
  if (contains(type, "DATE")) {
    return ColumnType::date;
  }
  if (contains(type, "INT")) {
    return ColumnType::integer;
  }
  for (std::string_view numeric : {"REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"}) {
    if (contains(type, numeric)) {
      return ColumnType::numeric;
    }
  }
  return ColumnType::text;
}

// The n of a declared VARCHAR(n), CHARACTER(n), NCHAR(n), ... (SQLite keeps
// the declaration and ignores the length); nullopt for TEXT, CLOB and
// other types.
std::optional<std::int64_t> declared_chars(const char* declared) {
  if (declared == nullptr || declared_type(declared) != ColumnType::text) {
    return std::nullopt;
  }
  const std::string type = upper(declared);
  const auto open = type.find('(');
  if (!contains(type, "CHAR") || open == std::string::npos) {
    return std::nullopt;
  }
  std::int64_t chars = 0;
  const char* first = type.c_str() + open + 1;
  while (*first == ' ') {
    ++first;
  }
  const char* last = type.c_str() + type.size();
  const auto [end, error] = std::from_chars(first, last, chars);
  if (error != std::errc() || end == first || chars <= 0) {
    return std::nullopt;
  }
  return chars;
}

std::optional<ColumnType> storage_type(int storage_class) {
  switch (storage_class) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_INTEGER:
      return ColumnType::integer;
    case SQLITE_FLOAT:
      return ColumnType::numeric;
    default:
      return ColumnType::text;
  }
}

// Shortest text that reads back as the same double ("0.1", "1e+20").
std::string format_real(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// "2024-05-01T10:00:00Z" and "...+00:00" as SQLite's own functions print
// them: "2024-05-01 10:00:00". Other offsets are left for the caller to refuse.
void normalise_timestamp(std::string& text) {
  if (text.size() >= 19 && text[10] == 'T') {
    text[10] = ' ';
  }
  if (text.ends_with('Z')) {
    text.pop_back();
  } else if (text.ends_with("+00:00")) {
    text.resize(text.size() - 6);
  }
}

void set_value(Value& slot, std::string_view text) {
  if (slot) {
    slot->assign(text);
  } else {
    slot.emplace(text);
  }
}

void read_value(sqlite3_stmt* stmt, int i, ColumnType type, Value& slot) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
      slot.reset();
      return;
    case SQLITE_INTEGER: {
      const sqlite3_int64 number = sqlite3_column_int64(stmt, i);
      if (type == ColumnType::boolean && (number == 0 || number == 1)) {
        set_value(slot, number == 1 ? "true" : "false");
      } else {
        set_value(slot, std::to_string(number));
      }
      return;
    }
    case SQLITE_FLOAT:
      set_value(slot, format_real(sqlite3_column_double(stmt, i)));
      return;
    default: {  // TEXT, or a BLOB passed on as its bytes
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      set_value(slot, std::string_view(bytes == nullptr ? "" : bytes,
                                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
      if (type == ColumnType::timestamp) {
        normalise_timestamp(*slot);
      }
    }
  }
}

class SqliteRowSource final : public RowSource {
 public:
  explicit SqliteRowSource(std::string path) : m_path(std::move(path)) {}

  Result<void> stream(const std::string& query, const QueryOptions& options,
                      RowSink& sink) override;
  Result<void> check_connection() override;

 private:
  Error error(std::string message) const {
    return make_error(Errc::source_error, "SQLite source '" + m_path + "': " + message);
  }
  Error step_error(sqlite3* db, const Interruption& interruption,
                   std::chrono::milliseconds timeout) const;
  Result<DbPtr> open() const;
  Result<StatementPtr> prepare(sqlite3* db, const std::string& query) const;
  Result<std::vector<Column>> describe(sqlite3_stmt* stmt, const Interruption& interruption,
                                       std::chrono::milliseconds timeout) const;
  // The model's one contact (EmailFilter), the email bound.
  Result<StatementPtr> prepare_email(sqlite3* db, sqlite3_stmt* model,
                                     const EmailFilter& filter) const;
  // The model's statement wrapped in the filtered query, `bound` bound to it.
  Result<StatementPtr> prepare_filtered(sqlite3* db, sqlite3_stmt* model, const RowFilter& filter,
                                        const FilterBound& bound) const;

  std::string m_path;
};

Error SqliteRowSource::step_error(sqlite3* db, const Interruption& interruption,
                                  std::chrono::milliseconds timeout) const {
  if (interruption.cancelled) {
    return make_error(Errc::cancelled,
                      "SQLite source '" + m_path + "': the model query was cancelled");
  }
  if (interruption.expired) {
    return error("the query ran longer than the statement timeout (" +
                 std::to_string(timeout.count()) +
                 " ms): make the model query faster or raise statement_timeout");
  }
  return error(sqlite3_errmsg(db));
}

Result<DbPtr> SqliteRowSource::open() const {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(m_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return error(std::string("cannot open: ") +
                 (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)) +
                 "; check the path and that emsync may read it");
  }
  return db;
}

// Reading the schema fails for a file that is no SQLite database.
Result<void> SqliteRowSource::check_connection() {
  auto db = open();
  if (!db) {
    return db.error();
  }
  auto schema = prepare(db->get(), "SELECT 1 FROM sqlite_master LIMIT 0");
  if (!schema) {
    return schema.error();
  }
  return ok();
}

// Prepares the model query, which must be a single statement that only reads
// (the database is also opened read-only).
Result<StatementPtr> SqliteRowSource::prepare(sqlite3* db, const std::string& query) const {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, query.c_str(), static_cast<int>(query.size()), &raw, &tail);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) {
    return error(sqlite3_errmsg(db));
  }
  if (!stmt) {
    return error("the model query is empty");
  }
  // What follows must be nothing but blanks, semicolons and comments.
  sqlite3_stmt* raw_next = nullptr;
  const int next_rc = sqlite3_prepare_v2(db, tail, -1, &raw_next, nullptr);
  const StatementPtr next(raw_next);
  if (next_rc != SQLITE_OK || next) {
    return error(std::string(k_one_read_only_select) + ": a second statement follows the first");
  }
  if (!sqlite3_stmt_readonly(stmt.get())) {
    return error(std::string(k_one_read_only_select) + ": this one would change the database");
  }
  if (sqlite3_column_count(stmt.get()) == 0) {  // ATTACH, BEGIN: read-only, but not a query
    return error(std::string(k_one_read_only_select) + ": this one returns no columns");
  }
  return stmt;
}

// Column names and types. A column without a declared type takes the
// storage class of its first non-NULL value, so this may step the statement
// ahead (no rows are kept) and rewind it.
Result<std::vector<Column>> SqliteRowSource::describe(sqlite3_stmt* stmt,
                                                      const Interruption& interruption,
                                                      std::chrono::milliseconds timeout) const {
  const int count = sqlite3_column_count(stmt);
  std::vector<Column> columns(static_cast<std::size_t>(count));
  std::vector<int> undeclared;
  for (int i = 0; i < count; ++i) {
    columns[i].name = sqlite3_column_name(stmt, i);
    auto type = declared_type(sqlite3_column_decltype(stmt, i));
    columns[i].type = type.value_or(ColumnType::text);
    columns[i].max_chars = declared_chars(sqlite3_column_decltype(stmt, i));
    if (!type) {
      undeclared.push_back(i);
    }
  }
  while (!undeclared.empty()) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      return step_error(sqlite3_db_handle(stmt), interruption, timeout);
    }
    std::erase_if(undeclared, [&](int i) {
      auto type = storage_type(sqlite3_column_type(stmt, i));
      columns[i].type = type.value_or(ColumnType::text);
      return type.has_value();
    });
  }
  sqlite3_reset(stmt);
  return columns;
}

Result<StatementPtr> SqliteRowSource::prepare_filtered(sqlite3* db, sqlite3_stmt* model,
                                                       const RowFilter& filter,
                                                       const FilterBound& bound) const {
  // sqlite3_sql(): the text of the model's one statement, without what
  // follows it (blanks, comments).
  auto filtered =
      prepare(db, filtered_select(sqlite3_sql(model), quote_identifier(filter.column, "\""),
                                  "AS emsync_model", "?1"));
  if (!filtered) {
    return filtered.error();
  }
  const int rc = bound.type == ColumnType::integer
                     ? sqlite3_bind_int64(filtered->get(), 1, bound.integer)
                     : sqlite3_bind_text(filtered->get(), 1, bound.text.data(),
                                         static_cast<int>(bound.text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    return error(sqlite3_errmsg(db));
  }
  return filtered;
}

Result<StatementPtr> SqliteRowSource::prepare_email(sqlite3* db, sqlite3_stmt* model,
                                                    const EmailFilter& filter) const {
  auto selected = prepare(db, email_select(sqlite3_sql(model), quote_identifier(filter.column, "\""),
                                           "AS emsync_model", "?1"));
  if (!selected) {
    return selected.error();
  }
  if (sqlite3_bind_text(selected->get(), 1, filter.email.data(),
                        static_cast<int>(filter.email.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    return error(sqlite3_errmsg(db));
  }
  return selected;
}

Result<void> SqliteRowSource::stream(const std::string& query, const QueryOptions& options,
                                     RowSink& sink) {
  auto bound = filter_bound(options);
  if (!bound) {
    return bound.error();
  }
  EMSYNC_TRY(check_email_filter(options));
  Interruption interruption(options);
  auto db = open();
  if (!db) {
    return db.error();
  }
  if (interruption.needed()) {
    sqlite3_progress_handler(db->get(), k_progress_interval, &Interruption::check, &interruption);
  }
  auto stmt = prepare(db->get(), query);
  if (!stmt) {
    return stmt.error();
  }
  // One read transaction: describe() and the rows below see the same snapshot.
  if (sqlite3_exec(db->get(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error(sqlite3_errmsg(db->get()));
  }
  auto columns = describe(stmt->get(), interruption, options.statement_timeout);
  if (!columns) {
    return columns.error();
  }
  EMSYNC_TRY(sink.on_columns(*columns));
  if (options.columns_only) {
    return ok();
  }
  sqlite3_stmt* rows = stmt->get();
  StatementPtr filtered;
  if (*bound) {
    auto prepared = prepare_filtered(db->get(), rows, *options.filter, **bound);
    if (!prepared) {
      return prepared.error();
    }
    filtered = std::move(*prepared);
    rows = filtered.get();
  } else if (options.email_filter) {
    auto prepared = prepare_email(db->get(), rows, *options.email_filter);
    if (!prepared) {
      return prepared.error();
    }
    filtered = std::move(*prepared);
    rows = filtered.get();
  }
  std::vector<Value> values(columns->size());
  for (;;) {
    const int rc = sqlite3_step(rows);
    if (rc == SQLITE_DONE) {
      return ok();  // closing the connection ends the read transaction
    }
    if (rc != SQLITE_ROW) {
      return step_error(db->get(), interruption, options.statement_timeout);
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      read_value(rows, static_cast<int>(i), (*columns)[i].type, values[i]);
    }
    EMSYNC_TRY(sink.on_row(values));
  }
}

}  // namespace

std::unique_ptr<RowSource> make_sqlite_source(std::string path) {
  return std::make_unique<SqliteRowSource>(std::move(path));
}

}  // namespace emsync::source
