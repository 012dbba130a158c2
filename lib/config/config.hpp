// The daemon's configuration file (JSON), as emsyncd --config FILE reads it.
//
//   { "state_db": "/var/lib/emsyncd/state.db",
//     "admin_socket": "/run/emsyncd/control.sock",
//     "max_concurrent_runs": 4, "shutdown_timeout_s": 60,
//     "auto_pause_after_failures": 3, "auto_resume_check_s": 3600,
//     "metrics_listen": "127.0.0.1:19100", "run_history_days": 90,
//     "rejected_row_keys": "clear",
//     "admin": {"operators_group": "emsyncd-admin"},
//     "log": {"level": "info", "format": "text"},
//     "sources": {"warehouse": {"type": "postgres", "conninfo": "host=... dbname=...",
//                               "password_file": "pg-password", "statement_timeout_s": 1800,
//                               "read_mode": "auto"},
//                 "snowflake": {"type": "odbc", "connection_string": "Driver={SnowflakeDSIIDriver};...",
//                               "password_env": "SNOWFLAKE_PASSWORD"},
//                 "demo": {"type": "sqlite", "path": "examples/demo.db"}},
//     "destinations": {"emarsys": {"type": "emarsys", "api_url": "https://api.emarsys.net/api/v2",
//                                  "auth": "wsse", "username": "acme001", "secret_file": "emarsys-secret",
//                                  "new_contacts_list_id": 123, "rate_limit_per_minute": 1000,
//                                  "connections": 4}} }
//
// Unknown keys are errors naming the key (with its path, e.g.
// "sources.warehouse.passwrd_file"). Secrets are never in the text: each is a
// `<name>_file` or `<name>_env` reference (exactly one), resolved later by
// core/secret.hpp, so parsing a config never reads a secret.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace emsync::config {

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text | json
};

struct AdminConfig {
  // Besides root and the daemon's user, the members of this group may use
  // the admin methods that change state or read model data (apply, run,
  // delete, reload, ...); every user who can open admin_socket may use the
  // read-only ones (lib/admin/access.hpp). Resolved at start and on reload;
  // a group that does not exist leaves only root and the daemon's user.
  std::string operators_group = "emsyncd-admin";
};

enum class SourceType { postgres, sqlite, odbc };

// How a postgres source reads (source::PostgresReadMode, row_source.hpp).
enum class PgReadMode { copy, cursor, automatic };

// How an odbc source fetches character data (source::OdbcTextFetch).
enum class OdbcTextFetch { utf16, utf8, automatic };

struct SourceConfig {
  SourceType type = SourceType::sqlite;
  std::string conninfo;                // postgres: libpq conninfo without password
  // postgres: read_mode "copy" | "cursor" | "auto" (default)
  PgReadMode read_mode = PgReadMode::automatic;
  std::string connection_string;       // odbc: "Driver={...};..." or "DSN=...", without PWD
  // odbc: the attribute the password is given as, at connect time: PWD, or
  // e.g. PRIV_KEY_FILE_PWD (Snowflake key pair), Auth_Client_Secret (Databricks OAuth)
  std::string password_attribute = "PWD";
  // odbc: text_fetch "utf16" | "utf8" | "auto" (default): how character data
  // is fetched (source::OdbcTextFetch, row_source.hpp)
  OdbcTextFetch text_fetch = OdbcTextFetch::automatic;
  std::optional<SecretRef> password;   // postgres, odbc: password_file / password_env (optional)
  std::string path;                    // sqlite: database file
  std::chrono::milliseconds statement_timeout{std::chrono::minutes(30)};  // statement_timeout_s
};

enum class AuthKind { wsse, oauth2 };

struct DestinationConfig {
  std::string api_url;  // required; http:// only for loopback hosts
  AuthKind auth = AuthKind::wsse;
  std::string username;   // wsse: required
  SecretRef secret;       // wsse: secret_file / secret_env
  std::string client_id;  // oauth2: required
  SecretRef client_secret;  // oauth2: client_secret_file / client_secret_env
  std::string token_url = "https://auth.emarsys.net/oauth2/token";  // oauth2
  std::optional<std::string> ca_file;
  std::optional<std::int64_t> new_contacts_list_id;
  // For this API user (host + username/client_id); destinations of one user
  // share one limiter at the lowest of their rates.
  int rate_limit_per_minute = 1000;
  int connections = 4;  // keep-alive connections used at once (1..16)
};

struct Config {
  std::string state_db;      // required
  std::string admin_socket;  // required
  // Runs of different activations at once (1..64); more wait their turn.
  int max_concurrent_runs = 4;
  // On SIGTERM, how long running runs get to finish their in-flight batch
  // before the daemon exits anyway (keep it below systemd's TimeoutStopSec).
  std::chrono::seconds shutdown_timeout{60};
  // An activation whose runs fail this many times in a row for a reason that
  // will not fix itself is auto-paused; every auto_resume_check it is checked
  // (source, query with LIMIT 0, API) and resumed once the check passes.
  int auto_pause_after_failures = 3;
  std::chrono::seconds auto_resume_check{3600};
  // A contact Emarsys rejects with the same error for the same data this many
  // runs in a row is parked (skipped) until its data changes or `emsyncctl
  // retry`. 0 never parks.
  int park_after_rejections = 5;
  // Where GET /metrics (Prometheus text format) and GET /healthz are served:
  // "host:port" with host an IP literal or localhost; empty turns it off.
  // 19100 clashes with no common exporter (node_exporter 9100, OTel 9464).
  std::string metrics_listen = "127.0.0.1:19100";
  // Finished runs (and their rejected rows) older than this are pruned;
  // 0 keeps them forever.
  int run_history_days = 90;
  // How rejected rows keep their key (the email): in clear, so that
  // `emsyncctl errors` says which row to fix, or hashed (sha256 hex prefix)
  // where the state DB must not hold emails beyond the contact state.
  enum class RowKeys { clear, hashed };
  RowKeys rejected_row_keys = RowKeys::clear;
  AdminConfig admin;
  LogConfig log;
  std::map<std::string, SourceConfig> sources;
  std::map<std::string, DestinationConfig> destinations;
};

struct ListenAddress {
  std::string host;  // an IP literal ("localhost" becomes 127.0.0.1)
  std::uint16_t port = 0;
};
// "127.0.0.1:19100", "[::1]:19100", "localhost:19100"; nullopt otherwise.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

// Parses and validates the config text. The error message lists every
// problem found, one per line.
Result<Config> parse_config(std::string_view json_text);
// Reads the file, then parse_config; errors name the file.
Result<Config> load_config(const std::string& path);

}  // namespace emsync::config
