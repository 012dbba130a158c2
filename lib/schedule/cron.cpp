// Cron expressions: parsing the 5 fields into a CalendarSpec, and the
// calendar search shared by daily, weekly and cron schedules.
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "schedule/schedule.hpp"

namespace emsync::schedule {

namespace {

using namespace std::chrono;

struct FieldRule {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is value first_named_value + i; nullptr if none
  int first_named_value;
  int name_count;
};

const char* const k_month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const k_day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const std::array<FieldRule, 5> k_rules = {{
    {"minute", 0, 59, nullptr, 0, 0},
    {"hour", 0, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, nullptr, 0, 0},
    {"month", 1, 12, k_month_names, 1, 12},
    {"day-of-week", 0, 7, k_day_names, 0, 7},
}};

std::vector<std::string_view> split(std::string_view text, char separator_or_space) {
  std::vector<std::string_view> parts;
  if (separator_or_space != ' ') {
    std::size_t start = 0;
    while (true) {
      std::size_t end = text.find(separator_or_space, start);
      parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return parts;
  }
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
  return parts;
}

Error field_error(const FieldRule& rule, std::string_view field, const std::string& problem) {
  return make_error(Errc::invalid_input, "cron " + std::string(rule.name) + " field '" +
                                             std::string(field) + "': " + problem);
}

// A number or (for month and day-of-week) a 3-letter name.
std::optional<int> parse_value(const FieldRule& rule, std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  }
  if (text.size() != 3) return std::nullopt;
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < rule.name_count; ++i) {
    if (lower == rule.names[i]) return rule.first_named_value + i;
  }
  return std::nullopt;
}

// Parses one field into the set of values it selects (bit v = value v).
Result<std::bitset<64>> parse_field(const FieldRule& rule, std::string_view field) {
  std::bitset<64> bits;
  std::string range_text =
      std::to_string(rule.min) + "-" + std::to_string(rule.max) +
      (rule.names ? std::string(rule.name_count == 12 ? " or jan..dec" : " or sun..sat") : "");
  for (std::string_view item : split(field, ',')) {
    if (item.empty()) return field_error(rule, field, "empty list item");
    int step = 1;
    std::string_view base = item;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() ||
          step < 1) {
        return field_error(
            rule, field,
            "step '" + std::string(step_text) + "' must be a whole number of at least 1");
      }
      if (base != "*" && base.find('-') == std::string_view::npos) {
        return field_error(rule, field, "a step needs a range: use '*/n' or 'a-b/n'");
      }
    }
    int low = rule.min;
    int high = rule.max;
    if (base != "*") {
      auto dash = base.find('-');
      std::string_view low_text = base.substr(0, dash);
      std::string_view high_text =
          dash == std::string_view::npos ? low_text : base.substr(dash + 1);
      auto lo = parse_value(rule, low_text);
      auto hi = parse_value(rule, high_text);
      for (auto [value, text] : {std::pair{lo, low_text}, std::pair{hi, high_text}}) {
        if (!value || *value < rule.min || *value > rule.max) {
          return field_error(rule, field,
                             "'" + std::string(text) + "' is not a value in " + range_text);
        }
      }
      if (*lo > *hi) {
        return field_error(rule, field,
                           "range '" + std::string(base) + "' runs backwards (write low-high)");
      }
      low = *lo;
      high = *hi;
    } else if (rule.max == 7) {
      high = 6;  // '*' in day-of-week: Sunday once
    }
    // A step past the range selects `low` alone (v += step could overflow).
    for (int v = low; v <= high; v = step > high - v ? high + 1 : v + step) {
      bits.set(static_cast<std::size_t>(v));
    }
  }
  return bits;
}

template <std::size_t N>
std::bitset<N> narrow(const std::bitset<64>& bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

bool day_matches(const CalendarSpec& spec, const year_month_day& ymd) {
  bool dom = spec.days_of_month[static_cast<unsigned>(ymd.day())];
  bool dow = spec.days_of_week[weekday(sys_days(ymd)).c_encoding()];
  if (spec.day_of_month_star || spec.day_of_week_star) return dom && dow;
  return dom || dow;
}

}  // namespace

Result<CalendarSpec> parse_cron(std::string_view fields) {
  std::vector<std::string_view> parts = split(fields, ' ');
  if (parts.size() != 5) {
    return make_error(Errc::invalid_input,
                      "cron needs 5 fields (minute hour day-of-month month day-of-week), got " +
                          std::to_string(parts.size()));
  }
  std::array<std::bitset<64>, 5> sets;
  for (std::size_t i = 0; i < 5; ++i) {
    auto bits = parse_field(k_rules[i], parts[i]);
    if (!bits) return bits.error();
    sets[i] = *bits;
  }
  if (sets[4][7]) {  // 7 is Sunday too
    sets[4].set(0);
    sets[4].reset(7);
  }
  CalendarSpec spec;
  spec.minutes = narrow<60>(sets[0]);
  spec.hours = narrow<24>(sets[1]);
  spec.days_of_month = narrow<32>(sets[2]);
  spec.months = narrow<13>(sets[3]);
  spec.days_of_week = narrow<7>(sets[4]);
  spec.day_of_month_star = parts[2].front() == '*';
  spec.day_of_week_star = parts[4].front() == '*';
  if (!next_match(spec, sys_days(2000y / January / 1))) {
    return make_error(Errc::invalid_input,
                      "cron expression never matches: no selected month has the selected day "
                      "of month (e.g. February 30)");
  }
  return spec;
}

std::optional<TimePoint> next_match(const CalendarSpec& spec, TimePoint from) {
  TimePoint t = ceil<minutes>(from);
  // 400 Gregorian years repeat exactly (days and weekdays), so a search this
  // long is exhaustive. Matching schedules stop early; each step skips a whole
  // month, day or hour that cannot match.
  const TimePoint end = t + days(146097);
  while (t < end) {
    const sys_days day = floor<days>(t);
    const year_month_day ymd(day);
    if (!spec.months[static_cast<unsigned>(ymd.month())]) {
      const year_month next = ymd.year() / ymd.month() + months(1);
      t = sys_days(next / 1);
      continue;
    }
    if (!day_matches(spec, ymd)) {
      t = day + days(1);
      continue;
    }
    const auto since_midnight = t - day;
    const auto hour = floor<hours>(since_midnight);
    if (!spec.hours[static_cast<std::size_t>(hour.count())]) {
      t = day + hour + hours(1);
      continue;
    }
    const auto minute = floor<minutes>(since_midnight - hour);
    if (!spec.minutes[static_cast<std::size_t>(minute.count())]) {
      t += minutes(1);
      continue;
    }
    return t;
  }
  return std::nullopt;
}

}  // namespace emsync::schedule
