// Activation schedules: parsing the "schedule" text of an activation and
// computing when it is next due. Pure: no clock, no I/O, no Asio; the caller
// passes `now` and the start of the previous run.
//
// Accepted forms (keywords and names are case-insensitive):
//
//   manual                     never run by the scheduler, only on request
//   every 30s | 15m | 4h | 1d  a fixed interval, measured from the previous
//                              run's start (at least 1s, at most 365d)
//   daily 07:00                every day at HH:MM (24 hour clock)
//   weekly mon,thu 07:00       on the listed days (mon..sun, no duplicates)
//   cron */10 * * * *          a standard 5-field cron expression
//
// daily, weekly and cron times are local times in the schedule's time zone,
// an IANA name such as "Europe/Paris" (default "UTC"); `every` intervals are
// absolute and ignore it. Across daylight saving time changes:
//
//  - a skipped local time (spring forward: 02:30 when clocks jump from 02:00
//    to 03:00) runs once, at the first valid instant after the gap (03:00);
//    several skipped slots ("*/10" through the gap) also give one run there;
//  - a repeated local time (fall back: 02:30 when clocks go from 03:00 back to
//    02:00) runs once, at its first occurrence; the slots of the repeated
//    hour do not run again on the second pass.
//
// Example:
//
//   auto s = emsync::schedule::parse_schedule("daily 07:00", "Europe/Paris");
//   if (!s) return s.error();  // Errc::invalid_input, message names the problem
//   std::optional<TimePoint> due = next_run(*s, last_start, now);
//   if (due && *due <= now) start_run();
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace date {
class time_zone;  // Howard Hinnant's date/tz.h, included by schedule.cpp only
}

namespace emsync::schedule {

// Whole seconds since the Unix epoch, UTC.
using TimePoint = std::chrono::sys_seconds;

enum class Kind { manual, interval, daily, weekly, cron };

// "manual", "interval", "daily", "weekly" or "cron".
const char* to_string(Kind kind);

// The minutes a calendar schedule (daily, weekly, cron) fires at. daily and
// weekly schedules are compiled to this form too.
//
// A day matches when its day of month and its day of week both match, except
// that when both fields are restricted a day matches if either one does (the
// Vixie cron rule). As in Vixie cron, a field counts as unrestricted when its
// text starts with '*' (so "*/2" in day-of-month is "unrestricted" for this
// rule while still selecting odd days only).
struct CalendarSpec {
  std::bitset<60> minutes;        // 0..59
  std::bitset<24> hours;          // 0..23
  std::bitset<32> days_of_month;  // 1..31 (bit 0 unused)
  std::bitset<13> months;         // 1..12 (bit 0 unused)
  std::bitset<7> days_of_week;    // 0 = Sunday .. 6 = Saturday
  bool day_of_month_star = true;  // the day-of-month field started with '*'
  bool day_of_week_star = true;   // the day-of-week field started with '*'
};

// A parsed schedule. Build it with parse_schedule(); the fields used depend
// on `kind`: `interval` for Kind::interval, `calendar` (read in `zone`) for
// daily, weekly and cron, neither for manual.
struct Schedule {
  Kind kind = Kind::manual;
  std::string text = "manual";  // the trimmed source text, for messages
  std::chrono::seconds interval{0};
  CalendarSpec calendar;
  std::string time_zone = "UTC";  // the zone's name, as given
  // The zone from the tz database (which keeps it for the program's life);
  // nullptr for UTC.
  const date::time_zone* zone = nullptr;
};

// Parses one of the forms above, to be run in `time_zone` (an IANA name from
// the OS tz database, /usr/share/zoneinfo, or "UTC"). Leading and trailing
// whitespace is ignored; tokens are separated by one or more spaces or tabs.
// On failure returns Errc::invalid_input with a message that quotes the text,
// says what is wrong and lists the accepted forms, e.g.
//   "schedule 'every 0m': the interval must be at least 1 second (accepted: ...)",
// or, for a valid schedule in an unknown zone,
//   "timezone 'Mars/Olympus' is not a known time zone: use an IANA name ...".
// (Errc::io_error when the tz database itself cannot be read.)
Result<Schedule> parse_schedule(std::string_view text, std::string_view time_zone = "UTC");

// A duration as `every` takes it: a whole number followed by s, m, h or d
// ("30s", "15m", "4h", "1d"), at most 365 days; zero only with allow_zero.
// On failure returns Errc::invalid_input with the problem, e.g. "must be a
// whole number followed by s, m, h or d, e.g. '15m'" (the caller names the
// key).
Result<std::chrono::seconds> parse_duration(std::string_view text, bool allow_zero);

// Parses the 5 fields of a cron expression ("*/10 * * * *"): minute (0-59),
// hour (0-23), day-of-month (1-31), month (1-12 or jan..dec), day-of-week
// (0-7 or sun..sat, 0 and 7 both Sunday). Each field is a comma list of `*`,
// `n`, `a-b`, `*/n` or `a-b/n` (a step n from 1 to 2147483647; one larger
// than the range selects its start alone). An expression that matches no date at all
// ("0 0 30 2 *") is an error saying it never matches. Messages name the field
// but not the schedule (parse_schedule adds that).
Result<CalendarSpec> parse_cron(std::string_view fields);

// The first minute t >= from (from rounded up to a whole minute) that `spec`
// matches, or nullopt if none within 400 years (the Gregorian cycle, so never).
// Pure calendar arithmetic: next_run also uses it on local times (a local
// date and time written as the UTC instant with the same fields).
std::optional<TimePoint> next_match(const CalendarSpec& spec, TimePoint from);

// When the activation is next due, or nullopt for a manual schedule (or a
// calendar that never matches, which parse_schedule rejects). The result may
// be <= now, meaning "run now"; it is never earlier than `now` when a run is
// overdue, so missed runs collapse into one catch-up run:
//
//  - interval: last_run_start + interval, or `now` when that is already past
//    or when there was no previous run.
//  - daily, weekly, cron: the first matching minute strictly after
//    last_run_start, or, when there was no previous run, the first matching
//    minute at or after `now`. If that is <= now (a slot missed while the
//    daemon was down), `now`: one catch-up run, after which the next call
//    (with last_run_start = that run's start) returns the next future slot.
//    In a zone, minutes are searched in local time from the local time of
//    last_run_start (or of `now`), and each matching local minute gives the
//    instant it names: the only one; for a skipped minute, the end of the
//    gap; for a repeated one, the earlier of its two instants after
//    last_run_start. A minute whose instant is not after last_run_start (a
//    second skipped minute of the same gap) is passed over.
std::optional<TimePoint> next_run(const Schedule& s, std::optional<TimePoint> last_run_start,
                                  TimePoint now);

}  // namespace emsync::schedule
