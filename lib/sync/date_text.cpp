#include "sync/date_text.hpp"

namespace emsync::sync {

namespace {

// The value of text[pos, pos + count) as decimal digits, or -1.
int digits_at(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : k_days[month - 1];
}

}  // namespace

bool is_valid_date(std::string_view ymd) {
  if (ymd.size() != 10 || ymd[4] != '-' || ymd[7] != '-') {
    return false;
  }
  const int year = digits_at(ymd, 0, 4);
  const int month = digits_at(ymd, 5, 2);
  const int day = digits_at(ymd, 8, 2);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

std::optional<std::string_view> leading_date(std::string_view text) {
  if (text.size() < 10 || !is_valid_date(text.substr(0, 10))) {
    return std::nullopt;
  }
  const bool ends_ok = text.size() == 10 || text[10] == ' ' || text[10] == 'T';
  // PostgreSQL prints dates before year 1 as "0044-03-15 BC".
  const bool before_christ = text.ends_with(" BC");
  if (!ends_ok || before_christ) {
    return std::nullopt;
  }
  return text.substr(0, 10);
}

}  // namespace emsync::sync
