#include "config/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "config/json_reader.hpp"
#include "core/odbc_attributes.hpp"
#include "core/url.hpp"

namespace emsync::config {

namespace {

constexpr std::array<std::string_view, 5> k_log_levels = {"trace", "debug", "info", "warn",
                                                          "error"};
// Keys of the auth methods, skipped when `auth` itself is invalid so that a
// typo there does not also flag each of them as unknown.
constexpr std::array<std::string_view, 8> k_auth_keys = {
    "username",           "secret_file",       "secret_env", "client_id",
    "client_secret_file", "client_secret_env", "token_url",  "auth"};

template <std::size_t N>
bool is_one_of(std::string_view value, const std::array<std::string_view, N>& allowed) {
  for (std::string_view candidate : allowed) {
    if (value == candidate) {
      return true;
    }
  }
  return false;
}

// Reads "<base>_file" / "<base>_env": exactly one when `need` is required,
// at most one otherwise.
std::optional<SecretRef> read_secret(ObjectReader& r, const std::string& base, Need need) {
  SecretRef ref{r.string(base + "_file", Need::optional), r.string(base + "_env", Need::optional)};
  if (ref.file && ref.env) {
    r.report_object("has both " + base + "_file and " + base + "_env; give only one");
    return std::nullopt;
  }
  if (!ref.file && !ref.env) {
    if (need == Need::required) {
      r.report_object("needs " + base + "_file or " + base + "_env");
    }
    return std::nullopt;
  }
  return ref;
}

// The URL check the Emarsys client makes at run time (core/url.hpp).
void check_url(ObjectReader& r, std::string_view key, const std::string& url) {
  if (auto parsed = parse_url(url); !parsed) {
    r.report(key, parsed.error().message);
  }
}

// A password in libpq's key=value form ("password=...") or in a URI
// ("postgresql://user:pw@host", "?password=...").
bool conninfo_has_password(const std::string& conninfo) {
  for (auto pos = conninfo.find("password"); pos != std::string::npos;
       pos = conninfo.find("password", pos + 1)) {
    const auto next = conninfo.find_first_not_of(' ', pos + 8);
    if (next != std::string::npos && conninfo[next] == '=') {
      return true;
    }
  }
  const auto scheme_end = conninfo.find("://");
  if (scheme_end == std::string::npos) {
    return false;
  }
  const std::string rest = conninfo.substr(scheme_end + 3);
  const std::string authority = rest.substr(0, rest.find_first_of("/?"));
  const auto at = authority.rfind('@');
  return at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
}

void read_postgres(ObjectReader& r, SourceConfig& source) {
  source.type = SourceType::postgres;
  if (auto conninfo = r.string("conninfo", Need::required)) {
    if (conninfo_has_password(*conninfo)) {
      r.report("conninfo",
               "contains a password: secrets don't belong in the config text; use "
               "password_file or password_env");
    }
    source.conninfo = std::move(*conninfo);
  }
  source.password = read_secret(r, "password", Need::optional);
  if (auto mode = r.string("read_mode", Need::optional)) {
    if (*mode == "copy") {
      source.read_mode = PgReadMode::copy;
    } else if (*mode == "cursor") {
      source.read_mode = PgReadMode::cursor;
    } else if (*mode == "auto") {
      source.read_mode = PgReadMode::automatic;
    } else {
      r.report("read_mode", "must be \"copy\", \"cursor\" or \"auto\"");
    }
  }
}

// The connection string must parse and hold no secret: the secret comes from
// password_file / password_env and is added at connect time.
void read_odbc(ObjectReader& r, SourceConfig& source) {
  source.type = SourceType::odbc;
  if (auto text = r.string("connection_string", Need::required)) {
    auto attributes = parse_odbc_attributes(*text);
    if (!attributes) {
      r.report("connection_string", attributes.error().message);
    } else {
      for (const auto& attribute : *attributes) {
        if (is_secret_odbc_key(attribute.key) && !attribute.value.empty()) {
          r.report("connection_string",
                   "contains a secret (" + attribute.key +
                       "): secrets don't belong in the config text; use password_file or "
                       "password_env");
        }
      }
      if (!odbc_attribute(*attributes, "Driver") && !odbc_attribute(*attributes, "DSN")) {
        r.report("connection_string", "names no Driver={...} and no DSN=...");
      }
    }
    source.connection_string = std::move(*text);
  }
  source.password = read_secret(r, "password", Need::optional);
  if (auto attribute = r.string("password_attribute", Need::optional)) {
    if (attribute->find_first_of(";={} \t") != std::string::npos) {
      r.report("password_attribute", "must be an attribute name (e.g. PWD, PRIV_KEY_FILE_PWD)");
    } else {
      source.password_attribute = std::move(*attribute);
    }
  }
  if (auto fetch = r.string("text_fetch", Need::optional)) {
    if (*fetch == "utf16") {
      source.text_fetch = OdbcTextFetch::utf16;
    } else if (*fetch == "utf8") {
      source.text_fetch = OdbcTextFetch::utf8;
    } else if (*fetch == "auto") {
      source.text_fetch = OdbcTextFetch::automatic;
    } else {
      r.report("text_fetch", "must be \"utf16\", \"utf8\" or \"auto\"");
    }
  }
}

SourceConfig read_source(const Json& value, const std::string& path, Problems& problems) {
  SourceConfig source;
  if (!value.is_object()) {
    problems.add("'" + path + "' must be a JSON object");
    return source;
  }
  ObjectReader r(value, path, "", problems);
  const auto type = r.string("type", Need::required);
  if (type == "postgres") {
    read_postgres(r, source);
  } else if (type == "sqlite") {
    source.type = SourceType::sqlite;
    source.path = r.string("path", Need::required).value_or("");
  } else if (type == "odbc") {
    read_odbc(r, source);
  } else {
    if (type) {
      r.report("type", "must be \"postgres\", \"odbc\" or \"sqlite\"");
    }
    return source;  // the other keys depend on the type
  }
  if (auto timeout = r.integer("statement_timeout_s", 1, Need::optional)) {
    // Saturates at PostgreSQL's largest statement_timeout (INT_MAX ms, about
    // 24.8 days) before the conversion to milliseconds could overflow.
    source.statement_timeout = std::chrono::seconds(std::min<std::int64_t>(*timeout, 2'147'483));
  }
  r.finish();
  return source;
}

void read_auth(ObjectReader& r, DestinationConfig& dest) {
  const std::string auth = r.string("auth", Need::optional).value_or("wsse");
  if (auth == "wsse") {
    dest.auth = AuthKind::wsse;
    dest.username = r.string("username", Need::required).value_or("");
    dest.secret = read_secret(r, "secret", Need::required).value_or(SecretRef{});
  } else if (auth == "oauth2") {
    dest.auth = AuthKind::oauth2;
    dest.client_id = r.string("client_id", Need::required).value_or("");
    dest.client_secret = read_secret(r, "client_secret", Need::required).value_or(SecretRef{});
    if (auto token_url = r.string("token_url", Need::optional)) {
      check_url(r, "token_url", *token_url);
      dest.token_url = std::move(*token_url);
    }
  } else {
    r.report("auth", "must be \"wsse\" or \"oauth2\"");
    for (std::string_view key : k_auth_keys) {
      r.get(key, Need::optional);
    }
  }
}

DestinationConfig read_destination(const Json& value, const std::string& path, Problems& problems) {
  DestinationConfig dest;
  if (!value.is_object()) {
    problems.add("'" + path + "' must be a JSON object");
    return dest;
  }
  ObjectReader r(value, path, "", problems);
  if (auto type = r.string("type", Need::required); type && *type != "emarsys") {
    r.report("type", "must be \"emarsys\"");
  }
  if (auto url = r.string("api_url", Need::required)) {
    check_url(r, "api_url", *url);
    dest.api_url = std::move(*url);
  }
  read_auth(r, dest);
  dest.ca_file = r.string("ca_file", Need::optional);
  dest.new_contacts_list_id = r.integer("new_contacts_list_id", 1, Need::optional);
  if (auto rate = r.integer("rate_limit_per_minute", 1, Need::optional)) {
    if (*rate > std::numeric_limits<int>::max()) {
      r.report("rate_limit_per_minute", "is too large");
    } else {
      dest.rate_limit_per_minute = static_cast<int>(*rate);
    }
  }
  if (auto n = r.integer("connections", 1, Need::optional)) {
    if (*n > 16) {
      r.report("connections", "must be at most 16 (keep-alive connections to Emarsys at once)");
    } else {
      dest.connections = static_cast<int>(*n);
    }
  }
  r.finish();
  return dest;
}

void read_admin(ObjectReader& top, AdminConfig& admin, Problems& problems) {
  const Json* value = top.object("admin", Need::optional);
  if (value == nullptr) {
    return;
  }
  ObjectReader r(*value, "admin", "", problems);
  if (auto group = r.string("operators_group", Need::optional)) {
    admin.operators_group = std::move(*group);
  }
  r.finish();
}

void read_log(ObjectReader& top, LogConfig& log, Problems& problems) {
  const Json* value = top.object("log", Need::optional);
  if (value == nullptr) {
    return;
  }
  ObjectReader r(*value, "log", "", problems);
  if (auto level = r.string("level", Need::optional)) {
    if (is_one_of(*level, k_log_levels)) {
      log.level = *level;
    } else {
      r.report("level", "must be one of trace, debug, info, warn, error");
    }
  }
  if (auto format = r.string("format", Need::optional)) {
    if (*format == "text" || *format == "json") {
      log.format = *format;
    } else {
      r.report("format", "must be \"text\" or \"json\"");
    }
  }
  r.finish();
}

// Calls read(value, "<key>.<name>", problems) for each entry of the object
// `key`, storing the results by name.
template <class T, class Read>
void read_named(ObjectReader& top, std::string_view key, std::map<std::string, T>& out,
                Problems& problems, Read read) {
  if (const Json* entries = top.object(key, Need::optional)) {
    for (const auto& [name, value] : entries->items()) {
      out[name] = read(value, top.path_of(key) + "." + name, problems);
    }
  }
}

}  // namespace

Result<Config> parse_config(std::string_view json_text) {
  auto root = parse_json(json_text, "config");
  if (!root) {
    return root.error();
  }
  if (!root->is_object()) {
    return make_error(Errc::invalid_input, "config must be a JSON object");
  }
  Problems problems;
  ObjectReader r(*root, "", "", problems);
  Config config;
  config.state_db = r.string("state_db", Need::required).value_or("");
  config.admin_socket = r.string("admin_socket", Need::required).value_or("");
  if (auto n = r.integer("max_concurrent_runs", 1, Need::optional)) {
    config.max_concurrent_runs = static_cast<int>(std::min<std::int64_t>(*n, 64));
  }
  if (auto s = r.integer("shutdown_timeout_s", 1, Need::optional)) {
    config.shutdown_timeout = std::chrono::seconds(std::min<std::int64_t>(*s, 3600));
  }
  if (auto n = r.integer("auto_pause_after_failures", 1, Need::optional)) {
    config.auto_pause_after_failures = static_cast<int>(std::min<std::int64_t>(*n, 1000));
  }
  if (auto n = r.integer("park_after_rejections", 0, Need::optional)) {
    config.park_after_rejections = static_cast<int>(std::min<std::int64_t>(*n, 1000));
  }
  if (auto s = r.integer("auto_resume_check_s", 1, Need::optional)) {
    config.auto_resume_check = std::chrono::seconds(std::min<std::int64_t>(*s, 7 * 86400));
  }
  if (const Json* listen = r.get("metrics_listen", Need::optional)) {
    if (!listen->is_string() ||
        (!listen->get_ref<const std::string&>().empty() &&
         !parse_listen_address(listen->get_ref<const std::string&>()))) {
      r.report("metrics_listen", "must be \"host:port\" (e.g. \"127.0.0.1:19100\"), "
                                 "or \"\" to turn the endpoint off");
    } else {
      config.metrics_listen = listen->get<std::string>();
    }
  }
  if (auto days = r.integer("run_history_days", 0, Need::optional)) {
    config.run_history_days = static_cast<int>(std::min<std::int64_t>(*days, 100 * 365));
  }
  if (auto keys = r.string("rejected_row_keys", Need::optional)) {
    if (*keys == "hashed") {
      config.rejected_row_keys = Config::RowKeys::hashed;
    } else if (*keys != "clear") {
      r.report("rejected_row_keys", "must be \"clear\" or \"hashed\"");
    }
  }
  read_admin(r, config.admin, problems);
  read_log(r, config.log, problems);
  read_named(r, "sources", config.sources, problems, read_source);
  read_named(r, "destinations", config.destinations, problems, read_destination);
  r.finish();
  if (!problems.empty()) {
    return make_error(Errc::invalid_input, problems.joined());
  }
  return config;
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = text.substr(colon + 1);
  int port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
      port > 65535) {
    return std::nullopt;
  }
  in6_addr parsed{};
  if (host != "localhost" && inet_pton(AF_INET, host.c_str(), &parsed) != 1 &&
      inet_pton(AF_INET6, host.c_str(), &parsed) != 1) {
    return std::nullopt;
  }
  return ListenAddress{host == "localhost" ? "127.0.0.1" : host,
                       static_cast<std::uint16_t>(port)};
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) {
    text << in.rdbuf();
  }
  if (!in.is_open() || in.bad()) {
    return make_error(Errc::io_error,
                      "cannot read config file '" + path + "': " + std::strerror(errno));
  }
  auto config = parse_config(text.str());
  if (!config) {
    std::string message;
    std::istringstream lines(config.error().message);
    for (std::string line; std::getline(lines, line);) {
      message += (message.empty() ? "" : "\n") + path + ": " + line;
    }
    return make_error(Errc::invalid_input, message);
  }
  return config;
}

}  // namespace emsync::config
