// Incremental reads (config::Incremental): which read a run makes, the filter
// it gives the source, and the watermark it leaves for the next run. Pure:
// the time is passed in.
//
// A run reads the whole model (a full read) when
//  - the activation has no `incremental`,
//  - it is `emsyncctl run --full`,
//  - no watermark is stored (the first run, or it was reset: below),
//  - the query or the mapping changed since the watermark was stored
//    (read_fingerprint: source, destination, query, email column, mapped
//    columns, cursor column),
//  - no full read has reached the end of its run yet, or full_every has
//    passed since the last one did.
// Otherwise it reads the rows whose cursor is at least the watermark minus
// the lookback (source::RowFilter, ">=": a row committed late with the very
// value of the watermark is read too). A date cursor's lookback is rounded
// up to whole days.
//
// The watermark advances only over settled rows (next_read_state):
//  - a run whose read did not complete (a source error, a cancel while
//    reading) leaves the stored state as it is;
//  - a run that settled every row it read (succeeded) stores the highest
//    cursor value read;
//  - a run that did not (partial, failed or cancelled after its read, or
//    stopped by the safety valve) stores at most the lowest cursor value of
//    the rows it spooled (the only rows that could be unsettled; a small
//    incremental read spools every row it reads, ModelInputs::look_up_rows,
//    so it stays where it was), and the next read selects every contact
//    that was not acknowledged; when such a row
//    had a NULL cursor, which only a full read selects, the watermark is
//    reset instead and the next read is full.
// A watermark ahead of the clock (clock skew) is clamped to now (a warning).
// An incremental read that reads no row at or after the stored watermark
// (the row that set it was deleted, or the source went back to an older
// backup) resets it: the next read is full (a warning).
//
// Example:
//   auto plan = plan_read(activation, request.scope, stored_state, now);
//   // plan->filter goes into QueryOptions; the reading sink feeds a
//   // CursorTracker(type) with each row's cursor value; at the run's end:
//   auto next = next_read_state({.plan = *plan, ...});
//   if (next.state) store.save_read_state(id, *next.state);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/activation.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "source/row_source.hpp"
#include "store/state_store.hpp"
#include "sync/run_scope.hpp"

namespace emsync::sync {

// The kinds of cursor column: integer (numeric columns holding whole
// numbers, such as Snowflake's NUMBER(38,0), count as integer), date,
// timestamp. nullopt for any other type.
std::optional<source::ColumnType> cursor_type(source::ColumnType column_type);

// Whether a model column of `column_type` can be the activation's cursor: a
// cursor type, and a lookback that fits it. Errc::invalid_input naming the
// activation and the column otherwise.
// REQUIRES: activation.incremental.
Result<void> check_cursor_column(const config::Activation& activation,
                                 source::ColumnType column_type);

// A cursor value as a number that orders like it: an integer itself, a date
// its days since 1970-01-01, a timestamp its microseconds since 1970-01-01
// 00:00:00 UTC (finer digits cut). nullopt when `text` is not the canonical
// text of `type` (source::Value) or out of range (years 0000-9999, int64).
std::optional<std::int64_t> cursor_number(source::ColumnType type, std::string_view text);
// The canonical text of a cursor number: "42", "2026-12-02",
// "2026-12-02 10:00:00" or "2026-12-02 10:00:00.250000".
std::string cursor_text(source::ColumnType type, std::int64_t number);

// What the watermark depends on, hashed (see above).
std::uint64_t read_fingerprint(const config::Activation& activation);

struct ReadPlan {
  store::RunRead read;                      // kind, watermark and read_from
  std::optional<source::RowFilter> filter;  // set exactly for an incremental read
  std::string reason;                       // why this read, for the log
  std::optional<store::ReadState> stored;   // the state the plan was made from
  std::uint64_t fingerprint = 0;            // of the activation as it runs
};

// Errors (Errc::invalid_input, naming the activation and the column): a
// lookback that does not fit the stored cursor's type ("15m" for an integer
// cursor, a number for a timestamp or date one).
Result<ReadPlan> plan_read(const config::Activation& activation, Scope scope,
                           const std::optional<store::ReadState>& stored, UnixMillis now);

// The cursor values of the rows a run reads. Fed on the reading thread, read
// once the read is over.
class CursorTracker {
 public:
  // REQUIRES: cursor_type(type) is set (the column's type, as given to
  // on_columns).
  explicit CursorTracker(source::ColumnType type);

  // One row's cursor value; `spooled`: the row may have to be sent (new,
  // changed, doubtful). Returns false when a non-NULL value is no cursor
  // value (a numeric that is not a whole number, PostgreSQL's 'infinity', a
  // year before 1 or after 9999): the run fails, naming the column.
  bool see(const source::Value& value, bool spooled);

  source::ColumnType type() const { return m_type; }  // its cursor_type()
  std::optional<std::int64_t> highest() const { return m_highest; }
  std::optional<std::int64_t> lowest_spooled() const { return m_lowest_spooled; }
  std::int64_t nulls() const { return m_nulls; }
  bool spooled_null() const { return m_spooled_null; }

 private:
  source::ColumnType m_type;
  std::optional<std::int64_t> m_highest;
  std::optional<std::int64_t> m_lowest_spooled;
  std::int64_t m_nulls = 0;
  bool m_spooled_null = false;
};

// How a run ended, as the watermark needs it.
struct ReadEnd {
  const ReadPlan& plan;
  // Set when the read completed (every row of the read was seen).
  const CursorTracker* cursor = nullptr;
  bool all_settled = false;  // succeeded: every row read is settled
  bool reached_end = false;  // succeeded or partial: departed contacts were dropped
  // The run's rows read, and the contacts it left stored (unchanged, updated,
  // inserted): kept as the last full read's when it is one that reached the end.
  std::int64_t rows_read = 0;
  std::int64_t stored = 0;
  UnixMillis now = 0;
};

struct NextReadState {
  std::optional<store::ReadState> state;  // to save; nullopt: leave the stored one
  std::vector<std::string> warnings;      // to log (no value of a contact in them)
};

// REQUIRES: the activation that made end.plan is incremental.
NextReadState next_read_state(const ReadEnd& end);

}  // namespace emsync::sync
