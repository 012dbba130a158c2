// Fixtures for end-to-end tests: the Emarsys simulator and the real emsyncd
// and emsyncctl binaries, on loopback, in a private temp dir.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace emsync::test {

inline constexpr const char* k_wsse_user = "acme001";
inline constexpr const char* k_wsse_secret = "wsse-secret-value";
inline constexpr const char* k_oauth_client = "acme-client";
inline constexpr const char* k_oauth_secret = "oauth-secret-value";
// A WSSE secret the simulator refuses, and one written into a config (refused).
inline constexpr const char* k_wrong_wsse_secret = "not-the-wsse-secret";
inline constexpr const char* k_inline_secret = "inline-secret-4711";

void write_text_file(const std::filesystem::path& path, const std::string& text);
// The whole file, or "" when it does not exist.
std::string read_text_file(const std::filesystem::path& path);
// The CA that signed the simulator's TLS certificate.
std::string test_ca_file();

// emarsys-sim with one WSSE user and one OAuth client. The /sim control
// requests work over TLS too (through curl, trusting test_ca_file()).
class Simulator {
 public:
  explicit Simulator(bool tls = false, std::vector<std::string> extra_args = {});

  std::uint16_t port() const { return m_port; }
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string base_url() const;
  nlohmann::json state() const;
  // Contacts by email: email -> fields object.
  std::map<std::string, nlohmann::json> contacts() const;
  std::int64_t create_list(const std::string& name) const;
  // GET /sim/lists/members: the emails in list `id`, in contact id order.
  std::vector<std::string> list_members(std::int64_t id) const;
  // POST /sim/lists/members: puts `emails` (contacts the simulator holds) in
  // list `id` by hand, as a user of the Emarsys UI would.
  void add_list_members(std::int64_t id, const std::vector<std::string>& emails) const;
  // POST /sim/fields: a field of any type, as the Emarsys UI creates it
  // (`choices`: the labels of a choice field, ids "1", "2", ...); its id.
  std::int64_t create_field(const std::string& name, const std::string& application_type,
                            const std::vector<std::string>& choices = {}) const;
  void seed(const nlohmann::json& contacts) const;
  void reject(const nlohmann::json& emails) const;
  // The next create of each email loses a race (answered 2009, created by "someone else").
  void race(const nlohmann::json& emails) const;
  // POST /sim/faults (see tools/emarsys-sim/README.md); returns the reply.
  nlohmann::json set_faults(const nlohmann::json& faults) const;
  // GET /sim/faults: the config and the faults injected so far, by kind.
  nlohmann::json faults() const;
  void clear_requests() const;
  // Logged requests with `method` whose path ends with `path_suffix`.
  std::vector<nlohmann::json> requests(const std::string& method,
                                       const std::string& path_suffix) const;
  // The contacts sent with `method` ("PUT" or "POST") to /contact, in order.
  std::vector<nlohmann::json> sent_contacts(const std::string& method = "PUT") const;
  // POST /oauth2/token calls made by `client_id` (0 when none).
  std::int64_t token_requests(const std::string& client_id) const;

 private:
  nlohmann::json get(const std::string& target) const;
  nlohmann::json post(const std::string& target, const nlohmann::json& body) const;
  bool m_tls;
  std::unique_ptr<ChildProcess> m_process;
  std::uint16_t m_port = 0;
};

// ODBC, hermetic: every emsyncd the fixtures start (Daemon, run_emsyncd)
// finds its ODBC drivers in a private odbcinst.ini, never in the machine's
// /etc/odbcinst.ini or ~/.odbc.ini.
//
// The PostgreSQL role the ODBC sources log in as (reads every table through
// pg_read_all_data), and its password: '}' and ';' prove that the source
// braces it in the connection string.
inline constexpr const char* k_odbc_reader = "emsync_odbc";
inline constexpr const char* k_odbc_password = "odbc}Secret;4711";
inline constexpr const char* k_wrong_odbc_password = "odbc}Wrong;0815";

// Writes DIR/odbc/odbcinst.ini ("PostgreSQL Unicode" → psqlodbcw.so,
// "SQLite3" → libsqlite3odbc.so, by their full paths) and an empty
// DIR/odbc/odbc.ini; returns the environment that points the driver manager
// at them (ODBCSYSINI, ODBCINI).
std::vector<std::pair<std::string, std::string>> odbc_environment(const TempDir& dir);
// The psqlODBC connection string (no password) for database `db` of
// PgCluster::shared() as k_odbc_reader (created on first use): over the
// cluster's Unix socket, streamed (UseDeclareFetch=1, 10,000 rows a fetch),
// the session in UTC (pqopt) as the README advises.
std::string pg_odbc_connection_string(const std::string& db);
// An "odbc" source for `connection_string` with `password` in
// DIR/odbc-password.
nlohmann::json odbc_source(const TempDir& dir, const std::string& connection_string,
                           const std::string& password = k_odbc_password);

// How a PostgreSQL model is read: the postgres source with read_mode "copy"
// or "cursor", or the odbc source through psqlODBC.
enum class PgReader { copy, cursor, odbc };
const char* to_string(PgReader reader);
// The source JSON that reads database `db` of PgCluster::shared() with
// `reader` (secrets written to `dir`).
nlohmann::json pg_source(PgReader reader, const TempDir& dir, const std::string& db);

struct DaemonOptions {
  nlohmann::json extra_config = nlohmann::json::object();  // merged into the config file
  std::vector<std::pair<std::string, std::string>> env;     // added to emsyncd's environment
};

// emsyncd started with a config built from `sources` and `destinations`
// (JSON objects as in the config file), in `dir`.
// The state DB keys (hash64 of the email) emsync holds a state for: in
// contact_state, or in the contact log, which stays unfolded between runs
// while it is small.
inline const std::string k_stored_keys_sql =
    "SELECT email_hash FROM contact_state UNION SELECT email_hash FROM contact_log";
inline const std::string k_stored_count_sql = "SELECT count(*) FROM (" + k_stored_keys_sql + ")";

class Daemon {
 public:
  Daemon(const TempDir& dir, nlohmann::json sources, nlohmann::json destinations,
         DaemonOptions options = {});
  ~Daemon();

  ChildProcess& process() { return *m_process; }
  std::filesystem::path config_path() const;

  std::string socket_path() const;
  CommandResult ctl(const std::vector<std::string>& args, const std::string& stdin_text = {}) const;
  // emsyncctl --json ARGS; REQUIREs the expected exit code (any when < 0) and parses stdout.
  nlohmann::json ctl_json(const std::vector<std::string>& args, int expected_exit = 0,
                          const std::string& stdin_text = {}) const;
  // `apply -` with `activations`; REQUIREs success and returns the "applied" array.
  nlohmann::json apply(const nlohmann::json& activations) const;
  // `run NAME --wait [extra...]`: the run report.
  nlohmann::json run(const std::string& name, const std::vector<std::string>& extra = {},
                     int expected_exit = 0) const;
  std::string log() const { return m_process->stderr_text(); }
  // The port of its metrics endpoint on 127.0.0.1 (a free one unless the
  // options set metrics_listen); 0 when turned off.
  std::uint16_t metrics_port() const { return m_metrics_port; }
  pid_t pid() const { return m_process->pid(); }
  std::string state_db() const;
  // The first column of every row `sql` returns, read from the state DB
  // (read-only, beside the running daemon).
  std::vector<std::string> state_rows(const std::string& sql) const;

 private:
  const TempDir& m_dir;
  std::unique_ptr<ChildProcess> m_process;
  std::uint16_t m_metrics_port = 0;
};

// The destination JSON for `sim` with WSSE or OAuth 2.0; secrets are written
// as files in `dir`.
nlohmann::json wsse_destination(const Simulator& sim, const TempDir& dir,
                                std::optional<std::int64_t> list_id,
                                const std::string& secret = k_wsse_secret);
nlohmann::json oauth_destination(const Simulator& sim, const TempDir& dir,
                                 std::optional<std::int64_t> list_id);

// The config file Daemon writes for `sources` and `destinations`.
nlohmann::json daemon_config(const TempDir& dir, nlohmann::json sources,
                             nlohmann::json destinations);
// emsyncd --config with `config` (written to DIR/bad-config.json), for a
// config it must refuse: its exit code and output. `flag` "--check-config"
// only checks it.
CommandResult run_emsyncd(const TempDir& dir, const nlohmann::json& config,
                          const std::string& flag = "--config");

// The SQLite demo model (examples/demo.db) as the source "demo".
nlohmann::json demo_sources();
// An activation `name` of demo_sources()' customers (email, first_name → field
// 1) to the destination "emarsys", allowing its 4 bad rows of 15
// (max_rejected_percent 30).
nlohmann::json demo_activation(const std::string& name);
// Polls `done` every 100 ms for up to `timeout`; true once it holds.
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The peak resident set of process `pid` (VmHWM), in bytes.
std::int64_t peak_rss_bytes(pid_t pid);

// A JSON value as text: strings as they are, anything else dumped.
std::string as_text(const nlohmann::json& value);
// Contacts (objects with "3") by email.
std::map<std::string, nlohmann::json> by_email(const std::vector<nlohmann::json>& contacts);

std::string source_dir();

// The "people" model in PostgreSQL: person(i) for i in 1..rows, first_name
// "First<i>", last_name "Last<i>", city "City<i>" except NULL for every
// fourth person, active true.
std::string person(int i);
// Recreates database `db` in PgCluster::shared() with the people table;
// returns its conninfo.
std::string create_people_db(const std::string& db, int rows);
// The non-NULL values of person(i) as Emarsys field id -> value, for the
// mapping first_name -> 1, last_name -> 2, city -> 11.
nlohmann::json person_fields(int i);
// person_fields(i) with the email ("3"): the contact as sent in full.
nlohmann::json person_contact(int i);
// {"first_name": 1, "last_name": 2, "city": 11}
nlohmann::json all_people_fields();
// An activation over the active people, to `destination`, creating new
// contacts; `fields` maps columns to Emarsys fields.
nlohmann::json people_activation(const std::string& name, const std::string& destination,
                                 const nlohmann::json& fields);

// A simulator (WSSE destination "emarsys"), the people model in database
// `db` (source "warehouse", read with `reader`) and emsyncd, in a private dir.
struct PeopleSync {
  TempDir dir{"emsync-e2e"};
  Simulator sim;
  Daemon daemon;

  PeopleSync(const std::string& db, int rows, PgReader reader = PgReader::copy);
};

}  // namespace emsync::test
