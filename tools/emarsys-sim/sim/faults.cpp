// Fault configuration, the per-request draw and the counters (see faults.hpp).
#include "sim/faults.hpp"

#include <algorithm>

namespace emsync::sim {
namespace {

constexpr std::array<std::string_view, k_fault_kinds> k_names = {
    "reset_before", "429",         "500",  "502",    "503",           "504",
    "423",          "reset_after", "slow", "poison", "contact_error", "hostile_reply"};
constexpr std::array<std::string_view, 4> k_hostile_names = {"deep_ids", "deep_error_key",
                                                             "huge_open", "huge_array"};
constexpr long long k_max_slow_ms = 600000;  // keeps a typo from hanging a test for hours

FaultKind kind_at(std::size_t index) { return static_cast<FaultKind>(index + 1); }

[[noreturn]] void fail(const std::string& message) { throw FaultConfigError(message); }

std::string option_name(std::size_t rate_index) {
  return "rate_" + std::string(k_names[rate_index]);
}

double parse_rate(const std::string& option, const Json& value) {
  if (!value.is_number() || value.get<double>() < 0.0 || value.get<double>() > 1.0) {
    fail(option + " must be a number in [0, 1], got " + value.dump());
  }
  return value.get<double>();
}

std::vector<std::string> parse_strings(const std::string& option, const Json& value) {
  if (!value.is_array()) {
    fail(option + " must be an array of strings, got " + value.dump());
  }
  std::vector<std::string> out;
  for (const Json& item : value) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      fail(option + " must hold non-empty strings, got " + item.dump());
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::string> parse_endpoints(const Json& value) {
  std::vector<std::string> out = parse_strings("endpoints", value);
  for (const std::string& endpoint : out) {
    if (endpoint.front() != '/') {
      fail("endpoints are path suffixes starting with '/', like \"/contact\"; got \"" + endpoint +
           "\"");
    }
  }
  return out;
}

std::chrono::milliseconds parse_slow_ms(const Json& value) {
  if (!value.is_number_integer() || value.get<long long>() < 0 ||
      value.get<long long>() > k_max_slow_ms) {
    fail("slow_ms must be an integer in [0, " + std::to_string(k_max_slow_ms) + "], got " +
         value.dump());
  }
  return std::chrono::milliseconds(value.get<long long>());
}

bool parse_bool(const std::string& option, const Json& value) {
  if (!value.is_boolean()) {
    fail(option + " must be true or false, got " + value.dump());
  }
  return value.get<bool>();
}

std::uint64_t parse_seed(const Json& value) {
  if (!value.is_number_unsigned()) {
    fail("seed must be a non-negative integer, got " + value.dump());
  }
  return value.get<std::uint64_t>();
}

HostileReply parse_hostile(const Json& value) {
  for (std::size_t i = 0; i < k_hostile_names.size(); ++i) {
    if (value.is_string() && value.get<std::string>() == k_hostile_names[i]) {
      return static_cast<HostileReply>(i);
    }
  }
  fail(
      "hostile_reply must be \"deep_ids\", \"deep_error_key\", \"huge_open\" or "
      "\"huge_array\", got " +
      value.dump());
}

// One member of the document; false when `key` is not an option.
bool parse_member(FaultConfig& config, const std::string& key, const Json& value) {
  for (std::size_t i = 0; i < k_rate_kinds; ++i) {
    if (key == option_name(i)) {
      config.rates[i] = parse_rate(key, value);
      return true;
    }
  }
  if (key == "slow_ms") {
    config.slow = parse_slow_ms(value);
  } else if (key == "poison") {
    for (const std::string& email : parse_strings(key, value)) {
      config.poison.insert(lower_ascii(email));
    }
  } else if (key == "contact_errors") {
    config.contact_errors = parse_contact_errors(value);
  } else if (key == "endpoints") {
    config.endpoints = parse_endpoints(value);
  } else if (key == "token_endpoint") {
    config.token_endpoint = parse_bool(key, value);
  } else if (key == "seed") {
    config.seed = parse_seed(value);
  } else if (key == "hostile_reply") {
    config.hostile_reply = parse_hostile(value);
  } else {
    return false;
  }
  return true;
}

double rate_sum(const FaultConfig& config) {
  double sum = 0.0;
  for (const double rate : config.rates) {
    sum += rate;
  }
  return sum;
}

bool ends_with_any(std::string_view path, const std::vector<std::string>& suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(),
                     [&](const std::string& suffix) { return path.ends_with(suffix); });
}

}  // namespace

std::string_view fault_name(FaultKind kind) {
  return kind == FaultKind::none ? "none" : k_names[static_cast<std::size_t>(kind) - 1];
}

bool refuses(FaultKind kind) {
  return kind >= FaultKind::reset_before && kind <= FaultKind::status_423;
}

FaultConfig parse_fault_config(const Json& json) {
  if (!json.is_object()) {
    fail("the fault configuration must be a JSON object, got " + json.dump());
  }
  FaultConfig config;
  for (const auto& [key, value] : json.items()) {
    if (!parse_member(config, key, value)) {
      fail("unknown fault option \"" + key + "\"");
    }
  }
  // A small tolerance: 0.1 + 0.2 + 0.7 is 1.0000000000000002 in doubles.
  if (const double sum = rate_sum(config); sum > 1.0 + 1e-9) {
    fail("the fault rates sum to " + std::to_string(sum) + "; at most 1 is possible");
  }
  return config;
}

std::map<std::string, ContactError> parse_contact_errors(const Json& json) {
  if (!json.is_object()) {
    fail("contact errors must be an object {\"<email>\": {\"code\": \"2007\", \"message\": ...}}");
  }
  std::map<std::string, ContactError> out;
  for (const auto& [email, error] : json.items()) {
    const Json code = error.is_object() ? error.value("code", Json()) : Json();
    const std::string text = code.is_string() ? code.get<std::string>() : code.dump();
    const bool numeric =
        (code.is_string() || code.is_number_unsigned()) && !text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const Json message = error.is_object() ? error.value("message", Json("")) : Json();
    if (!numeric || !message.is_string()) {
      fail("the error for \"" + email +
           "\" needs a numeric \"code\" (like \"2007\") and a string \"message\"");
    }
    out[email] = ContactError{text, message.get<std::string>()};
  }
  return out;
}

Json to_json(const FaultConfig& config) {
  Json out = Json::object();
  for (std::size_t i = 0; i < k_rate_kinds; ++i) {
    out[option_name(i)] = config.rates[i];
  }
  out["slow_ms"] = config.slow.count();
  out["poison"] = config.poison;
  Json errors = Json::object();
  for (const auto& [email, error] : config.contact_errors) {
    errors[email] = Json{{"code", error.code}, {"message", error.message}};
  }
  out["contact_errors"] = errors;
  out["endpoints"] = config.endpoints;
  out["token_endpoint"] = config.token_endpoint;
  if (config.seed) {
    out["seed"] = *config.seed;
  }
  if (config.hostile_reply) {
    out["hostile_reply"] = k_hostile_names[static_cast<std::size_t>(*config.hostile_reply)];
  }
  return out;
}

FaultKind pick_fault(const FaultConfig& config, double u) {
  double upper = 0.0;
  for (std::size_t i = 0; i < k_rate_kinds; ++i) {
    upper += config.rates[i];
    if (u < upper) {
      return kind_at(i);
    }
  }
  return FaultKind::none;
}

FaultInjector::FaultInjector(FaultConfig initial, std::uint64_t default_seed,
                             bool email_case_sensitive)
    : m_initial(std::move(initial)),
      m_default_seed(default_seed),
      m_case_sensitive(email_case_sensitive) {
  reset();
}

void FaultInjector::configure(FaultConfig config) {
  m_config = std::move(config);
  m_drawing = rate_sum(m_config) > 0.0;
  m_random.seed(m_config.seed.value_or(m_default_seed));
  m_injected.fill(0);
  m_requests = 0;
  index_contact_errors();
}

void FaultInjector::reset() { configure(m_initial); }

void FaultInjector::set_contact_errors(std::map<std::string, ContactError> errors) {
  m_config.contact_errors = std::move(errors);
  index_contact_errors();
}

void FaultInjector::index_contact_errors() {
  m_errors_by_key.clear();
  for (const auto& [email, error] : m_config.contact_errors) {
    m_errors_by_key[m_case_sensitive ? email : lower_ascii(email)] = error;
  }
}

FaultKind FaultInjector::draw(std::string_view path, bool token) {
  if (!m_drawing || (token && !m_config.token_endpoint) ||
      (!m_config.endpoints.empty() && !ends_with_any(path, m_config.endpoints))) {
    return FaultKind::none;
  }
  ++m_requests;
  // 53 random bits as a double in [0, 1): the same on every platform, which
  // std::uniform_real_distribution does not promise.
  const double u = static_cast<double>(m_random() >> 11) * 0x1.0p-53;
  const FaultKind kind = pick_fault(m_config, u);
  if (kind != FaultKind::none) {
    count(kind);
  }
  return kind;
}

std::optional<std::string> FaultInjector::poisoned(const Json& contact) {
  for (const char* field : {"3", "email"}) {
    const auto it = contact.find(field);  // end() for a non-object
    if (it != contact.end() && poisoned_key(*it)) {
      return it->get<std::string>();
    }
  }
  return std::nullopt;
}

bool FaultInjector::poisoned_key(const Json& key) {
  if (!key.is_string() || !m_config.poison.contains(lower_ascii(key.get<std::string>()))) {
    return false;
  }
  count(FaultKind::poison);
  return true;
}

const ContactError* FaultInjector::contact_error(const std::string& email) {
  if (m_errors_by_key.empty()) {
    return nullptr;
  }
  const auto it = m_errors_by_key.find(m_case_sensitive ? email : lower_ascii(email));
  if (it == m_errors_by_key.end()) {
    return nullptr;
  }
  count(FaultKind::contact_error);
  return &it->second;
}

std::optional<HostileReply> FaultInjector::hostile_reply() {
  if (m_config.hostile_reply) {
    count(FaultKind::hostile_reply);
  }
  return m_config.hostile_reply;
}

Json FaultInjector::to_json() const {
  Json injected = Json::object();
  for (std::size_t i = 0; i < k_fault_kinds; ++i) {
    injected[std::string(k_names[i])] = m_injected[i];
  }
  return Json{{"config", sim::to_json(m_config)},
              {"seed", m_config.seed.value_or(m_default_seed)},
              {"injected", injected},
              {"requests", m_requests}};
}

}  // namespace emsync::sim
