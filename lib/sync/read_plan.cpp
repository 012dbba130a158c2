#include "sync/read_plan.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/hash.hpp"

namespace emsync::sync {

namespace {

using source::ColumnType;

constexpr std::int64_t k_micros_per_second = 1'000'000;
constexpr std::int64_t k_seconds_per_day = 86'400;
constexpr std::int64_t k_micros_per_day = k_seconds_per_day * k_micros_per_second;

// The digits of text[from, from + count) as a number, or nullopt.
std::optional<std::int64_t> digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "YYYY-MM-DD" at the start of `text`: days since 1970-01-01.
std::optional<std::int64_t> parse_days(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  if (!year || !month || !day) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*year)),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date).time_since_epoch().count();
}

// "YYYY-MM-DD HH:MM:SS[.f...]": microseconds since the epoch (finer digits cut).
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  const auto days = parse_days(text);
  if (!days || text.size() < 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::int64_t micros = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20 || text.size() > 29) {
      return std::nullopt;
    }
    const std::size_t count = text.size() - 20;
    const auto fraction = digits(text, 20, count);
    if (!fraction) {
      return std::nullopt;
    }
    micros = *fraction;
    for (std::size_t i = count; i < 6; ++i) {
      micros *= 10;
    }
    for (std::size_t i = 6; i < count; ++i) {
      micros /= 10;
    }
  }
  return *days * k_micros_per_day + ((*hour * 60 + *minute) * 60 + *second) * k_micros_per_second +
         micros;
}

// "42", "-7", or a whole numeric such as "42.000".
std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (const std::size_t point = text.find('.'); point != std::string_view::npos) {
    if (text.find_first_not_of('0', point + 1) != std::string_view::npos) {
      return std::nullopt;
    }
    text = text.substr(0, point);
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
  constexpr auto low = std::numeric_limits<std::int64_t>::min();
  return a < low + b ? low : a - b;
}

std::string two(std::int64_t value) {
  return std::string(1, static_cast<char>('0' + value / 10)) +
         static_cast<char>('0' + value % 10);
}

std::string date_text(std::int64_t days) {
  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  std::string year = std::to_string(static_cast<int>(date.year()));
  year.insert(0, year.size() < 4 ? 4 - year.size() : 0, '0');
  return year + "-" + two(static_cast<unsigned>(date.month())) + "-" +
         two(static_cast<unsigned>(date.day()));
}

std::string timestamp_text(std::int64_t micros) {
  const std::int64_t days = floor_div(micros, k_micros_per_day);
  const std::int64_t in_day = micros - days * k_micros_per_day;
  const std::int64_t seconds = in_day / k_micros_per_second;
  std::string text = date_text(days) + " " + two(seconds / 3600) + ":" + two(seconds / 60 % 60) +
                     ":" + two(seconds % 60);
  if (const std::int64_t fraction = in_day % k_micros_per_second; fraction != 0) {
    const std::string fraction_digits = std::to_string(fraction);
    text += "." + std::string(6 - fraction_digits.size(), '0') + fraction_digits;
  }
  return text;
}

std::optional<ColumnType> parse_cursor_type(const std::string& text) {
  for (ColumnType type : {ColumnType::integer, ColumnType::date, ColumnType::timestamp}) {
    if (text == source::to_string(type)) {
      return type;
    }
  }
  return std::nullopt;
}

// The lookback in the units of `type`'s cursor numbers (rounded up to whole
// days for a date), or why the configured one does not fit the type.
Result<std::int64_t> lookback_amount(const config::Activation& activation, ColumnType type) {
  const config::Incremental& incremental = *activation.incremental;
  const std::string prefix = "activation '" + activation.name + "': cursor column '" +
                             incremental.cursor_column + "' is " + source::to_string(type) + ": ";
  if (type == ColumnType::integer) {
    if (incremental.lookback_time) {
      return make_error(Errc::invalid_input,
                        prefix + "its lookback must be a whole number (0 or more), not a duration");
    }
    return incremental.lookback_count.value_or(0);
  }
  if (incremental.lookback_count) {
    return make_error(Errc::invalid_input,
                      prefix + "its lookback must be a duration such as '15m', not a number");
  }
  const std::int64_t seconds =
      incremental.lookback_time.value_or(config::k_default_lookback).count();
  if (type == ColumnType::date) {
    return (seconds + k_seconds_per_day - 1) / k_seconds_per_day;
  }
  return seconds * k_micros_per_second;
}

// Now as a cursor number of `type`; nullopt for an integer cursor.
std::optional<std::int64_t> now_number(ColumnType type, UnixMillis now) {
  switch (type) {
    case ColumnType::timestamp:
      return now * 1000;
    case ColumnType::date:
      return floor_div(now, k_seconds_per_day * 1000);
    default:
      return std::nullopt;
  }
}

ReadPlan full_read(ReadPlan plan, std::string reason) {
  plan.read = {};
  plan.filter.reset();
  plan.reason = std::move(reason);
  return plan;
}

}  // namespace

std::optional<ColumnType> cursor_type(ColumnType column_type) {
  switch (column_type) {
    case ColumnType::integer:
    case ColumnType::numeric:
      return ColumnType::integer;
    case ColumnType::date:
    case ColumnType::timestamp:
      return column_type;
    default:
      return std::nullopt;
  }
}

Result<void> check_cursor_column(const config::Activation& activation, ColumnType column_type) {
  const auto type = cursor_type(column_type);
  if (!type) {
    return make_error(Errc::invalid_input,
                      "activation '" + activation.name + "': cursor column '" +
                          activation.incremental->cursor_column + "' is " +
                          source::to_string(column_type) +
                          "; an incremental read needs a timestamp, date or integer column that "
                          "grows when a row changes");
  }
  auto lookback = lookback_amount(activation, *type);
  if (!lookback) {
    return lookback.error();
  }
  return ok();
}

std::optional<std::int64_t> cursor_number(ColumnType type, std::string_view text) {
  switch (type) {
    case ColumnType::integer:
    case ColumnType::numeric:
      return parse_integer(text);
    case ColumnType::date:
      return text.size() == 10 ? parse_days(text) : std::nullopt;
    case ColumnType::timestamp:
      return parse_timestamp(text);
    default:
      return std::nullopt;
  }
}

std::string cursor_text(ColumnType type, std::int64_t number) {
  switch (type) {
    case ColumnType::date:
      return date_text(number);
    case ColumnType::timestamp:
      return timestamp_text(number);
    default:
      return std::to_string(number);
  }
}

std::uint64_t read_fingerprint(const config::Activation& activation) {
  nlohmann::json definition = config::to_json(activation);
  nlohmann::json parts = nlohmann::json::object();
  for (const char* key :
       {"source", "destination", "query", "email_column", "fields", "custom_attributes"}) {
    parts[key] = definition[key];
  }
  parts["cursor_column"] =
      activation.incremental ? activation.incremental->cursor_column : std::string();
  return hash64(parts.dump());
}

Result<ReadPlan> plan_read(const config::Activation& activation, Scope scope,
                           const std::optional<store::ReadState>& stored, UnixMillis now) {
  ReadPlan plan;
  plan.stored = stored;
  plan.fingerprint = read_fingerprint(activation);
  if (!activation.incremental) {
    return full_read(std::move(plan), "the activation is not incremental");
  }
  const config::Incremental& incremental = *activation.incremental;
  if (scope == Scope::full) {
    return full_read(std::move(plan), "run --full");
  }
  if (!stored || !stored->watermark) {
    return full_read(std::move(plan), "no watermark is stored (a first run, or it was reset)");
  }
  if (stored->fingerprint != plan.fingerprint) {
    return full_read(std::move(plan), "the query or the mapping changed since the last read");
  }
  if (!stored->last_full_read_at) {
    return full_read(std::move(plan), "no full read has completed yet");
  }
  if (incremental.full_every &&
      now - *stored->last_full_read_at >=
          std::chrono::duration_cast<std::chrono::milliseconds>(*incremental.full_every).count()) {
    return full_read(std::move(plan), "full_every (" + config::duration_text(*incremental.full_every) +
                                          ") has passed since the last full read");
  }
  const auto type = parse_cursor_type(stored->cursor_type);
  const auto watermark = type ? cursor_number(*type, *stored->watermark) : std::nullopt;
  if (!watermark) {
    return full_read(std::move(plan), "the stored watermark is not readable");
  }
  auto lookback = lookback_amount(activation, *type);
  if (!lookback) {
    return lookback.error();
  }
  std::int64_t bound = saturating_sub(*watermark, *lookback);
  if (*type != ColumnType::integer) {  // not before 0001-01-01, the first day a bound can name
    bound = std::max(bound, *cursor_number(*type, *type == ColumnType::date
                                                      ? "0001-01-01"
                                                      : "0001-01-01 00:00:00"));
  }
  const std::string read_from = cursor_text(*type, bound);
  plan.read = {store::ReadKind::incremental, *stored->watermark, read_from};
  plan.filter = source::RowFilter{incremental.cursor_column, *type, read_from};
  plan.reason = "reads the rows whose " + incremental.cursor_column + " is at least " + read_from;
  return plan;
}

CursorTracker::CursorTracker(ColumnType type) : m_type(cursor_type(type).value_or(type)) {}

bool CursorTracker::see(const source::Value& value, bool spooled) {
  if (!value) {
    ++m_nulls;
    m_spooled_null = m_spooled_null || spooled;
    return true;
  }
  const auto number = cursor_number(m_type, *value);
  if (!number) {
    return false;
  }
  m_highest = std::max(m_highest.value_or(*number), *number);
  if (spooled) {
    m_lowest_spooled = std::min(m_lowest_spooled.value_or(*number), *number);
  }
  return true;
}

NextReadState next_read_state(const ReadEnd& end) {
  NextReadState next;
  if (end.cursor == nullptr) {
    return next;  // the read did not complete: nothing new is known
  }
  const ReadPlan& plan = end.plan;
  const CursorTracker& cursor = *end.cursor;
  const ColumnType type = cursor.type();
  const bool full = plan.read.kind == store::ReadKind::full;
  store::ReadState state;
  state.cursor_type = source::to_string(type);
  state.fingerprint = plan.fingerprint;
  if (full && end.reached_end) {
    state.last_full_read_at = end.now;
    state.last_full_read_rows = end.rows_read;
    state.last_full_read_stored = end.stored;
  } else if (plan.stored) {
    // A full read of another definition does not make this one's due later.
    if (plan.stored->fingerprint == plan.fingerprint) {
      state.last_full_read_at = plan.stored->last_full_read_at;
    }
    state.last_full_read_rows = plan.stored->last_full_read_rows;
    state.last_full_read_stored = plan.stored->last_full_read_stored;
  }
  std::optional<std::int64_t> watermark = cursor.highest();
  if (!full) {
    const auto stored = cursor_number(type, plan.read.watermark.value_or(""));
    if (!watermark || !stored || *watermark < *stored) {
      next.warnings.push_back(
          "the incremental read found no row at or after the watermark " +
          plan.read.watermark.value_or("") +
          ": the row that set it was deleted or its cursor went back (a source restored from "
          "a backup?); the next read is full");
      watermark.reset();
    }
  }
  if (watermark && !end.all_settled) {
    if (cursor.spooled_null()) {
      next.warnings.push_back(
          "rows whose cursor is NULL were not all settled, and only a full read selects them: "
          "the next read is full");
      watermark.reset();
    } else if (cursor.lowest_spooled()) {
      watermark = std::min(*watermark, *cursor.lowest_spooled());
    }
  }
  if (const auto now = now_number(type, end.now); watermark && now && *watermark > *now) {
    next.warnings.push_back("the highest cursor value read, " + cursor_text(type, *watermark) +
                            ", is ahead of the clock (" + cursor_text(type, *now) +
                            "): the watermark is clamped to now");
    watermark = now;
  }
  if (watermark) {
    state.watermark = cursor_text(type, *watermark);
  }
  next.state = std::move(state);
  return next;
}

}  // namespace emsync::sync
