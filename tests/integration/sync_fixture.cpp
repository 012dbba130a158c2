#include "sync_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "store/sqlite.hpp"
#include "support/http.hpp"
#include "support/pg_cluster.hpp"
#include "unit/source/odbc_test_env.hpp"

namespace emsync::test {

namespace {

using namespace std::chrono_literals;

std::string testdata(const std::string& name) {
  return source_dir() + "/tools/emarsys-sim/testdata/" + name;
}

// $EMSYNC_TEST_LOG_DIR (set by ctest, see CMakeLists.txt), or empty.
std::filesystem::path test_log_dir() {
  const char* dir = std::getenv("EMSYNC_TEST_LOG_DIR");
  return dir == nullptr ? std::filesystem::path() : std::filesystem::path(dir);
}

// Each test process leaves <pid>.ran there, so the log check (logs_check.cpp)
// can tell "no test ran" from "tests ran and saved no daemon log".
[[maybe_unused]] const bool k_marked_as_ran = [] {
  if (const auto dir = test_log_dir(); !dir.empty()) {
    write_text_file(dir / (std::to_string(::getpid()) + ".ran"), "");
  }
  return true;
}();

// Saves the whole output of one emsyncd as <pid>-<n>.log in the log dir, for
// the check that no log line names a secret or, at info and above, an email.
void save_emsyncd_log(const std::string& text) {
  static std::atomic<int> saved{0};
  if (const auto dir = test_log_dir(); !dir.empty()) {
    write_text_file(dir / (std::to_string(::getpid()) + "-" + std::to_string(++saved) + ".log"),
                    text);
  }
}

}  // namespace

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string test_ca_file() { return testdata("test-ca.pem"); }

std::string source_dir() { return EMSYNC_SOURCE_DIR; }

Simulator::Simulator(bool tls, std::vector<std::string> extra_args) : m_tls(tls) {
  std::vector<std::string> argv = {EMARSYS_SIM_PATH,      "--bind",          "127.0.0.1",
                                   "--port",              "0",               "--wsse-user",
                                   k_wsse_user,           "--wsse-secret",   k_wsse_secret,
                                   "--oauth-client-id",   k_oauth_client,    "--oauth-client-secret",
                                   k_oauth_secret};
  if (tls) {
    argv.insert(argv.end(), {"--tls-cert", testdata("server.pem"), "--tls-key", testdata("server.key")});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  m_process = std::make_unique<ChildProcess>(argv);
  auto line = m_process->read_line_from_stdout(10s);
  if (!line || line->rfind("listening on ", 0) != 0) {
    throw std::runtime_error("emarsys-sim did not start: " + m_process->stderr_text());
  }
  m_port = static_cast<std::uint16_t>(std::stoi(line->substr(13)));
}

std::string Simulator::base_url() const {
  return std::string(m_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(m_port);
}

nlohmann::json Simulator::get(const std::string& target) const {
  if (m_tls) {
    // The control endpoints share the TLS listener; read them with curl.
    auto result = run_command({"curl", "-sSf", "--cacert", test_ca_file(), base_url() + target});
    INFO("curl: " << result.stderr_text);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.stdout_text);
  }
  auto response = http_request("GET", "127.0.0.1", m_port, target);
  REQUIRE(response.status == 200);
  return nlohmann::json::parse(response.body);
}

nlohmann::json Simulator::state() const { return get("/sim/state"); }

nlohmann::json Simulator::faults() const { return get("/sim/faults"); }

std::map<std::string, nlohmann::json> Simulator::contacts() const {
  std::map<std::string, nlohmann::json> out;
  const nlohmann::json all = state();
  for (const auto& contact : all.at("contacts")) {
    out[contact.at("email").get<std::string>()] = contact.at("fields");
  }
  return out;
}

nlohmann::json Simulator::post(const std::string& target, const nlohmann::json& body) const {
  if (m_tls) {
    auto result = run_command({"curl", "-sSf", "--cacert", test_ca_file(), "-X", "POST", "-H",
                               "Content-Type: application/json", "--data-binary", "@-",
                               base_url() + target},
                              body.dump());
    INFO("curl POST " << target << ": " << result.stderr_text);
    REQUIRE(result.exit_code == 0);
    return result.stdout_text.empty() ? nlohmann::json() : nlohmann::json::parse(result.stdout_text);
  }
  auto response = http_request("POST", "127.0.0.1", m_port, target, body.dump());
  REQUIRE(response.status == 200);
  return response.body.empty() ? nlohmann::json() : nlohmann::json::parse(response.body);
}

std::int64_t Simulator::create_list(const std::string& name) const {
  return post("/sim/lists", {{"name", name}}).at("id").get<std::int64_t>();
}

std::vector<std::string> Simulator::list_members(std::int64_t id) const {
  return get("/sim/lists/members?id=" + std::to_string(id))
      .at("emails")
      .get<std::vector<std::string>>();
}

void Simulator::add_list_members(std::int64_t id, const std::vector<std::string>& emails) const {
  post("/sim/lists/members", {{"id", id}, {"emails", emails}});
}

std::int64_t Simulator::create_field(const std::string& name, const std::string& application_type,
                                     const std::vector<std::string>& choices) const {
  return post("/sim/fields",
              {{"name", name}, {"application_type", application_type}, {"choices", choices}})
      .at("id")
      .get<std::int64_t>();
}

void Simulator::seed(const nlohmann::json& contacts) const {
  post("/sim/contacts", {{"contacts", contacts}});
}

void Simulator::reject(const nlohmann::json& emails) const { post("/sim/reject", {{"emails", emails}}); }

void Simulator::race(const nlohmann::json& emails) const { post("/sim/race", {{"emails", emails}}); }

nlohmann::json Simulator::set_faults(const nlohmann::json& faults) const {
  return post("/sim/faults", faults);
}

void Simulator::clear_requests() const { post("/sim/requests/clear", nlohmann::json::object()); }

std::vector<nlohmann::json> Simulator::requests(const std::string& method,
                                                const std::string& path_suffix) const {
  std::vector<nlohmann::json> out;
  const nlohmann::json all = state();
  for (const auto& request : all.at("requests")) {
    const auto path = request.at("path").get<std::string>();
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') {
      trimmed.pop_back();
    }
    if (request.at("method") == method && trimmed.size() >= path_suffix.size() &&
        trimmed.compare(trimmed.size() - path_suffix.size(), path_suffix.size(), path_suffix) == 0) {
      out.push_back(request);
    }
  }
  return out;
}

std::vector<nlohmann::json> Simulator::sent_contacts(const std::string& method) const {
  std::vector<nlohmann::json> out;
  for (const auto& request : requests(method, "/contact")) {
    const nlohmann::json& contacts = request.at("contacts");
    out.insert(out.end(), contacts.begin(), contacts.end());
  }
  return out;
}

std::int64_t Simulator::token_requests(const std::string& client_id) const {
  const nlohmann::json all = state();
  const nlohmann::json& counts = all.at("token_requests");
  return counts.contains(client_id) ? counts.at(client_id).get<std::int64_t>() : 0;
}

nlohmann::json wsse_destination(const Simulator& sim, const TempDir& dir,
                                std::optional<std::int64_t> list_id, const std::string& secret) {
  write_text_file(dir.path() / "wsse-secret", secret);
  nlohmann::json d = {{"type", "emarsys"},
                      {"api_url", sim.base_url() + "/api/v2"},
                      {"auth", "wsse"},
                      {"username", k_wsse_user},
                      {"secret_file", (dir.path() / "wsse-secret").string()}};
  if (list_id) {
    d["new_contacts_list_id"] = *list_id;
  }
  return d;
}

nlohmann::json oauth_destination(const Simulator& sim, const TempDir& dir,
                                 std::optional<std::int64_t> list_id) {
  write_text_file(dir.path() / "oauth-secret", std::string(k_oauth_secret) + "\n");
  nlohmann::json d = {{"type", "emarsys"},
                      {"api_url", sim.base_url() + "/api/v3"},
                      {"auth", "oauth2"},
                      {"client_id", k_oauth_client},
                      {"client_secret_file", (dir.path() / "oauth-secret").string()},
                      {"token_url", sim.base_url() + "/oauth2/token"},
                      {"ca_file", test_ca_file()}};
  if (list_id) {
    d["new_contacts_list_id"] = *list_id;
  }
  return d;
}

nlohmann::json daemon_config(const TempDir& dir, nlohmann::json sources,
                             nlohmann::json destinations) {
  return {{"state_db", (dir.path() / "state.db").string()},
          {"admin_socket", (dir.path() / "emsyncd.sock").string()},
          {"log", {{"level", "debug"}, {"format", "text"}}},
          {"metrics_listen", "127.0.0.1:" + std::to_string(free_loopback_port())},
          {"sources", std::move(sources)},
          {"destinations", std::move(destinations)}};
}

std::vector<std::pair<std::string, std::string>> odbc_environment(const TempDir& dir) {
  const auto odbc_dir = dir.path() / "odbc";
  std::filesystem::create_directories(odbc_dir);
  write_text_file(odbc_dir / "odbcinst.ini",
                  std::string("[PostgreSQL Unicode]\nDriver=") + source::test::k_psql_odbc_driver +
                      "\n\n[SQLite3]\nDriver=" + source::test::k_sqlite_odbc_driver + "\n");
  write_text_file(odbc_dir / "odbc.ini", "");
  return {{"ODBCSYSINI", odbc_dir.string()}, {"ODBCINI", (odbc_dir / "odbc.ini").string()}};
}

std::string pg_odbc_connection_string(const std::string& db) {
  const auto& pg = PgCluster::shared();
  pg.exec(std::string("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") +
          k_odbc_reader + "') THEN CREATE ROLE " + k_odbc_reader + " LOGIN; END IF; END $$;" +
          "ALTER ROLE " + k_odbc_reader + " PASSWORD '" + k_odbc_password + "';" +
          "GRANT pg_read_all_data TO " + k_odbc_reader + ";");
  return "Driver={PostgreSQL Unicode};Servername=" + pg.socket_dir().string() +
         ";Port=" + std::to_string(pg.port()) + ";Database=" + db + ";UID=" + k_odbc_reader +
         ";UseDeclareFetch=1;Fetch=10000;pqopt={options='-c TimeZone=UTC'}";
}

nlohmann::json odbc_source(const TempDir& dir, const std::string& connection_string,
                           const std::string& password) {
  write_text_file(dir.path() / "odbc-password", password);
  return {{"type", "odbc"},
          {"connection_string", connection_string},
          {"password_file", (dir.path() / "odbc-password").string()}};
}

const char* to_string(PgReader reader) {
  switch (reader) {
    case PgReader::copy:
      return "copy";
    case PgReader::cursor:
      return "cursor";
    case PgReader::odbc:
      return "odbc";
  }
  return "?";
}

nlohmann::json pg_source(PgReader reader, const TempDir& dir, const std::string& db) {
  if (reader == PgReader::odbc) {
    return odbc_source(dir, pg_odbc_connection_string(db));
  }
  return {{"type", "postgres"},
          {"conninfo", PgCluster::shared().conninfo("postgres", db)},
          {"read_mode", to_string(reader)}};
}

CommandResult run_emsyncd(const TempDir& dir, const nlohmann::json& config,
                          const std::string& flag) {
  const auto path = dir.path() / "bad-config.json";
  write_text_file(path, config.dump(2));
  SpawnOptions spawn;
  spawn.env = odbc_environment(dir);
  auto result =
      run_command({EMSYNCD_PATH, flag, path.string()}, {}, std::chrono::seconds(20), spawn);
  save_emsyncd_log(result.stderr_text + result.stdout_text);
  return result;
}

Daemon::Daemon(const TempDir& dir, nlohmann::json sources, nlohmann::json destinations,
               DaemonOptions options)
    : m_dir(dir) {
  nlohmann::json config = daemon_config(dir, std::move(sources), std::move(destinations));
  config.update(options.extra_config);
  if (const auto listen = config.at("metrics_listen").get<std::string>(); !listen.empty()) {
    m_metrics_port = static_cast<std::uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
  }
  write_text_file(config_path(), config.dump(2));
  SpawnOptions spawn;
  spawn.env = odbc_environment(dir);
  spawn.env.insert(spawn.env.end(), options.env.begin(), options.env.end());
  m_process = std::make_unique<ChildProcess>(
      std::vector<std::string>{EMSYNCD_PATH, "--config", config_path().string()}, spawn);
  for (int i = 0; i < 200; ++i) {
    if (ctl({"ping"}).exit_code == 0) {
      return;
    }
    if (m_process->poll()) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  m_process->terminate(10s);
  save_emsyncd_log(m_process->stderr_text());
  throw std::runtime_error("emsyncd did not start: " + m_process->stderr_text());
}

Daemon::~Daemon() {
  const int code = m_process->terminate(10s);
  save_emsyncd_log(m_process->stderr_text());
  if (code != 0 && code != 128 + SIGKILL) {  // a test's own kill -9 is no news
    std::fprintf(stderr, "emsyncd exited with %d; its log:\n%s\n", code,
                 m_process->stderr_text().c_str());
  }
}

std::filesystem::path Daemon::config_path() const { return m_dir.path() / "emsyncd.json"; }

std::string Daemon::socket_path() const { return (m_dir.path() / "emsyncd.sock").string(); }
std::string Daemon::state_db() const { return (m_dir.path() / "state.db").string(); }

CommandResult Daemon::ctl(const std::vector<std::string>& args,
                          const std::string& stdin_text) const {
  std::vector<std::string> argv = {EMSYNCCTL_PATH, "--socket", socket_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, stdin_text, std::chrono::minutes(5));
}

nlohmann::json Daemon::ctl_json(const std::vector<std::string>& args, int expected_exit,
                                const std::string& stdin_text) const {
  std::vector<std::string> with_json = {"--json"};
  with_json.insert(with_json.end(), args.begin(), args.end());
  auto result = ctl(with_json, stdin_text);
  INFO("emsyncctl " << args.front() << " stderr: " << result.stderr_text
                    << "\nstdout: " << result.stdout_text);
  if (expected_exit >= 0) {
    REQUIRE(result.exit_code == expected_exit);
  }
  return nlohmann::json::parse(result.stdout_text);
}

nlohmann::json Daemon::apply(const nlohmann::json& activations) const {
  return ctl_json({"apply", "-"}, 0, activations.dump()).at("applied");
}

nlohmann::json Daemon::run(const std::string& name, const std::vector<std::string>& extra,
                           int expected_exit) const {
  std::vector<std::string> args = {"run", name, "--wait"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ctl_json(args, expected_exit);
}

std::vector<std::string> Daemon::state_rows(const std::string& sql) const {
  auto db = store::Db::open(state_db(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  db->set_busy_timeout(5000);
  auto statement = db->prepare(sql);
  REQUIRE(statement);
  std::vector<std::string> rows;
  for (;;) {
    auto row = statement->step();
    REQUIRE(row);
    if (!*row) {
      return rows;
    }
    rows.push_back(statement->get_text(0));
  }
}

nlohmann::json demo_sources() {
  return {{"demo", {{"type", "sqlite"}, {"path", source_dir() + "/examples/demo.db"}}}};
}

nlohmann::json demo_activation(const std::string& name) {
  return {{"name", name},
          {"source", "demo"},
          {"destination", "emarsys"},
          {"query", "SELECT email, first_name FROM customers"},
          {"fields", {{"first_name", 1}}},
          // Its 4 bad rows of 15 are on purpose, as in examples/demo-activation.json.
          {"max_rejected_percent", 30}};
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

std::int64_t peak_rss_bytes(pid_t pid) {
  const std::string status = read_text_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("VmHWM:");
  REQUIRE(at != std::string::npos);
  return std::stoll(status.substr(at + 6)) * 1024;  // "VmHWM:    12345 kB"
}

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::map<std::string, nlohmann::json> by_email(const std::vector<nlohmann::json>& contacts) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& contact : contacts) {
    out[contact.at("3").get<std::string>()] = contact;
  }
  return out;
}

std::string person(int i) { return "person" + std::to_string(i) + "@example.com"; }

std::string create_people_db(const std::string& db, int rows) {
  const auto& pg = PgCluster::shared();
  pg.exec("DROP DATABASE IF EXISTS " + db + "; CREATE DATABASE " + db + ";");
  pg.exec("CREATE TABLE people (email text, first_name text, last_name text, city text,"
          " active boolean NOT NULL DEFAULT true);"
          "INSERT INTO people (email, first_name, last_name, city)"
          "  SELECT 'person' || i || '@example.com', 'First' || i, 'Last' || i,"
          "         CASE WHEN i % 4 = 0 THEN NULL ELSE 'City' || i END"
          "  FROM generate_series(1, " + std::to_string(rows) + ") AS i;",
          db);
  return pg.conninfo("postgres", db);
}

nlohmann::json person_fields(int i) {
  nlohmann::json fields = {{"1", "First" + std::to_string(i)}, {"2", "Last" + std::to_string(i)}};
  if (i % 4 != 0) {
    fields["11"] = "City" + std::to_string(i);
  }
  return fields;
}

nlohmann::json person_contact(int i) {
  nlohmann::json contact = person_fields(i);
  contact["3"] = person(i);
  return contact;
}

nlohmann::json all_people_fields() { return {{"first_name", 1}, {"last_name", 2}, {"city", 11}}; }

nlohmann::json people_activation(const std::string& name, const std::string& destination,
                                 const nlohmann::json& fields) {
  return {{"name", name},
          {"source", "warehouse"},
          {"destination", destination},
          {"query", "SELECT email, first_name, last_name, city FROM people WHERE active"},
          {"fields", fields},
          {"insert_new_contacts", true}};
}

PeopleSync::PeopleSync(const std::string& db, int rows, PgReader reader)
    : daemon(dir, {{"warehouse", (create_people_db(db, rows), pg_source(reader, dir, db))}},
             {{"emarsys", wsse_destination(sim, dir, std::nullopt)}}) {}

}  // namespace emsync::test
