#include <catch2/catch.hpp>

#include "sync/read_plan.hpp"

using emsync::source::ColumnType;
using emsync::store::ReadKind;
using emsync::store::ReadState;
namespace es = emsync::sync;

namespace {

constexpr emsync::UnixMillis k_day_ms = 86'400'000;
// 2026-12-02 12:00:00 UTC.
constexpr emsync::UnixMillis k_now = 1'796'212'800'000;

emsync::config::Activation incremental(std::optional<std::chrono::seconds> full_every =
                                           std::chrono::hours(24)) {
  emsync::config::Activation a;
  a.name = "crm";
  a.source = "warehouse";
  a.destination = "emarsys";
  a.query = "SELECT * FROM people";
  a.incremental = emsync::config::Incremental{"updated_at", std::nullopt, std::nullopt, full_every};
  return a;
}

ReadState state_for(const emsync::config::Activation& a, std::string type, std::string watermark,
                    std::optional<emsync::UnixMillis> last_full = k_now - 1000) {
  return ReadState{std::move(type), std::move(watermark), last_full, es::read_fingerprint(a), 700,
                   650};
}

es::ReadPlan plan(const emsync::config::Activation& a, const std::optional<ReadState>& stored,
                    es::Scope scope = es::Scope::changes) {
  auto planned = es::plan_read(a, scope, stored, k_now);
  REQUIRE(planned);
  return *planned;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cursor values read and print in their canonical text", "[read_plan]") {
  CHECK(es::cursor_number(ColumnType::integer, "42") == 42);
  CHECK(es::cursor_number(ColumnType::integer, "-7") == -7);
  CHECK(es::cursor_number(ColumnType::numeric, "42.000") == 42);
  CHECK_FALSE(es::cursor_number(ColumnType::numeric, "42.5"));
  CHECK_FALSE(es::cursor_number(ColumnType::integer, "99999999999999999999"));
  CHECK(es::cursor_number(ColumnType::date, "1970-01-02") == 1);
  CHECK(es::cursor_number(ColumnType::date, "1969-12-31") == -1);
  CHECK_FALSE(es::cursor_number(ColumnType::date, "2026-02-30"));
  CHECK_FALSE(es::cursor_number(ColumnType::date, "2026-12-02 10:00:00"));
  CHECK(es::cursor_number(ColumnType::timestamp, "1970-01-01 00:00:01") == 1'000'000);
  CHECK(es::cursor_number(ColumnType::timestamp, "1970-01-01 00:00:00.25") == 250'000);
  // Nanoseconds (ODBC) are cut to microseconds: a lower bound is never above the value.
  CHECK(es::cursor_number(ColumnType::timestamp, "1970-01-01 00:00:00.123456789") == 123'456);
  CHECK_FALSE(es::cursor_number(ColumnType::timestamp, "2026-12-02T10:00:00"));
  CHECK_FALSE(es::cursor_number(ColumnType::timestamp, "2026-12-02 25:00:00"));
  CHECK_FALSE(es::cursor_number(ColumnType::text, "1"));
  for (const char* text : {"2026-12-02 10:00:00", "2026-12-02 10:00:00.250000",
                           "1969-12-31 23:59:59.999999", "0001-01-01 00:00:00"}) {
    const auto number = es::cursor_number(ColumnType::timestamp, text);
    REQUIRE(number);
    CHECK(es::cursor_text(ColumnType::timestamp, *number) == text);
  }
  CHECK(es::cursor_text(ColumnType::date, 20'789) == "2026-12-02");
  CHECK(es::cursor_text(ColumnType::integer, -3) == "-3");
}

TEST_CASE("the cursor column must be a timestamp, a date or an integer with a fitting lookback",
          "[read_plan]") {
  auto a = incremental();
  CHECK(es::check_cursor_column(a, ColumnType::timestamp));
  CHECK(es::check_cursor_column(a, ColumnType::date));
  CHECK(es::check_cursor_column(a, ColumnType::integer));  // default lookback 0
  CHECK(es::check_cursor_column(a, ColumnType::numeric));  // NUMBER(38,0)
  const auto text = es::check_cursor_column(a, ColumnType::text);
  REQUIRE_FALSE(text);
  CHECK(mentions(text.error().message, "activation 'crm': cursor column 'updated_at' is text"));
  a.incremental->lookback_time = std::chrono::minutes(5);
  const auto integer = es::check_cursor_column(a, ColumnType::integer);
  REQUIRE_FALSE(integer);
  CHECK(mentions(integer.error().message, "must be a whole number"));
  a.incremental->lookback_time.reset();
  a.incremental->lookback_count = 10;
  const auto timestamp = es::check_cursor_column(a, ColumnType::timestamp);
  REQUIRE_FALSE(timestamp);
  CHECK(mentions(timestamp.error().message, "must be a duration"));
}

TEST_CASE("a run reads in full until a watermark of the same definition is stored",
          "[read_plan]") {
  auto a = incremental();
  emsync::config::Activation plain = a;
  plain.incremental.reset();
  CHECK(plan(plain, std::nullopt).read.kind == ReadKind::full);
  CHECK(mentions(plan(a, std::nullopt).reason, "no watermark"));
  ReadState stored = state_for(a, "timestamp", "2026-12-02 11:00:00");
  CHECK(plan(a, stored).read.kind == ReadKind::incremental);
  CHECK(mentions(plan(a, stored, es::Scope::full).reason, "run --full"));
  CHECK_FALSE(plan(a, stored, es::Scope::full).filter);
  ReadState reset = stored;
  reset.watermark.reset();
  CHECK(plan(a, reset).read.kind == ReadKind::full);
  ReadState never_full = stored;
  never_full.last_full_read_at.reset();
  CHECK(mentions(plan(a, never_full).reason, "no full read"));
  // The query, the mapping, the destination or the cursor column changed.
  for (auto change : {+[](emsync::config::Activation& x) { x.query += " WHERE 1 = 1"; },
                      +[](emsync::config::Activation& x) { x.fields.push_back({"city", 3}); },
                      +[](emsync::config::Activation& x) { x.destination = "other"; },
                      +[](emsync::config::Activation& x) { x.incremental->cursor_column = "v"; }}) {
    auto changed = a;
    change(changed);
    CHECK(mentions(plan(changed, stored).reason, "changed"));
  }
  // The schedule and the lookback are not part of the fingerprint.
  auto rescheduled = a;
  rescheduled.schedule = "every 1h";
  rescheduled.incremental->lookback_time = std::chrono::minutes(1);
  CHECK(plan(rescheduled, stored).read.kind == ReadKind::incremental);
}

TEST_CASE("full_every starts a full read once it has passed since the last one", "[read_plan]") {
  auto a = incremental(std::chrono::hours(24));
  CHECK(plan(a, state_for(a, "timestamp", "2026-12-02 11:00:00", k_now - k_day_ms + 1))
            .read.kind == ReadKind::incremental);
  const auto due = plan(a, state_for(a, "timestamp", "2026-12-02 11:00:00", k_now - k_day_ms));
  CHECK(due.read.kind == ReadKind::full);
  CHECK(mentions(due.reason, "full_every (1d)"));
  auto never = incremental(std::nullopt);
  CHECK(plan(never, state_for(never, "timestamp", "2026-12-02 11:00:00", 0)).read.kind ==
        ReadKind::incremental);
}

TEST_CASE("an incremental read selects from the watermark minus the lookback", "[read_plan]") {
  auto a = incremental();
  const auto timestamp = plan(a, state_for(a, "timestamp", "2026-12-02 11:00:00.5"));
  REQUIRE(timestamp.filter);
  CHECK(timestamp.filter->column == "updated_at");
  CHECK(timestamp.filter->type == ColumnType::timestamp);
  CHECK(timestamp.filter->bound == "2026-12-02 10:45:00.500000");  // default 15m
  CHECK(timestamp.read.watermark == "2026-12-02 11:00:00.5");
  CHECK(timestamp.read.read_from == "2026-12-02 10:45:00.500000");
  // A date's lookback is rounded up to whole days: 15m reads the day before.
  const auto date = plan(a, state_for(a, "date", "2026-12-02"));
  CHECK(date.filter->bound == "2026-12-01");
  a.incremental->lookback_time = std::chrono::seconds(0);
  CHECK(plan(a, state_for(a, "date", "2026-12-02")).filter->bound == "2026-12-02");
  a.incremental->lookback_time.reset();
  const auto integer = plan(a, state_for(a, "integer", "1000"));
  CHECK(integer.filter->type == ColumnType::integer);
  CHECK(integer.filter->bound == "1000");  // lookback 0: the watermark's own row again
  a.incremental->lookback_count = 50;
  CHECK(plan(a, state_for(a, "integer", "1000")).filter->bound == "950");
  // A stored type the lookback does not fit (the column became an integer).
  a.incremental->lookback_count.reset();
  a.incremental->lookback_time = std::chrono::minutes(15);
  const auto mismatch = es::plan_read(a, es::Scope::changes, state_for(a, "integer", "7"), k_now);
  REQUIRE_FALSE(mismatch);
  CHECK(mentions(mismatch.error().message, "'updated_at' is integer"));
  // A bound is never before the first day of year 1.
  a.incremental->lookback_time = std::chrono::hours(24 * 365);
  CHECK(plan(a, state_for(a, "date", "0001-06-01")).filter->bound == "0001-01-01");
  CHECK(plan(a, state_for(a, "timestamp", "0001-06-01 00:00:00")).filter->bound ==
        "0001-01-01 00:00:00");
  // A stored watermark that does not read is reset by a full read.
  CHECK(plan(a, state_for(a, "timestamp", "garbage")).read.kind == ReadKind::full);
}

TEST_CASE("the tracker keeps the highest value, the lowest spooled one and the NULLs",
          "[read_plan]") {
  es::CursorTracker tracker(ColumnType::numeric);
  CHECK(tracker.type() == ColumnType::integer);
  CHECK(tracker.see(std::string("10"), false));
  CHECK(tracker.see(std::string("30"), true));
  CHECK(tracker.see(std::string("20"), true));
  CHECK(tracker.see(std::nullopt, false));
  CHECK_FALSE(tracker.spooled_null());
  CHECK(tracker.see(std::nullopt, true));
  CHECK_FALSE(tracker.see(std::string("2.5"), false));
  CHECK(tracker.highest() == 30);
  CHECK(tracker.lowest_spooled() == 20);
  CHECK(tracker.nulls() == 2);
  CHECK(tracker.spooled_null());
}

namespace {

struct Ended {
  es::ReadPlan plan;
  es::CursorTracker cursor{ColumnType::timestamp};
};

es::NextReadState end(const Ended& e, bool all_settled, bool reached_end, bool complete = true,
                        emsync::UnixMillis now = k_now) {
  return es::next_read_state({.plan = e.plan,
                                .cursor = complete ? &e.cursor : nullptr,
                                .all_settled = all_settled,
                                .reached_end = reached_end,
                                .now = now});
}

}  // namespace

TEST_CASE("the watermark advances to the highest value once every row is settled",
          "[read_plan]") {
  auto a = incremental();
  Ended full{plan(a, std::nullopt)};
  full.cursor.see(std::string("2026-12-02 09:00:00"), true);
  full.cursor.see(std::string("2026-12-02 11:30:00"), false);
  const auto next = es::next_read_state(
      {.plan = full.plan, .cursor = &full.cursor, .all_settled = true, .reached_end = true,
       .rows_read = 2, .stored = 2, .now = k_now});
  REQUIRE(next.state);
  CHECK(next.state->watermark == "2026-12-02 11:30:00");
  CHECK(next.state->last_full_read_rows == 2);
  CHECK(next.state->last_full_read_stored == 2);
  CHECK(next.state->cursor_type == "timestamp");
  CHECK(next.state->last_full_read_at == k_now);
  CHECK(next.state->fingerprint == es::read_fingerprint(a));
  CHECK(next.warnings.empty());
  // A read that did not complete leaves the stored state as it is.
  CHECK_FALSE(end(full, false, false, false).state);
}

TEST_CASE("unsettled rows hold the watermark at the lowest spooled value", "[read_plan]") {
  auto a = incremental();
  Ended inc{plan(a, state_for(a, "timestamp", "2026-12-02 10:00:00", k_now - 5000))};
  inc.cursor.see(std::string("2026-12-02 10:00:00"), false);
  inc.cursor.see(std::string("2026-12-02 09:50:00"), true);  // a late commit, sent
  inc.cursor.see(std::string("2026-12-02 11:00:00"), true);
  const auto partial = end(inc, false, true);
  REQUIRE(partial.state);
  CHECK(partial.state->watermark == "2026-12-02 09:50:00");
  // An incremental read keeps the time of the last full read, and its counts.
  CHECK(partial.state->last_full_read_at == k_now - 5000);
  CHECK(partial.state->last_full_read_rows == 700);
  CHECK(partial.state->last_full_read_stored == 650);
  const auto succeeded = end(inc, true, true);
  CHECK(succeeded.state->watermark == "2026-12-02 11:00:00");
  // A spooled row with a NULL cursor that may not be settled: only a full read selects it.
  inc.cursor.see(std::nullopt, true);
  const auto null_unsettled = end(inc, false, false);
  REQUIRE(null_unsettled.state);
  CHECK_FALSE(null_unsettled.state->watermark);
  CHECK(mentions(null_unsettled.warnings.at(0), "NULL"));
  CHECK(end(inc, true, true).state->watermark == "2026-12-02 11:00:00");
}

TEST_CASE("a failed full read is made again", "[read_plan]") {
  auto a = incremental();
  Ended full{plan(a, std::nullopt)};
  full.cursor.see(std::string("2026-12-02 09:00:00"), true);
  const auto stopped = end(full, false, false);  // e.g. the safety valve
  REQUIRE(stopped.state);
  CHECK_FALSE(stopped.state->last_full_read_at);
  CHECK(plan(a, stopped.state).read.kind == ReadKind::full);
  // After a query change: the old full read is not this definition's, but its
  // size stays the safety valve's reference.
  auto changed = a;
  changed.query += " WHERE 1 = 1";
  Ended again{plan(changed, state_for(a, "timestamp", "2026-12-02 09:00:00"))};
  again.cursor.see(std::string("2026-12-02 09:00:00"), true);
  const auto failed = end(again, false, false);
  REQUIRE(failed.state);
  CHECK_FALSE(failed.state->last_full_read_at);
  CHECK(failed.state->last_full_read_rows == 700);
  CHECK(failed.state->fingerprint == es::read_fingerprint(changed));
}

TEST_CASE("an incremental read without the watermark's row resets the watermark",
          "[read_plan]") {
  auto a = incremental();
  Ended inc{plan(a, state_for(a, "timestamp", "2026-12-02 10:00:00"))};
  inc.cursor.see(std::string("2026-12-02 09:55:00"), false);
  const auto lost = end(inc, true, true);
  REQUIRE(lost.state);
  CHECK_FALSE(lost.state->watermark);
  CHECK(mentions(lost.warnings.at(0), "no row at or after the watermark 2026-12-02 10:00:00"));
  Ended empty{plan(a, state_for(a, "timestamp", "2026-12-02 10:00:00"))};
  CHECK_FALSE(end(empty, true, true).state->watermark);
}

TEST_CASE("a watermark ahead of the clock is clamped to now", "[read_plan]") {
  auto a = incremental();
  Ended full{plan(a, std::nullopt)};
  full.cursor.see(std::string("2027-01-01 00:00:00"), false);
  const auto next = end(full, true, true);
  CHECK(next.state->watermark == "2026-12-02 12:00:00");
  CHECK(mentions(next.warnings.at(0), "ahead of the clock"));
  Ended dates{plan(a, std::nullopt), es::CursorTracker(ColumnType::date)};
  dates.cursor.see(std::string("2026-12-03"), false);
  CHECK(end(dates, true, true).state->watermark == "2026-12-02");
  Ended integers{plan(a, std::nullopt), es::CursorTracker(ColumnType::integer)};
  integers.cursor.see(std::string("9000000000000"), false);
  CHECK(end(integers, true, true).state->watermark == "9000000000000");  // no clock for integers
}
