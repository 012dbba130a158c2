#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "schedule/schedule.hpp"

using emsync::Errc;
using emsync::schedule::Kind;
using emsync::schedule::next_match;
using emsync::schedule::next_run;
using emsync::schedule::parse_cron;
using emsync::schedule::parse_schedule;
using emsync::schedule::Schedule;
using emsync::schedule::TimePoint;
using namespace std::chrono;

namespace {

TimePoint at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

// "2026-03-01 07:00:00", or "none": readable failures.
std::string show(std::optional<TimePoint> t) {
  if (!t) return "none";
  const sys_days d = floor<days>(*t);
  const year_month_day ymd(d);
  const hh_mm_ss hms(*t - d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

Schedule parsed(const std::string& text, const std::string& zone = "UTC") {
  auto s = parse_schedule(text, zone);
  INFO(text << " in " << zone << ": " << (s ? "" : s.error().message));
  REQUIRE(s);
  return *s;
}

// next_run of `text` after a run started at `last` (or never), at `now`.
std::string next(const std::string& text, std::optional<TimePoint> last, TimePoint now,
                 const std::string& zone = "UTC") {
  return show(next_run(parsed(text, zone), last, now));
}

// The `count` runs of `text` in `zone` that follow a run started at `last`,
// each run starting on time (the daemon asks a second after each start).
std::vector<std::string> runs_after(const std::string& text, const std::string& zone,
                                    TimePoint last, int count) {
  const Schedule s = parsed(text, zone);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const std::optional<TimePoint> due = next_run(s, last, last + seconds(1));
    out.push_back(show(due));
    if (!due) break;
    last = *due;
  }
  return out;
}

}  // namespace

TEST_CASE("parse_schedule accepts every documented form") {
  struct Case {
    const char* text;
    Kind kind;
    long long interval_seconds;
  };
  const std::vector<Case> cases = {
      {"manual", Kind::manual, 0},
      {"  Manual \t", Kind::manual, 0},
      {"every 30s", Kind::interval, 30},
      {"every 15m", Kind::interval, 900},
      {"every 4h", Kind::interval, 14400},
      {"every 1d", Kind::interval, 86400},
      {"EVERY   2H", Kind::interval, 7200},
      {"every 365d", Kind::interval, 365LL * 86400},
      {"daily 07:00", Kind::daily, 0},
      {"daily 7:05", Kind::daily, 0},
      {"daily 23:59", Kind::daily, 0},
      {"weekly mon,thu 07:00", Kind::weekly, 0},
      {"weekly SUN 00:00", Kind::weekly, 0},
      {"weekly mon,tue,wed,thu,fri,sat,sun 12:00", Kind::weekly, 0},
      {"cron */10 * * * *", Kind::cron, 0},
      {"cron\t0  0 1 jan *", Kind::cron, 0},
      {"cron 0-30/15 9-17 * * mon-fri", Kind::cron, 0},
      {"cron 0 0 * * 7", Kind::cron, 0},
      {"cron 5,35 8,20 1-15/7 JAN-jun,dec Sun", Kind::cron, 0},
      {"cron 0 0 29 2 *", Kind::cron, 0},
  };
  for (const Case& c : cases) {
    Schedule s = parsed(c.text);
    INFO(c.text);
    CHECK(s.kind == c.kind);
    CHECK(s.interval.count() == c.interval_seconds);
  }
  CHECK(parsed("  daily 07:00 ").text == "daily 07:00");
  CHECK(std::string(to_string(Kind::weekly)) == "weekly");
}

TEST_CASE("parse_schedule errors name the problem and list the accepted forms") {
  struct Case {
    const char* text;
    const char* problem;
  };
  const std::vector<Case> cases = {
      {"", "the schedule is empty"},
      {"sometimes", "unknown schedule 'sometimes'"},
      {"manual now", "'manual' takes no arguments"},
      {"every", "'every' takes one interval"},
      {"every 0m", "schedule 'every 0m': the interval must be at least 1 second"},
      {"every 0s", "the interval must be at least 1 second"},
      {"every 15", "a whole number followed by s, m, h or d"},
      {"every 15x", "a whole number followed by s, m, h or d"},
      {"every -5m", "a whole number followed by s, m, h or d"},
      {"every m", "a whole number followed by s, m, h or d"},
      {"every 99999999999999999999s", "a whole number followed by s, m, h or d"},
      {"every 366d", "the interval must be at most 365 days"},
      {"every 9000h", "the interval must be at most 365 days"},
      {"daily", "'daily' takes one time"},
      {"daily 24:00", "the time '24:00' is not HH:MM"},
      {"daily 07:60", "the time '07:60' is not HH:MM"},
      {"daily 0700", "the time '0700' is not HH:MM"},
      {"daily 7:0", "the time '7:0' is not HH:MM"},
      {"daily 07:00 mon", "'daily' takes one time"},
      {"weekly 07:00", "'weekly' takes days and a time"},
      {"weekly mon,mon 07:00", "the day 'mon' is repeated"},
      {"weekly mon,Mon 07:00", "the day 'Mon' is repeated"},
      {"weekly mon,funday 07:00", "'funday' is not a day: use mon, tue"},
      {"weekly mon, 07:00", "'' is not a day"},
      {"weekly mon 7am", "the time '7am' is not HH:MM"},
      {"cron * * * *", "cron needs 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"cron * * * * * *", "cron needs 5 fields"},
      {"cron 60 * * * *", "cron minute field '60': '60' is not a value in 0-59"},
      {"cron * 24 * * *", "cron hour field '24': '24' is not a value in 0-23"},
      {"cron * * 0 * *", "cron day-of-month field '0': '0' is not a value in 1-31"},
      {"cron * * * 13 *", "cron month field '13': '13' is not a value in 1-12 or jan..dec"},
      {"cron * * * foo *", "cron month field 'foo': 'foo' is not a value"},
      {"cron * * * * 8", "cron day-of-week field '8': '8' is not a value in 0-7 or sun..sat"},
      {"cron * * * * monday", "'monday' is not a value"},
      {"cron */0 * * * *", "step '0' must be a whole number of at least 1"},
      {"cron */x * * * *", "step 'x' must be"},
      {"cron 5/10 * * * *", "a step needs a range: use '*/n' or 'a-b/n'"},
      {"cron 30-10 * * * *", "range '30-10' runs backwards"},
      {"cron 1,,2 * * * *", "empty list item"},
      {"cron -1 * * * *", "'' is not a value"},
      {"cron 0 0 30 2 *", "cron expression never matches"},
      {"cron 0 0 31 4,6,9,11 *", "never matches"},
  };
  for (const Case& c : cases) {
    auto s = parse_schedule(c.text);
    INFO("schedule: '" << c.text << "'");
    REQUIRE_FALSE(s);
    INFO("message: " << s.error().message);
    CHECK(s.error().code == Errc::invalid_input);
    CHECK(s.error().message.find(c.problem) != std::string::npos);
    CHECK(s.error().message.find("accepted: 'manual', 'every <n>s|m|h|d'") != std::string::npos);
  }
}

TEST_CASE("parse_cron fills the calendar sets") {
  auto spec = parse_cron("0-30/15 9-17 */10 jan,7 5-7");
  REQUIRE(spec);
  CHECK(spec->minutes.count() == 3);  // 0, 15, 30
  CHECK((spec->minutes[0] && spec->minutes[15] && spec->minutes[30]));
  CHECK(spec->hours.count() == 9);
  CHECK(spec->days_of_month.count() == 4);  // 1, 11, 21, 31
  CHECK((spec->days_of_month[1] && spec->days_of_month[31]));
  CHECK(spec->months.count() == 2);
  CHECK((spec->months[1] && spec->months[7]));
  CHECK(spec->days_of_week.count() == 3);  // fri, sat, sun (7 = 0)
  CHECK((spec->days_of_week[5] && spec->days_of_week[6] && spec->days_of_week[0]));
  CHECK(spec->day_of_month_star);
  CHECK_FALSE(spec->day_of_week_star);
}

TEST_CASE("manual schedules are never due") {
  CHECK(next("manual", std::nullopt, at(2026, 3, 1)) == "none");
  CHECK(next("manual", at(2026, 3, 1), at(2026, 3, 2)) == "none");
}

TEST_CASE("interval: measured from the previous start, missed runs collapse into now") {
  const std::string s = "every 15m";
  // First run: at once.
  CHECK(next(s, std::nullopt, at(2026, 3, 1, 10, 3, 7)) == "2026-03-01 10:03:07");
  // Normal: previous start + interval.
  CHECK(next(s, at(2026, 3, 1, 10, 0, 4), at(2026, 3, 1, 10, 5)) == "2026-03-01 10:15:04");
  // Exactly due.
  CHECK(next(s, at(2026, 3, 1, 10), at(2026, 3, 1, 10, 15)) == "2026-03-01 10:15:00");
  // After downtime: now, once; then the interval counts from that run's start.
  CHECK(next(s, at(2026, 3, 1, 10), at(2026, 3, 1, 13, 7)) == "2026-03-01 13:07:00");
  CHECK(next(s, at(2026, 3, 1, 13, 7), at(2026, 3, 1, 13, 8)) == "2026-03-01 13:22:00");
  CHECK(next("every 1d", at(2026, 2, 28, 6), at(2026, 2, 28, 7)) == "2026-03-01 06:00:00");
}

TEST_CASE("daily: next day, across midnight, month end, year end and leap day") {
  // Never run: the first slot at or after now.
  CHECK(next("daily 07:00", std::nullopt, at(2026, 3, 1, 6, 59, 30)) == "2026-03-01 07:00:00");
  CHECK(next("daily 07:00", std::nullopt, at(2026, 3, 1, 7)) == "2026-03-01 07:00:00");
  CHECK(next("daily 07:00", std::nullopt, at(2026, 3, 1, 7, 0, 30)) == "2026-03-02 07:00:00");
  // Strictly after the previous start (which may be a few seconds late).
  CHECK(next("daily 07:00", at(2026, 3, 1, 7, 0, 2), at(2026, 3, 1, 7, 0, 5)) ==
        "2026-03-02 07:00:00");
  CHECK(next("daily 00:30", at(2026, 3, 1, 0, 30), at(2026, 3, 1, 23, 59)) ==
        "2026-03-02 00:30:00");
  CHECK(next("daily 07:00", at(2026, 1, 31, 7), at(2026, 1, 31, 8)) == "2026-02-01 07:00:00");
  CHECK(next("daily 00:30", at(2026, 12, 31, 0, 30), at(2026, 12, 31, 23, 59)) ==
        "2027-01-01 00:30:00");
  CHECK(next("daily 07:00", at(2028, 2, 28, 7), at(2028, 2, 28, 8)) == "2028-02-29 07:00:00");
  CHECK(next("daily 07:00", at(2026, 2, 28, 7), at(2026, 2, 28, 8)) == "2026-03-01 07:00:00");
}

TEST_CASE("weekly: the listed days only") {
  const std::string s = "weekly mon,THU 07:00";  // 2026-03-02 is a Monday
  CHECK(next(s, std::nullopt, at(2026, 3, 1, 12)) == "2026-03-02 07:00:00");
  CHECK(next(s, at(2026, 3, 2, 7), at(2026, 3, 2, 8)) == "2026-03-05 07:00:00");
  CHECK(next(s, at(2026, 3, 5, 7), at(2026, 3, 5, 8)) == "2026-03-09 07:00:00");
  CHECK(next("weekly sun 23:59", at(2026, 12, 27, 23, 59), at(2026, 12, 28)) ==
        "2027-01-03 23:59:00");
}

TEST_CASE("cron: steps, ranges, lists and names") {
  CHECK(next("cron */10 * * * *", std::nullopt, at(2026, 3, 1, 10, 3, 20)) ==
        "2026-03-01 10:10:00");
  CHECK(next("cron */10 * * * *", at(2026, 3, 1, 23, 50), at(2026, 3, 1, 23, 51)) ==
        "2026-03-02 00:00:00");
  // Business hours, quarter past, Monday to Friday (2026-03-07 is a Saturday).
  const std::string business = "cron 0-30/15 9-17 * * mon-fri";
  CHECK(next(business, std::nullopt, at(2026, 3, 7, 12)) == "2026-03-09 09:00:00");
  CHECK(next(business, at(2026, 3, 9, 9), at(2026, 3, 9, 9, 1)) == "2026-03-09 09:15:00");
  CHECK(next(business, at(2026, 3, 9, 9, 30), at(2026, 3, 9, 9, 31)) == "2026-03-09 10:00:00");
  CHECK(next(business, at(2026, 3, 13, 17, 30), at(2026, 3, 13, 17, 31)) == "2026-03-16 09:00:00");
  // Lists.
  CHECK(next("cron 5,35 8,20 * * *", at(2026, 3, 1, 8, 5), at(2026, 3, 1, 8, 6)) ==
        "2026-03-01 08:35:00");
  CHECK(next("cron 5,35 8,20 * * *", at(2026, 3, 1, 8, 35), at(2026, 3, 1, 8, 36)) ==
        "2026-03-01 20:05:00");
  // Month names, any case; year rollover.
  CHECK(next("cron 0 6 1 jan,JUL *", std::nullopt, at(2026, 3, 1)) == "2026-07-01 06:00:00");
  CHECK(next("cron 0 0 1 1 *", at(2026, 1, 1), at(2026, 1, 1, 0, 1)) == "2027-01-01 00:00:00");
  // Sunday is 0, 7 or sun (2026-03-08 is a Sunday).
  for (const char* sunday : {"cron 0 0 * * 0", "cron 0 0 * * 7", "cron 0 0 * * SUN"}) {
    INFO(sunday);
    CHECK(next(sunday, std::nullopt, at(2026, 3, 2)) == "2026-03-08 00:00:00");
  }
  CHECK(next("cron 0 0 * * 5-7", std::nullopt, at(2026, 3, 2)) == "2026-03-06 00:00:00");
  CHECK(next("cron 0 0 * * 5-7", at(2026, 3, 7), at(2026, 3, 7, 1)) == "2026-03-08 00:00:00");
}

TEST_CASE("cron: day-of-month and day-of-week both restricted match either (Vixie)") {
  // 2026-02-06 is a Friday, 2026-02-13 a Friday the 13th.
  CHECK(next("cron 0 12 13 * fri", std::nullopt, at(2026, 2, 1)) == "2026-02-06 12:00:00");
  CHECK(next("cron 0 12 13 * fri", at(2026, 2, 6, 12), at(2026, 2, 6, 13)) ==
        "2026-02-13 12:00:00");
  CHECK(next("cron 0 12 13 * fri", at(2026, 2, 13, 12), at(2026, 2, 13, 13)) ==
        "2026-02-20 12:00:00");
  CHECK(next("cron 0 12 10 * fri", at(2026, 2, 6, 12), at(2026, 2, 6, 13)) ==
        "2026-02-10 12:00:00");
  // Only one restricted: that one decides.
  CHECK(next("cron 0 12 13 * *", std::nullopt, at(2026, 2, 1)) == "2026-02-13 12:00:00");
  CHECK(next("cron 0 12 * * fri", std::nullopt, at(2026, 2, 7)) == "2026-02-13 12:00:00");
  // A day-of-month starting with '*' counts as unrestricted: odd days AND Mondays
  // (2026-03-02 is an even Monday, 2026-03-09 an odd one).
  CHECK(next("cron 0 0 */2 * mon", std::nullopt, at(2026, 3, 1)) == "2026-03-09 00:00:00");
}

TEST_CASE("cron: leap days and month ends") {
  CHECK(next("cron 0 0 29 2 *", std::nullopt, at(2026, 3, 1)) == "2028-02-29 00:00:00");
  CHECK(next("cron 0 0 29 2 *", at(2028, 2, 29), at(2028, 2, 29, 1)) == "2032-02-29 00:00:00");
  // 2100 is not a leap year: the search must reach 2104.
  CHECK(next("cron 0 0 29 2 *", std::nullopt, at(2097, 3, 1)) == "2104-02-29 00:00:00");
  CHECK(next("cron 0 0 31 * *", at(2026, 1, 31), at(2026, 2, 1)) == "2026-03-31 00:00:00");
  CHECK(next("cron 0 0 31 * *", at(2026, 3, 31), at(2026, 4, 1)) == "2026-05-31 00:00:00");
  CHECK(next("cron 0 0 31 * *", at(2026, 7, 31), at(2026, 8, 1)) == "2026-08-31 00:00:00");
  CHECK(show(next_match(parse_cron("0 0 31 * *").value(), at(2026, 11, 1))) ==
        "2026-12-31 00:00:00");
}

TEST_CASE("missed slots give one catch-up run at now, then the schedule resumes") {
  struct Case {
    const char* text;
    TimePoint last;
    TimePoint now;
    const char* after_catch_up;
  };
  const std::vector<Case> cases = {
      {"daily 07:00", at(2026, 3, 1, 7), at(2026, 3, 5, 9, 0, 12), "2026-03-06 07:00:00"},
      {"weekly mon,thu 07:00", at(2026, 3, 2, 7), at(2026, 3, 20, 7, 30), "2026-03-23 07:00:00"},
      {"cron */10 * * * *", at(2026, 3, 1, 10), at(2026, 3, 1, 12, 34, 56), "2026-03-01 12:40:00"},
      // The catch-up run falls on a slot itself: the next one is the following slot.
      {"cron */10 * * * *", at(2026, 3, 1, 10), at(2026, 3, 1, 12, 40), "2026-03-01 12:50:00"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const Schedule s = parsed(c.text);
    CHECK(next_run(s, c.last, c.now) == c.now);
    CHECK(show(next_run(s, c.now, c.now + seconds(3))) == c.after_catch_up);
  }
}

// Time zones. Times are checked in UTC; comments give the local time.
// Europe/Paris 2026: CET (+1) until 2026-03-29 01:00 UTC (02:00 -> 03:00 local),
// CEST (+2) until 2026-10-25 01:00 UTC (03:00 -> 02:00 local), CET again.

TEST_CASE("zones: daily, weekly and cron times are local times") {
  CHECK(next("daily 07:00", std::nullopt, at(2026, 3, 1, 5), "Europe/Paris") ==
        "2026-03-01 06:00:00");
  CHECK(next("daily 07:00", at(2026, 7, 1, 5), at(2026, 7, 1, 6), "Europe/Paris") ==
        "2026-07-02 05:00:00");
  CHECK(next("daily 07:00", at(2026, 7, 1, 11), at(2026, 7, 1, 12), "America/New_York") ==
        "2026-07-02 11:00:00");
  CHECK(next("daily 07:00", at(2026, 7, 1, 7), at(2026, 7, 1, 8), "Etc/UTC") ==
        "2026-07-02 07:00:00");
  // Local date differs from the UTC date: 00:30 in Tokyo (+9) is 15:30 UTC the day before.
  CHECK(next("cron 30 0 * * mon", std::nullopt, at(2026, 3, 1), "Asia/Tokyo") ==
        "2026-03-01 15:30:00");  // Monday 2026-03-02 00:30 local
  const Schedule s = parsed("daily 07:00", "Europe/Paris");
  CHECK(s.time_zone == "Europe/Paris");
  CHECK(s.zone != nullptr);
  CHECK(parsed("daily 07:00").time_zone == "UTC");
}

TEST_CASE("zones: a time skipped by spring forward runs once, at the end of the gap") {
  // 02:30 local does not exist on 2026-03-29: it runs at 03:00 CEST, then as usual.
  CHECK(runs_after("daily 02:30", "Europe/Paris", at(2026, 3, 28, 1, 30), 3) ==
        std::vector<std::string>{"2026-03-29 01:00:00",    // 03:00 CEST
                                 "2026-03-30 00:30:00",    // 02:30 CEST
                                 "2026-03-31 00:30:00"});  // 02:30 CEST
  // The six slots 02:00..02:50 of the gap give one run at 03:00, then 03:10.
  CHECK(runs_after("cron */10 * * * *", "Europe/Paris", at(2026, 3, 29, 0, 40), 4) ==
        std::vector<std::string>{"2026-03-29 00:50:00",    // 01:50 CET
                                 "2026-03-29 01:00:00",    // 03:00 CEST
                                 "2026-03-29 01:10:00",    // 03:10 CEST
                                 "2026-03-29 01:20:00"});  // 03:20 CEST
  // First run ever, decided just before the gap; and a last start on its edge.
  CHECK(next("daily 02:30", std::nullopt, at(2026, 3, 29, 0, 55), "Europe/Paris") ==
        "2026-03-29 01:00:00");
  CHECK(next("daily 02:30", at(2026, 3, 29, 0, 59, 59), at(2026, 3, 29, 1), "Europe/Paris") ==
        "2026-03-29 01:00:00");
  // A run at the end of the gap is the skipped slots' run: none again.
  CHECK(next("cron 30 2,3 * * *", at(2026, 3, 29, 1), at(2026, 3, 29, 1, 0, 1), "Europe/Paris") ==
        "2026-03-29 01:30:00");  // 03:30 CEST
}

TEST_CASE("zones: a time repeated by fall back runs once, at its first occurrence") {
  // 02:30 local happens at 00:30 UTC (CEST) and 01:30 UTC (CET) on 2026-10-25.
  CHECK(runs_after("daily 02:30", "Europe/Paris", at(2026, 10, 24, 0, 30), 2) ==
        std::vector<std::string>{"2026-10-25 00:30:00",    // 02:30 CEST
                                 "2026-10-26 01:30:00"});  // 02:30 CET
  // The repeated hour's slots run on the first pass only.
  CHECK(runs_after("cron */30 * * * *", "Europe/Paris", at(2026, 10, 24, 23, 30), 4) ==
        std::vector<std::string>{"2026-10-25 00:00:00",    // 02:00 CEST
                                 "2026-10-25 00:30:00",    // 02:30 CEST
                                 "2026-10-25 02:00:00",    // 03:00 CET
                                 "2026-10-25 02:30:00"});  // 03:30 CET
  // A last start at the very end of the first pass: the second pass is skipped.
  CHECK(next("cron */30 * * * *", at(2026, 10, 25, 0, 59, 59), at(2026, 10, 25, 1),
             "Europe/Paris") == "2026-10-25 02:00:00");
  // A catch-up run during the second pass (at 02:15 CET): 02:30 has not run
  // since, so it runs at its second occurrence.
  const Schedule s = parsed("cron */30 * * * *", "Europe/Paris");
  CHECK(next_run(s, at(2026, 10, 25, 0), at(2026, 10, 25, 1, 15)) == at(2026, 10, 25, 1, 15));
  CHECK(show(next_run(s, at(2026, 10, 25, 1, 15), at(2026, 10, 25, 1, 15, 3))) ==
        "2026-10-25 01:30:00");  // 02:30 CET
  // First run ever, decided during the second pass: the first pass is past.
  CHECK(next("daily 02:30", std::nullopt, at(2026, 10, 25, 1, 10), "Europe/Paris") ==
        "2026-10-25 01:30:00");
}

TEST_CASE("zones: DST in America/New_York and in the southern hemisphere") {
  // New York falls back on 2026-11-01 at 06:00 UTC (02:00 EDT -> 01:00 EST):
  // 01:15 and 01:45 run once, on the EDT pass.
  CHECK(runs_after("cron 15,45 1 * * *", "America/New_York", at(2026, 10, 31, 5, 45), 3) ==
        std::vector<std::string>{"2026-11-01 05:15:00",    // 01:15 EDT
                                 "2026-11-01 05:45:00",    // 01:45 EDT
                                 "2026-11-02 06:15:00"});  // 01:15 EST
  // Sydney springs forward on 2026-10-04 at 16:00 UTC the day before
  // (02:00 AEST -> 03:00 AEDT): 02:30 runs at 03:00 AEDT.
  CHECK(runs_after("daily 02:30", "Australia/Sydney", at(2026, 10, 2, 16, 30), 2) ==
        std::vector<std::string>{"2026-10-03 16:00:00",    // 10-04 03:00 AEDT
                                 "2026-10-04 15:30:00"});  // 10-05 02:30 AEDT
}

TEST_CASE("zones: weekly keeps its local time across DST changes") {
  // Mondays at 07:00 in Paris: 06:00 UTC in winter, 05:00 UTC in summer.
  CHECK(runs_after("weekly mon 07:00", "Europe/Paris", at(2026, 3, 16, 6), 3) ==
        std::vector<std::string>{"2026-03-23 06:00:00", "2026-03-30 05:00:00",
                                 "2026-04-06 05:00:00"});
  CHECK(runs_after("weekly mon 07:00", "Europe/Paris", at(2026, 10, 12, 5), 3) ==
        std::vector<std::string>{"2026-10-19 05:00:00", "2026-10-26 06:00:00",
                                 "2026-11-02 06:00:00"});
}

TEST_CASE("zones: month ends and leap days are local dates") {
  // The 1st at midnight in Paris is the last day of the month before in UTC.
  CHECK(runs_after("cron 0 0 1 * *", "Europe/Paris", at(2026, 1, 31, 23), 2) ==
        std::vector<std::string>{"2026-02-28 23:00:00",    // 03-01 00:00 CET
                                 "2026-03-31 22:00:00"});  // 04-01 00:00 CEST
  CHECK(next("cron 0 0 29 2 *", std::nullopt, at(2026, 3, 1), "Europe/Paris") ==
        "2028-02-28 23:00:00");
  CHECK(next("cron 0 0 29 2 *", at(2028, 2, 28, 23), at(2028, 2, 29), "Europe/Paris") ==
        "2032-02-28 23:00:00");
  // 19:00 on 2028-02-28 in New York (-5) is already the leap day in UTC.
  CHECK(runs_after("daily 19:00", "America/New_York", at(2028, 2, 27, 0), 2) ==
        std::vector<std::string>{"2028-02-28 00:00:00", "2028-02-29 00:00:00"});
  CHECK(next("daily 00:30", at(2028, 2, 28, 15, 30), at(2028, 2, 28, 16), "Asia/Tokyo") ==
        "2028-02-29 15:30:00");  // 03-01 00:30 JST
}

TEST_CASE("zones: interval schedules ignore the zone") {
  // Absolute intervals: 24 hours across the spring-forward night, not 07:00 local.
  CHECK(next("every 1d", at(2026, 3, 28, 6), at(2026, 3, 28, 7), "Europe/Paris") ==
        "2026-03-29 06:00:00");
  CHECK(next("every 15m", at(2026, 3, 29, 0, 50), at(2026, 3, 29, 0, 51), "Europe/Paris") ==
        "2026-03-29 01:05:00");
  CHECK(next("every 15m", std::nullopt, at(2026, 10, 25, 1, 3), "Australia/Sydney") ==
        "2026-10-25 01:03:00");
}

TEST_CASE("zones: an unknown zone is rejected with what is expected") {
  for (const char* zone : {"Mars/Olympus", "europe/paris", "", "CEST", "Europe/../UTC",
                           "/etc/localtime", "../../etc/passwd"}) {
    auto s = parse_schedule("daily 07:00", zone);
    INFO("zone: '" << zone << "'");
    REQUIRE_FALSE(s);
    INFO("message: " << s.error().message);
    CHECK(s.error().code == Errc::invalid_input);
    CHECK(s.error().message ==
          "timezone '" + std::string(zone) +
              "' is not a known time zone: use an IANA name such as 'Europe/Paris' or "
              "'America/New_York', or 'UTC'");
  }
  // Interval and manual schedules check the zone too (it is part of the activation).
  CHECK_FALSE(parse_schedule("every 15m", "Mars/Olympus"));
  CHECK_FALSE(parse_schedule("manual", "Mars/Olympus"));
  // A bad schedule is reported as such, whatever the zone.
  auto both = parse_schedule("daily 25:00", "Mars/Olympus");
  REQUIRE_FALSE(both);
  CHECK_THAT(both.error().message, Catch::StartsWith("schedule 'daily 25:00': "));
}

TEST_CASE("cron steps up to INT_MAX select the range's start; larger ones are refused") {
  for (const char* text :
       {"50-59/2147483600 * * * *", "50-59/2147483647 * * * *", "50-59/10 * * * *"}) {
    CAPTURE(text);
    auto spec = parse_cron(text);
    REQUIRE(spec);
    CHECK(spec->minutes.count() == 1);
    CHECK(spec->minutes[50]);
  }
  auto wide = parse_cron("*/2147483647 */2147483646 1-31/2147483645 */2147483647 */2147483647");
  REQUIRE(wide);
  CHECK(wide->minutes.count() == 1);
  CHECK(wide->minutes[0]);
  CHECK(wide->hours.count() == 1);
  CHECK(wide->days_of_month[1]);
  for (const char* text : {"50-59/2147483648 * * * *", "0 0-23/99999999999999999999 * * *",
                           "2147483648 * * * *", "0-2147483648 * * * *"}) {
    CAPTURE(text);
    auto refused = parse_cron(text);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
  }
  auto schedule = parse_schedule("cron 50-59/2147483600 * * * *");
  REQUIRE(schedule);
}

TEST_CASE("parse_duration reads the amounts `every` takes, zero when allowed", "[schedule]") {
  using emsync::schedule::parse_duration;
  CHECK(parse_duration("15m", false).value() == std::chrono::minutes(15));
  CHECK(parse_duration("1d", false).value() == std::chrono::hours(24));
  CHECK(parse_duration("0s", true).value() == std::chrono::seconds(0));
  CHECK_THAT(parse_duration("0s", false).error().message, Catch::Equals("must be at least 1 second"));
  CHECK_THAT(parse_duration("15", true).error().message,
             Catch::StartsWith("must be a whole number followed by s, m, h or d"));
  CHECK_THAT(parse_duration("366d", true).error().message, Catch::Equals("must be at most 365 days"));
}
