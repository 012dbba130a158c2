// Schedule and cron parsing and the next-run computation (lib/schedule).
//
// Input: text lines: the schedule; then optionally the time zone (default
// UTC), `now` and the previous run's start, both in seconds since the epoch.
// Invariants: a parsed schedule's own text parses to the same schedule;
// next_run is never before `now` (and an interval's is exactly its rule);
// the minute next_match finds is selected by the spec and is its own next
// match, and nothing between the start and it matches.
#include <charconv>
#include <optional>
#include <vector>

#include "check.hpp"
#include "schedule/schedule.hpp"

namespace {

using namespace emsync;
using namespace emsync::schedule;
using namespace std::chrono;

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    const auto end = text.find('\n');
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) {
      return out;
    }
    text.remove_prefix(end + 1);
  }
}

// Seconds in [0, 2^32), or nullopt.
std::optional<TimePoint> epoch_seconds(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return TimePoint(std::chrono::seconds(value));
}

bool same(const CalendarSpec& a, const CalendarSpec& b) {
  return a.minutes == b.minutes && a.hours == b.hours && a.days_of_month == b.days_of_month &&
         a.months == b.months && a.days_of_week == b.days_of_week &&
         a.day_of_month_star == b.day_of_month_star && a.day_of_week_star == b.day_of_week_star;
}

void check_next_match(const CalendarSpec& spec, TimePoint from) {
  const auto found = next_match(spec, from);
  FUZZ_CHECK(found.has_value());  // parse_cron refuses a spec that never matches
  const TimePoint start = ceil<minutes>(from);
  FUZZ_CHECK(*found >= start && *found == floor<minutes>(*found));
  const sys_days day = floor<days>(*found);
  const year_month_day ymd(day);
  const auto hour = floor<hours>(*found - day);
  const auto minute = floor<minutes>(*found - day - hour);
  FUZZ_CHECK(spec.months[static_cast<unsigned>(ymd.month())]);
  FUZZ_CHECK(spec.hours[static_cast<std::size_t>(hour.count())]);
  FUZZ_CHECK(spec.minutes[static_cast<std::size_t>(minute.count())]);
  FUZZ_CHECK(next_match(spec, *found) == found);
  if (*found > start) {
    FUZZ_CHECK(next_match(spec, start + minutes(1)) == found);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = lines(fuzz::as_text(data, size));
  const std::string_view text = input[0];
  const std::string_view zone = input.size() > 1 && !input[1].empty() ? input[1] : "UTC";
  const TimePoint now =
      (input.size() > 2 ? epoch_seconds(input[2]) : std::nullopt).value_or(TimePoint(1'700'000'000s));
  const std::optional<TimePoint> last = input.size() > 3 ? epoch_seconds(input[3]) : std::nullopt;

  if (auto spec = parse_cron(text)) {
    check_next_match(*spec, now);
  }

  auto parsed = parse_schedule(text, zone);
  if (!parsed) {
    return 0;
  }
  auto again = parse_schedule(parsed->text, parsed->time_zone);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->kind == parsed->kind && again->text == parsed->text &&
             again->interval == parsed->interval && same(again->calendar, parsed->calendar) &&
             again->zone == parsed->zone);

  if (parsed->kind != Kind::manual && parsed->kind != Kind::interval) {
    check_next_match(parsed->calendar, now);
  }

  const auto due = next_run(*parsed, last, now);
  FUZZ_CHECK(due.has_value() == (parsed->kind != Kind::manual));
  if (due) {
    FUZZ_CHECK(*due >= now);
    if (parsed->kind == Kind::interval) {
      FUZZ_CHECK(*due == (last ? std::max(*last + parsed->interval, now) : now));
    } else if (last) {
      FUZZ_CHECK(*due > *last);
    }
  }
  return 0;
}
