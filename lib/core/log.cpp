#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
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

// Lines at info and above go to operators and log pipelines: no email there.
bool keeps_emails(spdlog::level::level_enum level) { return level < spdlog::level::info; }

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// Bytes of UTF-8 sequences count as letters: "jürgen@bücher.de" is one email.
bool is_local_part_char(unsigned char c) {
  return is_ascii_alnum(c) || c >= 0x80 || std::string_view("._%+-").find(static_cast<char>(c)) !=
                                                   std::string_view::npos;
}
bool is_domain_char(unsigned char c) { return is_ascii_alnum(c) || c >= 0x80 || c == '.' || c == '-'; }

// A domain with a dot after its first character followed by two letters.
bool has_top_level_domain(std::string_view domain) {
  for (auto dot = domain.find('.', 1); dot != std::string_view::npos && dot + 2 < domain.size();
       dot = domain.find('.', dot + 1)) {
    const auto letter = [&](std::size_t i) {
      return std::isalpha(static_cast<unsigned char>(domain[i])) != 0;
    };
    if (letter(dot + 1) && letter(dot + 2)) {
      return true;
    }
  }
  return false;
}

// `text` with every email-like word (local@domain.tld) replaced by "<email>".
// Errors from a source or from Emarsys may quote a row; this keeps its key
// out of the lines operators see, whatever the message.
std::string without_emails(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for (auto at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    auto begin = at;
    while (begin > copied && is_local_part_char(static_cast<unsigned char>(text[begin - 1]))) {
      --begin;
    }
    auto end = at + 1;
    while (end < text.size() && is_domain_char(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    if (begin == at || !has_top_level_domain(text.substr(at + 1, end - at - 1))) {
      continue;
    }
    out.append(text.substr(copied, begin - copied));
    out.append("<email>");
    copied = end;
    at = end - 1;
  }
  out.append(text.substr(copied));
  return out;
}

// A plain (not log_event) line's message, emails removed at info and above.
std::string plain_message(const spdlog::details::log_msg& msg) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  return keeps_emails(msg.level) ? std::string(payload) : without_emails(payload);
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
    append(dest, json_string(event ? std::string(event->event) : plain_message(msg)));
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
      append(dest, plain_message(msg));
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

// The fields as the JSON object text of the payload: line keys renamed, and
// emails removed from strings unless `level` keeps them.
std::string fields_text(const nlohmann::json& fields, spdlog::level::level_enum level) {
  if (fields.is_null()) {
    return "{}";
  }
  if (!fields.is_object()) {
    return fields_text(nlohmann::json{{"fields", fields}}, level);
  }
  nlohmann::json cleaned = nlohmann::json::object();
  for (const auto& [key, value] : fields.items()) {
    const bool clashes =
        std::find(k_line_keys.begin(), k_line_keys.end(), key) != k_line_keys.end();
    cleaned[clashes ? "field_" + key : key] =
        value.is_string() && !keeps_emails(level)
            ? nlohmann::json(without_emails(value.get_ref<const std::string&>()))
            : value;
  }
  return cleaned.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
  payload += fields_text(fields, level);
  logger->log(level, spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace emsync
