#include "config/json_reader.hpp"

#include <array>
#include <limits>

namespace emsync::config {

namespace {

// Keys that would hold a secret in the text, and where it goes instead.
constexpr std::array<std::string_view, 3> k_inline_secret_keys = {"secret", "password",
                                                                  "client_secret"};

bool is_inline_secret(std::string_view key) {
  for (std::string_view secret : k_inline_secret_keys) {
    if (key == secret) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    // Drop the "[json.exception.parse_error.101] " tag; keep line and column.
    std::string_view message = e.what();
    if (const auto tag_end = message.find("] "); tag_end != std::string_view::npos) {
      message.remove_prefix(tag_end + 2);
    }
    return make_error(Errc::invalid_input,
                      std::string(what) + " is not valid JSON: " + std::string(message));
  }
}

// Non-negative numbers parse as unsigned.
bool fits_int64(const Json& value, std::int64_t min) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    return number <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) &&
           static_cast<std::int64_t>(number) >= min;
  }
  return value.is_number_integer() && value.get<std::int64_t>() >= min;
}

std::string Problems::joined() const {
  std::string text;
  for (const std::string& message : m_messages) {
    text += text.empty() ? "" : "\n";
    text += message;
  }
  return text;
}

ObjectReader::ObjectReader(const Json& object, std::string path, std::string prefix,
                           Problems& problems)
    : m_object(object),
      m_path(std::move(path)),
      m_prefix(std::move(prefix)),
      m_problems(problems) {}

std::string ObjectReader::path_of(std::string_view key) const {
  return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
}

void ObjectReader::report(std::string_view key, std::string_view problem) {
  m_problems.add(m_prefix + "'" + path_of(key) + "' " + std::string(problem));
}

void ObjectReader::report_object(std::string_view problem) {
  m_problems.add(m_prefix + "'" + m_path + "' " + std::string(problem));
}

const Json* ObjectReader::get(std::string_view key, Need need) {
  m_read.emplace(key);
  const auto it = m_object.find(key);
  if (it == m_object.end()) {
    if (need == Need::required) {
      report(key, "is required");
    }
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Need need) {
  const Json* value = get(key, need);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string() || value->get_ref<const std::string&>().empty()) {
    report(key, "must be a non-empty string");
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, std::int64_t min,
                                                  Need need) {
  const Json* value = get(key, need);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!fits_int64(*value, min)) {
    report(key, min == 1 ? "must be a positive integer"
                         : "must be an integer of at least " + std::to_string(min));
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

std::optional<bool> ObjectReader::boolean(std::string_view key) {
  const Json* value = get(key, Need::optional);
  if (value != nullptr && !value->is_boolean()) {
    report(key, "must be true or false");
    return std::nullopt;
  }
  return value == nullptr ? std::nullopt : std::optional<bool>(value->get<bool>());
}

const Json* ObjectReader::object(std::string_view key, Need need) {
  const Json* value = get(key, need);
  if (value != nullptr && !value->is_object()) {
    report(key, "must be a JSON object");
    return nullptr;
  }
  return value;
}

void ObjectReader::finish() {
  for (const auto& [key, value] : m_object.items()) {
    if (m_read.contains(key)) {
      continue;
    }
    if (is_inline_secret(key)) {
      m_problems.add(m_prefix + "'" + path_of(key) + "': put the secret in a file (" + key +
                     "_file) or an environment variable (" + key + "_env), not in the config");
    } else {
      m_problems.add(m_prefix + "unknown key '" + path_of(key) + "'");
    }
  }
}

}  // namespace emsync::config
