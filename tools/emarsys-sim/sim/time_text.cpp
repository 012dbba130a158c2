// ISO 8601 / date parsing and formatting (see time_text.hpp).
#include "sim/time_text.hpp"

#include <cstdio>

namespace emsync::sim {
namespace {

using namespace std::chrono;

// Parses text[pos, pos+len) as unsigned decimal digits.
bool digits_at(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

std::optional<sys_days> parse_date_prefix(std::string_view text) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (!digits_at(text, 0, 4, y) || text.size() < 10 || text[4] != '-' ||
      !digits_at(text, 5, 2, m) || text[7] != '-' || !digits_at(text, 8, 2, d)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(m)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return sys_days(date);
}

// "Z", "+HH:MM", "+HHMM" (or "-") as minutes east of UTC.
std::optional<int> parse_zone(std::string_view zone) {
  if (zone == "Z") {
    return 0;
  }
  int hh = 0;
  int mm = 0;
  const bool colon = zone.size() == 6 && zone[3] == ':';
  if ((zone.size() != 5 && !colon) || (zone[0] != '+' && zone[0] != '-') ||
      !digits_at(zone, 1, 2, hh) || !digits_at(zone, colon ? 4 : 3, 2, mm) || mm > 59) {
    return std::nullopt;
  }
  return (zone[0] == '-' ? -1 : 1) * (hh * 60 + mm);
}

}  // namespace

std::optional<Clock::time_point> parse_iso8601(std::string_view text) {
  const std::optional<sys_days> date = parse_date_prefix(text);
  int h = 0;
  int m = 0;
  int s = 0;
  if (!date || text.size() < 20 || text[10] != 'T' || !digits_at(text, 11, 2, h) ||
      text[13] != ':' || !digits_at(text, 14, 2, m) || text[16] != ':' ||
      !digits_at(text, 17, 2, s) || h > 23 || m > 59 || s > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  milliseconds fraction{0};
  if (text[pos] == '.') {
    const std::size_t start = ++pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += milliseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  const std::optional<int> zone = parse_zone(text.substr(pos));
  if (!zone) {
    return std::nullopt;
  }
  return Clock::time_point(*date) + hours(h) + minutes(m) + seconds(s) + fraction - minutes(*zone);
}

bool is_valid_date(std::string_view text) {
  return text.size() == 10 && parse_date_prefix(text).has_value();
}

std::string format_datetime(Clock::time_point t) {
  const sys_seconds secs = floor<seconds>(t);
  const sys_days days = floor<std::chrono::days>(secs);
  const year_month_day date{days};
  const hh_mm_ss time{secs - days};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u %02d:%02d:%02d", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()));
  return buffer;
}

}  // namespace emsync::sim
