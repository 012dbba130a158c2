#include "schedule/schedule.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <string>
#include <variant>
#include <vector>

namespace emsync::schedule {

namespace {

using namespace std::chrono;

const char* const k_accepted =
    " (accepted: 'manual', 'every <n>s|m|h|d', 'daily HH:MM', 'weekly mon,thu HH:MM', "
    "'cron <minute> <hour> <day-of-month> <month> <day-of-week>')";

const char* const k_weekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::string lower(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Digits only, no sign; nullopt on anything else or overflow.
std::optional<long long> parse_digits(std::string_view text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "15m": the duration, or the problem.
std::variant<seconds, std::string> parse_amount(std::string_view amount, bool allow_zero,
                                                std::string_view what) {
  const auto must_be = [&](std::string_view rest) {
    return (what.empty() ? std::string() : std::string(what) + " ") + "must be " + std::string(rest);
  };
  const std::string form = must_be("a whole number followed by s, m, h or d, e.g. '15m'");
  if (amount.size() < 2) return form;
  const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(amount.back())));
  auto count = parse_digits(amount.substr(0, amount.size() - 1));
  long long unit_seconds = unit == 's'   ? 1
                           : unit == 'm' ? 60
                           : unit == 'h' ? 3600
                           : unit == 'd' ? 86400
                                         : 0;
  if (!count || unit_seconds == 0) return form;
  constexpr long long k_max = 365LL * 86400;
  if (*count == 0 && !allow_zero) return must_be("at least 1 second");
  if (*count > k_max / unit_seconds) return must_be("at most 365 days");
  return seconds(*count * unit_seconds);
}

// "every 15m": the interval, or the problem.
std::variant<seconds, std::string> parse_interval(std::string_view amount) {
  return parse_amount(amount, false, "the interval");
}

// "07:00" (or "7:00"): minutes since midnight, or nullopt.
std::optional<int> parse_time_of_day(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) {
    return std::nullopt;
  }
  auto hour = parse_digits(text.substr(0, colon));
  auto minute = parse_digits(text.substr(colon + 1));
  if (!hour || !minute || *hour > 23 || *minute > 59) return std::nullopt;
  return static_cast<int>(*hour * 60 + *minute);
}

CalendarSpec at_time_of_day(int minute_of_day) {
  CalendarSpec spec;
  spec.minutes.set(static_cast<std::size_t>(minute_of_day % 60));
  spec.hours.set(static_cast<std::size_t>(minute_of_day / 60));
  spec.days_of_month.set();
  spec.days_of_month.reset(0);
  spec.months.set();
  spec.months.reset(0);
  spec.days_of_week.set();
  return spec;
}

// Parses the schedule, or returns the problem (without the "schedule '...'" prefix).
std::variant<Schedule, std::string> parse(std::string_view text) {
  std::vector<std::string_view> parts = tokens(text);
  if (parts.empty()) return std::string("the schedule is empty");
  const std::string keyword = lower(parts[0]);
  Schedule s;
  s.text = std::string(text);
  if (keyword == "manual") {
    if (parts.size() != 1) return std::string("'manual' takes no arguments");
    s.kind = Kind::manual;
    return s;
  }
  if (keyword == "every") {
    if (parts.size() != 2) return std::string("'every' takes one interval, e.g. 'every 15m'");
    auto interval = parse_interval(parts[1]);
    if (auto* problem = std::get_if<std::string>(&interval)) return *problem;
    s.kind = Kind::interval;
    s.interval = std::get<seconds>(interval);
    return s;
  }
  if (keyword == "daily" || keyword == "weekly") {
    const bool weekly = keyword == "weekly";
    const std::size_t want = weekly ? 3 : 2;
    if (parts.size() != want) {
      return weekly ? std::string("'weekly' takes days and a time, e.g. 'weekly mon,thu 07:00'")
                    : std::string("'daily' takes one time, e.g. 'daily 07:00'");
    }
    auto minute_of_day = parse_time_of_day(parts.back());
    if (!minute_of_day) {
      return "the time '" + std::string(parts.back()) + "' is not HH:MM (00:00 to 23:59)";
    }
    s.kind = weekly ? Kind::weekly : Kind::daily;
    s.calendar = at_time_of_day(*minute_of_day);
    if (!weekly) return s;
    s.calendar.days_of_week.reset();
    s.calendar.day_of_week_star = false;
    std::string_view days = parts[1];
    std::size_t start = 0;
    while (true) {
      std::size_t end = days.find(',', start);
      std::string_view day = days.substr(start, end == days.npos ? end : end - start);
      std::string name = lower(day);
      std::size_t index = 7;
      for (std::size_t i = 0; i < 7; ++i) {
        if (name == k_weekdays[i]) index = i;
      }
      if (index == 7) {
        return "'" + std::string(day) + "' is not a day: use mon, tue, wed, thu, fri, sat, sun";
      }
      if (s.calendar.days_of_week[index]) return "the day '" + std::string(day) + "' is repeated";
      s.calendar.days_of_week.set(index);
      if (end == days.npos) break;
      start = end + 1;
    }
    return s;
  }
  if (keyword == "cron") {
    auto spec = parse_cron(text.substr(parts[0].size()));
    if (!spec) return spec.error().message;
    s.kind = Kind::cron;
    s.calendar = *spec;
    return s;
  }
  return "unknown schedule '" + std::string(parts[0]) + "'";
}

// The zone named `name` from the OS tz database; nullptr for "UTC", which
// needs no database.
Result<const date::time_zone*> find_zone(std::string_view name) {
  if (name == "UTC") return nullptr;
  try {
    date::get_tzdb();
  } catch (const std::exception& e) {
    const std::string problem(trim(e.what()));  // what() may end with a newline
    return make_error(Errc::io_error, "cannot read the time zone database (" + problem +
                                          "): is the tzdata package installed?");
  }
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return make_error(Errc::invalid_input,
                      "timezone '" + std::string(name) +
                          "' is not a known time zone: use an IANA name such as 'Europe/Paris' "
                          "or 'America/New_York', or 'UTC'");
  }
}

// Local date and time are written as the UTC instant with the same fields
// (see next_match).
TimePoint local_of(const date::time_zone* zone, TimePoint instant) {
  return zone ? instant + zone->get_info(instant).offset : instant;
}

// The instants a local minute names in `zone`, earlier first: the same one
// twice, except in a fall-back hour (the local minute happens twice). A
// minute skipped by spring-forward names the end of the gap.
std::pair<TimePoint, TimePoint> instants_of(const date::time_zone* zone, TimePoint local) {
  if (!zone) return {local, local};
  const date::local_info info = zone->get_info(date::local_seconds(local.time_since_epoch()));
  switch (info.result) {
    case date::local_info::nonexistent:
      return {info.second.begin, info.second.begin};
    case date::local_info::ambiguous:
      return {local - info.first.offset, local - info.second.offset};
    default:
      return {local - info.first.offset, local - info.first.offset};
  }
}

// The first slot of `spec` in `zone` (nullptr: UTC) strictly after
// last_run_start, or at or after `now` when there was none, by the DST rules
// of next_run: local minutes are searched from the local time of that start,
// and a minute is kept when one of its instants falls after it too.
std::optional<TimePoint> next_slot(const CalendarSpec& spec, const date::time_zone* zone,
                                   std::optional<TimePoint> last_run_start, TimePoint now) {
  // Seconds are whole, so "strictly after" is "at or after one second later".
  const TimePoint not_before = last_run_start ? *last_run_start + seconds(1) : now;
  const TimePoint local_from =
      last_run_start ? local_of(zone, *last_run_start) + seconds(1) : local_of(zone, now);
  std::optional<TimePoint> local = next_match(spec, local_from);
  while (local) {
    const auto [earlier, later] = instants_of(zone, *local);
    if (earlier >= not_before) return earlier;
    if (later >= not_before) return later;
    local = next_match(spec, *local + minutes(1));
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::manual:
      return "manual";
    case Kind::interval:
      return "interval";
    case Kind::daily:
      return "daily";
    case Kind::weekly:
      return "weekly";
    case Kind::cron:
      return "cron";
  }
  return "?";
}

Result<Schedule> parse_schedule(std::string_view text, std::string_view time_zone) {
  text = trim(text);
  auto parsed = parse(text);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    return make_error(Errc::invalid_input,
                      "schedule '" + std::string(text) + "': " + *problem + k_accepted);
  }
  auto zone = find_zone(time_zone);
  if (!zone) return zone.error();
  Schedule s = std::get<Schedule>(std::move(parsed));
  s.time_zone = std::string(time_zone);
  s.zone = *zone;
  return s;
}

std::optional<TimePoint> next_run(const Schedule& s, std::optional<TimePoint> last_run_start,
                                  TimePoint now) {
  switch (s.kind) {
    case Kind::manual:
      return std::nullopt;
    case Kind::interval:
      if (!last_run_start) return now;
      return std::max(*last_run_start + s.interval, now);
    case Kind::daily:
    case Kind::weekly:
    case Kind::cron: {
      std::optional<TimePoint> due = next_slot(s.calendar, s.zone, last_run_start, now);
      if (!due) return std::nullopt;
      return std::max(*due, now);  // a missed slot: one catch-up run now
    }
  }
  return std::nullopt;
}

Result<std::chrono::seconds> parse_duration(std::string_view text, bool allow_zero) {
  auto parsed = parse_amount(text, allow_zero, "");
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    return make_error(Errc::invalid_input, *problem);
  }
  return std::get<seconds>(parsed);
}

}  // namespace emsync::schedule
