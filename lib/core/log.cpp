#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>

namespace emsync {

namespace {

// log_event's payload is k_event_marker <event> k_event_marker <fields as a
// JSON object>: the formatter flags below recognise it by its first byte (no
// ordinary message starts with an ASCII record separator) and lay it out per
// format, so events and plain spdlog lines share one logger and one sink.
constexpr char k_event_marker = '\x1e';

// Keys every JSON line has; a field of the same name is renamed field_<name>.
constexpr std::array<std::string_view, 6> k_line_keys = {"ts",  "level",   "msg",
                                                         "pid", "version", "logger"};

struct EventView {
  std::string_view event;
  std::string_view fields;  // a JSON object
};

std::optional<EventView> as_event(const spdlog::details::log_msg& msg) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  if (payload.empty() || payload.front() != k_event_marker) {
    return std::nullopt;
  }
  const auto end = payload.find(k_event_marker, 1);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  return EventView{payload.substr(1, end - 1), payload.substr(end + 1)};
}

std::string json_string(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// A logfmt value: bare when it is a number, boolean, null or a plain word;
// otherwise quoted and escaped as a JSON string (", \ and control characters).
std::string logfmt_value(const nlohmann::json& value) {
  if (!value.is_string() && !value.is_structured()) {
    return value.dump();
  }
  const std::string text =
      value.is_string() ? value.get<std::string>()
                        : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const bool bare = !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
           c == '\x7f';
  });
  return bare ? text : json_string(text);
}

// A pattern flag without state: every sink's formatter gets its own copy.
template <typename Self>
class StatelessFlag : public spdlog::custom_flag_formatter {
 public:
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<Self>();
  }
};

// %j (json): the message, or the event name, as a JSON string literal.
class JsonMessageFlag : public StatelessFlag<JsonMessageFlag> {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto event = as_event(msg);
    append(dest, json_string(event ? event->event
                                   : std::string_view(msg.payload.data(), msg.payload.size())));
  }
};

// %k (json): an event's fields as top-level members, each preceded by a comma.
class JsonFieldsFlag : public StatelessFlag<JsonFieldsFlag> {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto event = as_event(msg);
    if (!event || event->fields.size() <= 2) {  // not an event, or "{}"
      return;
    }
    append(dest, ",");
    append(dest, event->fields.substr(1, event->fields.size() - 2));
  }
};

// %q (text): the message, or "<event> key=value ..." in logfmt.
class TextMessageFlag : public StatelessFlag<TextMessageFlag> {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto event = as_event(msg);
    if (!event) {
      dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
      return;
    }
    append(dest, event->event);
    const auto fields = nlohmann::json::parse(event->fields);
    for (const auto& [key, value] : fields.items()) {
      append(dest, " ");
      append(dest, key);
      append(dest, "=");
      append(dest, logfmt_value(value));
    }
  }
};

// %N: the line's sd-daemon priority, e.g. "<6>" for info.
class PriorityFlag : public StatelessFlag<PriorityFlag> {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append(dest, priority_prefix(msg.level));
  }

 private:
  static std::string_view priority_prefix(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        return "<7>";
      case spdlog::level::warn:
        return "<4>";
      case spdlog::level::err:
        return "<3>";
      case spdlog::level::critical:
        return "<2>";
      default:
        return "<6>";
    }
  }
};

bool stderr_is_journal() {
  const char* journal_stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  return journal_stream != nullptr && fstat(STDERR_FILENO, &st) == 0 &&
         is_journal_stream(journal_stream, st.st_dev, st.st_ino);
}

// The fields as the JSON object text of the payload, line keys renamed.
std::string fields_text(const nlohmann::json& fields) {
  if (fields.is_null()) {
    return "{}";
  }
  if (!fields.is_object()) {
    return fields_text(nlohmann::json{{"fields", fields}});
  }
  nlohmann::json renamed = nlohmann::json::object();
  for (const auto& [key, value] : fields.items()) {
    const bool clashes =
        std::find(k_line_keys.begin(), k_line_keys.end(), key) != k_line_keys.end();
    renamed[clashes ? "field_" + key : key] = value;
  }
  return renamed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(std::string_view format, bool to_journal) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<PriorityFlag>('N');
  const std::string prefix = to_journal ? "%N" : "";
  if (format == "json") {
    formatter->add_flag<JsonMessageFlag>('j').add_flag<JsonFieldsFlag>('k').set_pattern(
        prefix + R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%j,"pid":%P,"version":)" +
        json_string(EMSYNC_VERSION) + R"(,"logger":"%n"%k})");
  } else {
    formatter->add_flag<TextMessageFlag>('q').set_pattern(
        prefix + (to_journal ? "%l %q" : "%Y-%m-%dT%H:%M:%S.%eZ %l %q"));
  }
  return formatter;
}

bool is_journal_stream(std::string_view journal_stream, dev_t stderr_dev, ino_t stderr_ino) {
  const auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  // Both parse in full as decimal numbers, as systemd writes them.
  const auto parse = [](std::string_view text, auto& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && !text.empty();
  };
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  return parse(journal_stream.substr(0, colon), dev) && parse(journal_stream.substr(colon + 1), ino) &&
         dev == stderr_dev && ino == stderr_ino;
}

Result<void> setup_logging(const std::string& level, const std::string& format) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return make_error(Errc::invalid_input, "log.level '" + level +
                                               "' is not one of trace, debug, info, warn, error");
  }
  auto logger = spdlog::stderr_logger_mt("emsyncd");
  logger->set_level(parsed);
  logger->set_formatter(make_log_formatter(format, stderr_is_journal()));
  spdlog::set_default_logger(logger);
  return ok();
}

void log_event(spdlog::level::level_enum level, std::string_view event,
               const nlohmann::json& fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) {
    return;
  }
  std::string payload;
  payload += k_event_marker;
  payload += event;
  payload += k_event_marker;
  payload += fields_text(fields);
  logger->log(level, spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace emsync
