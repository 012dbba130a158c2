#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/config.hpp"

using emsync::Errc;
using emsync::config::AuthKind;
using emsync::config::load_config;
using emsync::config::parse_config;
using emsync::config::SourceType;

namespace {

const char* const k_full_config = R"({
  "state_db": "/var/lib/emsyncd/state.db",
  "admin_socket": "/run/emsyncd/control.sock",
  "log": {"level": "debug", "format": "json"},
  "admin": {"operators_group": "sync-ops"},
  "sources": {
    "warehouse": {"type": "postgres", "conninfo": "host=db dbname=dw user=emsync",
                  "password_file": "pg-password", "statement_timeout_s": 600},
    "demo": {"type": "sqlite", "path": "examples/demo.db"}
  },
  "destinations": {
    "emarsys": {"type": "emarsys", "api_url": "https://api.emarsys.net/api/v2",
                "auth": "wsse", "username": "acme001", "secret_env": "EMARSYS_SECRET",
                "ca_file": "/etc/ssl/ca.pem", "new_contacts_list_id": 123,
                "rate_limit_per_minute": 500},
    "sandbox": {"type": "emarsys", "api_url": "http://127.0.0.1:8080/api/v2", "auth": "oauth2",
                "client_id": "abc", "client_secret_file": "oauth-secret",
                "token_url": "http://localhost:8080/oauth2/token"}
  }
})";

// A valid config with `destination` as the only destination's body.
std::string with_destination(const std::string& destination) {
  return R"({"state_db": "s.db", "admin_socket": "a.sock", "destinations": {"emarsys": )" +
         destination + "}}";
}

std::string with_source(const std::string& source) {
  return R"({"state_db": "s.db", "admin_socket": "a.sock", "sources": {"warehouse": )" + source +
         "}}";
}

std::string error_of(const std::string& text) {
  const auto config = parse_config(text);
  REQUIRE_FALSE(config);
  CHECK(config.error().code == Errc::invalid_input);
  return config.error().message;
}

}  // namespace

TEST_CASE("parses a full config", "[config]") {
  const auto config = parse_config(k_full_config);
  REQUIRE(config);
  CHECK(config->state_db == "/var/lib/emsyncd/state.db");
  CHECK(config->admin_socket == "/run/emsyncd/control.sock");
  CHECK(config->log.level == "debug");
  CHECK(config->log.format == "json");
  CHECK(config->admin.operators_group == "sync-ops");

  const auto& warehouse = config->sources.at("warehouse");
  CHECK(warehouse.type == SourceType::postgres);
  CHECK(warehouse.conninfo == "host=db dbname=dw user=emsync");
  REQUIRE(warehouse.password);
  CHECK(warehouse.password->file == "pg-password");
  CHECK_FALSE(warehouse.password->env);
  CHECK(warehouse.statement_timeout == std::chrono::minutes(10));
  CHECK(config->sources.at("demo").type == SourceType::sqlite);
  CHECK(config->sources.at("demo").path == "examples/demo.db");

  const auto& emarsys = config->destinations.at("emarsys");
  CHECK(emarsys.api_url == "https://api.emarsys.net/api/v2");
  CHECK(emarsys.auth == AuthKind::wsse);
  CHECK(emarsys.username == "acme001");
  CHECK(emarsys.secret.env == "EMARSYS_SECRET");
  CHECK(emarsys.ca_file == "/etc/ssl/ca.pem");
  CHECK(emarsys.new_contacts_list_id == 123);
  CHECK(emarsys.rate_limit_per_minute == 500);

  const auto& sandbox = config->destinations.at("sandbox");
  CHECK(sandbox.auth == AuthKind::oauth2);
  CHECK(sandbox.client_id == "abc");
  CHECK(sandbox.client_secret.file == "oauth-secret");
  CHECK(sandbox.token_url == "http://localhost:8080/oauth2/token");
}

TEST_CASE("fills in config defaults", "[config]") {
  const auto config = parse_config(
      with_destination(R"({"type": "emarsys", "api_url": "https://api.emarsys.net/api/v2",
                           "username": "u", "secret_file": "s"})"));
  REQUIRE(config);
  CHECK(config->log.level == "info");
  CHECK(config->log.format == "text");
  CHECK(config->admin.operators_group == "emsyncd-admin");
  CHECK(config->sources.empty());
  const auto& dest = config->destinations.at("emarsys");
  CHECK(dest.auth == AuthKind::wsse);
  CHECK(dest.rate_limit_per_minute == 1000);
  CHECK(dest.connections == 4);
  CHECK_FALSE(dest.ca_file);
  CHECK_FALSE(dest.new_contacts_list_id);
  CHECK(dest.token_url == "https://auth.emarsys.net/oauth2/token");

  const auto source = parse_config(with_source(R"({"type": "postgres", "conninfo": "host=x"})"));
  REQUIRE(source);
  CHECK_FALSE(source->sources.at("warehouse").password);
  CHECK(source->sources.at("warehouse").statement_timeout == std::chrono::minutes(30));
}

TEST_CASE("statement_timeout_s saturates at PostgreSQL's limit (fuzz: INT64_MAX overflowed)",
          "[config]") {
  const auto config = parse_config(with_source(
      R"({"type": "postgres", "conninfo": "host=x", "statement_timeout_s": 9223372036854775807})"));
  REQUIRE(config);
  CHECK(config->sources.at("warehouse").statement_timeout == std::chrono::seconds(2'147'483));
}

TEST_CASE("rejects invalid JSON and a non-object document", "[config]") {
  CHECK_THAT(error_of("{\"state_db\": "), Catch::StartsWith("config is not valid JSON: "));
  CHECK(error_of("[]") == "config must be a JSON object");
  // nlohmann throws out_of_range, not parse_error, for this (fuzz: it escaped parse_config).
  CHECK_THAT(error_of(R"({"state_db": 1e999})"), Catch::StartsWith("config is not valid JSON: "));
}

TEST_CASE("a config nested deeper than 64 levels is refused, not parsed", "[config]") {
  const auto deep = [](std::size_t depth) {
    return R"({"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  CHECK_THAT(error_of(deep(63)), Catch::Contains("unknown key 'x'"));  // 64 deep: parsed
  for (const std::size_t depth : {std::size_t{64}, std::size_t{100'000}}) {
    CHECK(error_of(deep(depth)) == "config is not valid JSON: JSON nested deeper than 64 levels");
  }
}

TEST_CASE("URLs are checked as the Emarsys client checks them", "[config]") {
  const auto dest = [](const std::string& url) {
    return with_destination(R"({"type": "emarsys", "username": "u", "secret_env": "S",
                                "api_url": ")" +
                            url + "\"}");
  };
  CHECK(error_of(dest("https://x.io/api?v=2")) ==
        "'destinations.emarsys.api_url' must not contain a query or a fragment");
  CHECK(error_of(dest("https://x.io:99999/api")) ==
        "'destinations.emarsys.api_url' has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the port must be 1-65535)");
}

TEST_CASE("names unknown keys with their dotted path", "[config]") {
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "statedb": "x"})") ==
        "unknown key 'statedb'");
  CHECK(error_of(with_source(R"({"type": "postgres", "conninfo": "host=x",
                                 "passwrd_file": "p"})")) ==
        "unknown key 'sources.warehouse.passwrd_file'");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "log": {"colour": true}})") ==
        "unknown key 'log.colour'");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "admin": {"operator_group": "x"}})") ==
        "unknown key 'admin.operator_group'");
  // conninfo belongs to postgres sources only
  CHECK(error_of(with_source(R"({"type": "sqlite", "path": "p", "conninfo": "x"})")) ==
        "unknown key 'sources.warehouse.conninfo'");
}

TEST_CASE("reports missing required keys", "[config]") {
  CHECK(error_of("{}") == "'state_db' is required\n'admin_socket' is required");
  CHECK(error_of(with_source(R"({"type": "postgres"})")) ==
        "'sources.warehouse.conninfo' is required");
  CHECK(error_of(with_source(R"({"type": "sqlite"})")) == "'sources.warehouse.path' is required");
  CHECK(error_of(with_source("{}")) == "'sources.warehouse.type' is required");
  CHECK(error_of(with_destination(R"({"type": "emarsys", "username": "u", "secret_env": "S"})")) ==
        "'destinations.emarsys.api_url' is required");
}

TEST_CASE("names the expected type of a wrong value", "[config]") {
  const std::string dest = R"({"type": "emarsys", "api_url": "https://x.io", "username": "u",
                               "secret_env": "S", "rate_limit_per_minute": )";
  for (const char* bad : {"0", "-5", "1.5", "\"100\"", "true"}) {
    CAPTURE(bad);
    CHECK(error_of(with_destination(dest + bad + "}")) ==
          "'destinations.emarsys.rate_limit_per_minute' must be a positive integer");
  }
  CHECK(error_of(R"({"state_db": 1, "admin_socket": ""})") ==
        "'state_db' must be a non-empty string\n'admin_socket' must be a non-empty string");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "sources": []})") ==
        "'sources' must be a JSON object");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "log": {"level": "loud"}})") ==
        "'log.level' must be one of trace, debug, info, warn, error");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "admin": {"operators_group": ""}})") ==
        "'admin.operators_group' must be a non-empty string");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "admin": "wheel"})") ==
        "'admin' must be a JSON object");
  CHECK(error_of(with_source(R"({"type": "mysql"})")) ==
        R"('sources.warehouse.type' must be "postgres", "odbc" or "sqlite")");
}

TEST_CASE("reads a destination's connections, 1 to 16", "[config]") {
  const std::string dest = R"({"type": "emarsys", "api_url": "https://x.io", "username": "u",
                               "secret_env": "S", "connections": )";
  for (int n : {1, 16}) {
    const auto config = parse_config(with_destination(dest + std::to_string(n) + "}"));
    REQUIRE(config);
    CHECK(config->destinations.at("emarsys").connections == n);
  }
  CHECK(error_of(with_destination(dest + "17}")) ==
        "'destinations.emarsys.connections' must be at most 16 (keep-alive connections to "
        "Emarsys at once)");
  for (const char* bad : {"0", "-1", "2.5", "\"4\""}) {
    CAPTURE(bad);
    CHECK(error_of(with_destination(dest + bad + "}")) ==
          "'destinations.emarsys.connections' must be a positive integer");
  }
}

TEST_CASE("reads the metrics endpoint, run history and rejected row key settings", "[config]") {
  const auto defaults = parse_config(R"({"state_db": "s", "admin_socket": "a"})");
  REQUIRE(defaults);
  CHECK(defaults->metrics_listen == "127.0.0.1:19100");
  CHECK(defaults->run_history_days == 90);
  CHECK(defaults->rejected_row_keys == emsync::config::Config::RowKeys::clear);

  const auto set = parse_config(R"({"state_db": "s", "admin_socket": "a", "metrics_listen": "",
                                     "run_history_days": 0, "rejected_row_keys": "hashed"})");
  REQUIRE(set);
  CHECK(set->metrics_listen.empty());
  CHECK(set->run_history_days == 0);
  CHECK(set->rejected_row_keys == emsync::config::Config::RowKeys::hashed);

  for (const char* bad : {"\"19100\"", "\"127.0.0.1\"", "\"127.0.0.1:0\"",
                          "\"127.0.0.1:70000\"", "\"example.com:19100\"", "19100"}) {
    CAPTURE(bad);
    CHECK(error_of(std::string(R"({"state_db": "s", "admin_socket": "a", "metrics_listen": )") +
                   bad + "}") ==
          R"('metrics_listen' must be "host:port" (e.g. "127.0.0.1:19100"), or "" to turn )"
          "the endpoint off");
  }
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "rejected_row_keys": "sha"})") ==
        R"('rejected_row_keys' must be "clear" or "hashed")");
  CHECK(error_of(R"({"state_db": "s", "admin_socket": "a", "run_history_days": -1})") ==
        "'run_history_days' must be an integer of at least 0");
}

TEST_CASE("parses listen addresses", "[config]") {
  using emsync::config::parse_listen_address;
  const auto v4 = parse_listen_address("127.0.0.1:19100");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 19100);
  const auto v6 = parse_listen_address("[::1]:9");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  const auto named = parse_listen_address("localhost:8080");
  REQUIRE(named);
  CHECK(named->host == "127.0.0.1");
  CHECK_FALSE(parse_listen_address(":19100"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:12ab"));
}

TEST_CASE("rejects inline secrets, saying where they belong", "[config]") {
  CHECK(error_of(with_destination(R"({"type": "emarsys", "api_url": "https://x.io",
                                      "username": "u", "secret": "hunter2"})")) ==
        "'destinations.emarsys' needs secret_file or secret_env\n"
        "'destinations.emarsys.secret': put the secret in a file (secret_file) or an environment "
        "variable (secret_env), not in the config");
  CHECK_THAT(error_of(with_source(R"({"type": "postgres", "conninfo": "x", "password": "p"})")),
             Catch::Contains("'sources.warehouse.password': put the secret in a file "
                             "(password_file) or an environment variable (password_env)"));
  CHECK_THAT(error_of(with_destination(R"({"type": "emarsys", "api_url": "https://x.io",
      "auth": "oauth2", "client_id": "c", "client_secret_env": "E", "client_secret": "p"})")),
             Catch::Contains("(client_secret_file) or an environment variable "
                             "(client_secret_env), not in the config"));
}

TEST_CASE("rejects a password inside the conninfo", "[config]") {
  for (const char* conninfo :
       {"host=db password=hunter2", "host=db password = x", "postgresql://emsync:hunter2@db/dw",
        "postgres://db/dw?user=u&password=x"}) {
    CAPTURE(conninfo);
    CHECK_THAT(error_of(with_source(std::string(R"({"type": "postgres", "conninfo": ")") +
                                    conninfo + "\"}")),
               Catch::Contains("'sources.warehouse.conninfo' contains a password"));
  }
  CHECK(parse_config(with_source(R"({"type": "postgres", "conninfo": "postgresql://u@db/dw"})")));
}

TEST_CASE("rejects a secret given both as file and environment variable", "[config]") {
  CHECK(error_of(with_source(R"({"type": "postgres", "conninfo": "host=x",
                                 "password_file": "f", "password_env": "E"})")) ==
        "'sources.warehouse' has both password_file and password_env; give only one");
  CHECK(error_of(with_destination(R"({"type": "emarsys", "api_url": "https://x.io",
      "username": "u", "secret_file": "f", "secret_env": "E"})")) ==
        "'destinations.emarsys' has both secret_file and secret_env; give only one");
}

TEST_CASE("allows plain http only towards loopback hosts", "[config]") {
  auto dest = [](const std::string& url) {
    return with_destination(R"({"type": "emarsys", "username": "u", "secret_env": "S",
                                "api_url": ")" +
                            url + "\"}");
  };
  for (const char* url : {"http://127.0.0.1:9000/api/v2", "http://localhost/api",
                          "http://[::1]:8080", "HTTP://LocalHost:1/x", "https://api.emarsys.net"}) {
    CAPTURE(url);
    CHECK(parse_config(dest(url)));
  }
  CHECK(error_of(dest("http://api.emarsys.net/api/v2")) ==
        "'destinations.emarsys.api_url' uses plain http:// to 'api.emarsys.net'; http is only "
        "allowed for loopback hosts (127.0.0.1, localhost, [::1]); use https://");
  CHECK_THAT(error_of(dest("http://localhost.evil.com/")), Catch::Contains("uses plain http://"));
  CHECK_THAT(error_of(dest("http://127.0.0.2/")), Catch::Contains("uses plain http://"));
  CHECK(error_of(dest("ftp://x.io")) ==
        "'destinations.emarsys.api_url' must be an http:// or https:// URL");
  CHECK(error_of(dest("api.emarsys.net")) ==
        "'destinations.emarsys.api_url' must be an http:// or https:// URL");
  CHECK(error_of(dest("https://")) == "'destinations.emarsys.api_url' has no host");
  CHECK(error_of(dest("https://u:p@x.io/")) ==
        "'destinations.emarsys.api_url' must not contain a user name or password");
}

TEST_CASE("checks the auth method and its keys", "[config]") {
  const std::string base = R"({"type": "emarsys", "api_url": "https://x.io", )";
  CHECK(error_of(with_destination(base + R"("auth": "basic", "username": "u",
                                            "secret_env": "S"})")) ==
        R"('destinations.emarsys.auth' must be "wsse" or "oauth2")");
  CHECK(error_of(with_destination(base + R"("auth": "oauth2", "client_secret_env": "S"})")) ==
        "'destinations.emarsys.client_id' is required");
  CHECK(error_of(with_destination(base + R"("auth": "oauth2", "client_id": "c"})")) ==
        "'destinations.emarsys' needs client_secret_file or client_secret_env");
  CHECK(error_of(with_destination(base + R"("secret_env": "S"})")) ==
        "'destinations.emarsys.username' is required");
  // wsse keys are unknown under oauth2
  CHECK(error_of(with_destination(base + R"("auth": "oauth2", "client_id": "c",
                                            "client_secret_env": "S", "username": "u"})")) ==
        "unknown key 'destinations.emarsys.username'");
  CHECK(error_of(with_destination(base + R"("auth": "oauth2", "client_id": "c",
      "client_secret_env": "S", "token_url": "http://auth.example.com/token"})")) ==
        "'destinations.emarsys.token_url' uses plain http:// to 'auth.example.com'; http is only "
        "allowed for loopback hosts (127.0.0.1, localhost, [::1]); use https://");
}

TEST_CASE("reports every problem at once, one per line", "[config]") {
  const std::string text = R"({
    "admin_socket": 5,
    "sources": {"warehouse": {"type": "postgres", "conninfo": "host=x password=p",
                              "passwrd_file": "p"}},
    "destinations": {"emarsys": {"type": "emarsys", "api_url": "http://api.emarsys.net",
                                 "username": "u", "secret": "s"}}
  })";
  CHECK(error_of(text) ==
        "'state_db' is required\n"
        "'admin_socket' must be a non-empty string\n"
        "'sources.warehouse.conninfo' contains a password: secrets don't belong in the config "
        "text; use password_file or password_env\n"
        "unknown key 'sources.warehouse.passwrd_file'\n"
        "'destinations.emarsys.api_url' uses plain http:// to 'api.emarsys.net'; http is only "
        "allowed for loopback hosts (127.0.0.1, localhost, [::1]); use https://\n"
        "'destinations.emarsys' needs secret_file or secret_env\n"
        "'destinations.emarsys.secret': put the secret in a file (secret_file) or an environment "
        "variable (secret_env), not in the config");
}

TEST_CASE("load_config reads the file and names it in errors", "[config]") {
  const std::string path = "emsync_test_config_" + std::to_string(::getpid()) + ".json";
  { std::ofstream(path) << k_full_config; }
  CHECK(load_config(path));
  { std::ofstream(path) << R"({"state_db": "s", "admin_socket": "a", "x": 1, "y": 2})"; }
  const auto invalid = load_config(path);
  std::remove(path.c_str());
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().message == path + ": unknown key 'x'\n" + path + ": unknown key 'y'");

  const auto missing = load_config("/nonexistent/emsync.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::io_error);
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("cannot read config file '/nonexistent/emsync.json': "));
}

namespace emsync::config {

TEST_CASE("an odbc source takes a connection string and a secret reference", "[config]") {
  const auto config = parse_config(with_source(
      R"({"type": "odbc", "connection_string": "Driver={Snowflake};Server=a.snowflakecomputing.com;UID=me",
          "password_file": "sf-password", "statement_timeout_s": 60})"));
  REQUIRE(config);
  const auto& source = config->sources.at("warehouse");
  CHECK(source.type == SourceType::odbc);
  CHECK(source.connection_string == "Driver={Snowflake};Server=a.snowflakecomputing.com;UID=me");
  REQUIRE(source.password);
  CHECK(source.password->file == "sf-password");
  CHECK(source.statement_timeout == std::chrono::seconds(60));
  CHECK(source.password_attribute == "PWD");
  const auto databricks = parse_config(with_source(
      R"({"type": "odbc", "connection_string": "DSN=warehouse", "password_env": "DBX_SECRET",
          "password_attribute": "Auth_Client_Secret"})"));
  REQUIRE(databricks);
  CHECK(databricks->sources.at("warehouse").password_attribute == "Auth_Client_Secret");
  CHECK(error_of(with_source(
            R"({"type": "odbc", "connection_string": "DSN=w", "password_attribute": "PWD=x;"})")) ==
        "'sources.warehouse.password_attribute' must be an attribute name (e.g. PWD, PRIV_KEY_FILE_PWD)");
}

TEST_CASE("an odbc connection string with a secret, no driver or bad braces is refused",
          "[config]") {
  const auto source = [](const std::string& text) {
    return with_source(R"({"type": "odbc", "connection_string": ")" + text + "\"}");
  };
  CHECK(error_of(source("DSN=dw;PWD={hunter2}")) ==
        "'sources.warehouse.connection_string' contains a secret (PWD): secrets don't belong in "
        "the config text; use password_file or password_env");
  CHECK_THAT(error_of(source("Driver={Snowflake};PRIV_KEY_FILE_PWD=k3y")),
             Catch::Contains("contains a secret (PRIV_KEY_FILE_PWD)"));
  CHECK(error_of(source("Server=db;UID=me")) ==
        "'sources.warehouse.connection_string' names no Driver={...} and no DSN=...");
  const std::string unclosed = error_of(source("DSN=dw;PWD={hunter2"));
  CHECK_THAT(unclosed, Catch::Contains("'{' that is not closed"));
  CHECK(unclosed.find("hunter2") == std::string::npos);
  CHECK(error_of(with_source(R"({"type": "odbc"})")) ==
        "'sources.warehouse.connection_string' is required");
  CHECK(error_of(with_source(R"({"type": "odbc", "connection_string": "DSN=x", "conninfo": "y"})")) ==
        "unknown key 'sources.warehouse.conninfo'");
}

TEST_CASE("an odbc source's text_fetch is utf16, utf8 or auto", "[config]") {
  const auto fetch = [](const std::string& value) {
    return with_source(R"({"type": "odbc", "connection_string": "DSN=x", "text_fetch": ")" + value +
                       "\"}");
  };
  CHECK(parse_config(fetch("utf16"))->sources.at("warehouse").text_fetch == OdbcTextFetch::utf16);
  CHECK(parse_config(fetch("utf8"))->sources.at("warehouse").text_fetch == OdbcTextFetch::utf8);
  CHECK(parse_config(fetch("auto"))->sources.at("warehouse").text_fetch ==
        OdbcTextFetch::automatic);
  CHECK(parse_config(with_source(R"({"type": "odbc", "connection_string": "DSN=x"})"))
            ->sources.at("warehouse")
            .text_fetch == OdbcTextFetch::automatic);
  CHECK(error_of(fetch("latin1")) ==
        R"('sources.warehouse.text_fetch' must be "utf16", "utf8" or "auto")");
  // A key of odbc sources only.
  CHECK(error_of(with_source(R"({"type": "postgres", "conninfo": "host=x", "text_fetch": "utf8"})")) ==
        "unknown key 'sources.warehouse.text_fetch'");
}

TEST_CASE("a postgres source's read_mode is copy, cursor or auto", "[config]") {
  const auto mode = [](const std::string& value) {
    return with_source(R"({"type": "postgres", "conninfo": "host=x", "read_mode": ")" + value + "\"}");
  };
  CHECK(parse_config(mode("copy"))->sources.at("warehouse").read_mode == PgReadMode::copy);
  CHECK(parse_config(mode("cursor"))->sources.at("warehouse").read_mode == PgReadMode::cursor);
  CHECK(parse_config(mode("auto"))->sources.at("warehouse").read_mode == PgReadMode::automatic);
  CHECK(parse_config(with_source(R"({"type": "postgres", "conninfo": "host=x"})"))
            ->sources.at("warehouse")
            .read_mode == PgReadMode::automatic);
  CHECK(error_of(mode("fetch")) ==
        R"('sources.warehouse.read_mode' must be "copy", "cursor" or "auto")");
}

}  // namespace emsync::config
