// End to end: what `apply` and `emsyncd --check-config` check before
// anything runs (issue 18), and emsyncctl's habits (errors under --json, an
// unknown command, audit details, emsyncd --help).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "support/http.hpp"
#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A SQLite model in DIR/model.db: customers(email, first_name, updated_at).
std::string make_sqlite_model(const TempDir& dir) {
  const std::string path = (dir.path() / "model.db").string();
  const auto created = run_command(
      {"sqlite3", path,
       "CREATE TABLE customers (email TEXT, first_name TEXT, updated_at TIMESTAMP);"
       "INSERT INTO customers VALUES ('ada@example.com', 'Ada', '2026-12-01 10:00:00'),"
       " ('bob@example.com', 'Bob', '2026-12-01 11:00:00');"});
  REQUIRE(created.exit_code == 0);
  return path;
}

json sqlite_source(const std::string& path) { return {{"type", "sqlite"}, {"path", path}}; }

// An activation of the "model" source's customers (email, first_name → 1).
json customers_activation(const std::string& name) {
  return {{"name", name},
          {"source", "model"},
          {"destination", "emarsys"},
          {"query", "SELECT email, first_name, updated_at FROM customers"},
          {"fields", {{"first_name", 1}}},
          {"insert_new_contacts", true}};
}

// `emsyncctl apply -` of `activation`, expected refused: its stderr.
std::string refused_apply(const Daemon& daemon, const json& activation) {
  const auto result = daemon.ctl({"apply", "-"}, activation.dump());
  INFO("stdout: " << result.stdout_text << "\nstderr: " << result.stderr_text);
  CHECK(result.exit_code == 1);
  return result.stderr_text;
}

// A loopback URL where nobody listens.
std::string closed_url() { return "http://127.0.0.1:" + std::to_string(free_loopback_port()); }

}  // namespace

TEST_CASE("apply refuses what cannot work, naming it, and stores nothing", "[checks]") {
  TempDir dir("emsync-checks");
  Simulator sim;
  const std::int64_t list = sim.create_list("new customers");
  std::int64_t configured_list = list;
  const std::string model = make_sqlite_model(dir);
  json activation = customers_activation("customers");
  std::string expected;
  SECTION("a query that does not compile") {
    activation["query"] = "SELEC email, first_name FROM customers";
    expected = "syntax error";
  }
  SECTION("no email column") {
    activation["email_column"] = "mail";
    expected = "the model has no column 'mail'";
  }
  SECTION("a mapped column the model lacks") {
    activation["fields"]["favourite_colour"] = 2;
    expected = "the model has no column 'favourite_colour'";
  }
  SECTION("a cursor column the model lacks") {
    activation["incremental"] = {{"cursor_column", "changed_at"}};
    expected = "the model has no cursor column 'changed_at'";
  }
  SECTION("a field id Emarsys does not have") {
    activation["fields"]["first_name"] = 987654;
    expected = "column 'first_name': Emarsys has no field with id 987654";
  }
  SECTION("a field reference Emarsys does not have") {
    activation["fields"]["first_name"] = "nickname";
    expected = "column 'first_name': no Emarsys field has string_id or name 'nickname'";
  }
  SECTION("a new contacts list Emarsys does not have") {
    configured_list = list + 1000;
    expected = "the new contacts list " + std::to_string(configured_list) +
               " of destination 'emarsys' does not exist in Emarsys";
  }
  Daemon daemon(dir, {{"model", sqlite_source(model)}},
                {{"emarsys", wsse_destination(sim, dir, configured_list)}});
  const std::string error = refused_apply(daemon, activation);
  CHECK(contains(error, "activation 'customers': the check failed: "));
  CHECK(contains(error, expected));
  CHECK(daemon.ctl_json({"list"}).at("activations").empty());
  CHECK(sim.contacts().empty());
  // --no-check stores it as it is; its first run fails instead.
  const json applied = daemon.ctl_json({"apply", "--no-check", "-"}, 0, activation.dump());
  CHECK(applied.at("applied").at(0).at("action") == "created");
  CHECK(applied.at("warnings").empty());
}

TEST_CASE("apply refuses a PostgreSQL model that does not compile", "[checks]") {
  PeopleSync s("e2e_checks_pg", 3);
  json activation = people_activation("people", "emarsys", all_people_fields());
  activation["query"] = "SELEC email, first_name, last_name, city FROM people";
  const std::string error = refused_apply(s.daemon, activation);
  CHECK(contains(error, "activation 'people': the check failed: "));
  CHECK(contains(error, "syntax error"));
  activation["query"] = "SELECT email, first_name, last_name FROM people";
  CHECK(contains(refused_apply(s.daemon, activation), "the model has no column 'city'"));
  CHECK(s.daemon.ctl_json({"list"}).at("activations").empty());
  s.sim.clear_requests();
  // --no-check neither connects nor calls Emarsys.
  activation["query"] = "SELEC email, first_name, last_name, city FROM people";
  const auto applied = s.daemon.ctl({"apply", "--no-check", "-"}, activation.dump());
  CHECK(applied.exit_code == 0);
  CHECK(s.sim.state().at("requests").empty());
  CHECK(s.daemon.run("people", {}, 1).at("status") == "failed");
}

TEST_CASE("apply stores an activation whose source or Emarsys cannot be reached, with a warning",
          "[checks]") {
  TempDir dir("emsync-checks");
  Simulator sim;
  const std::string model = make_sqlite_model(dir);
  const json pg_down = {{"type", "postgres"},
                        {"conninfo", "host=127.0.0.1 port=" + std::to_string(free_loopback_port()) +
                                         " dbname=crm user=emsync"}};
  json unreachable_emarsys = wsse_destination(sim, dir, std::nullopt);
  unreachable_emarsys["api_url"] = closed_url() + "/api/v2";
  Daemon daemon(dir, {{"model", sqlite_source(model)}, {"down", pg_down}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)},
                 {"offline", unreachable_emarsys}});

  SECTION("the source") {
    json activation = customers_activation("customers");
    activation["source"] = "down";
    const auto applied = daemon.ctl({"apply", "-"}, activation.dump());
    INFO("stderr: " << applied.stderr_text);
    CHECK(applied.exit_code == 0);
    CHECK(contains(applied.stdout_text, "created"));
    CHECK(contains(applied.stderr_text,
                   "warning: activation 'customers': source 'down' could not be reached, so the "
                   "model was not checked: PostgreSQL source"));
    CHECK(contains(applied.stderr_text, "cannot connect"));
    // The fields were still checked.
    activation["fields"]["first_name"] = 987654;
    CHECK(contains(refused_apply(daemon, activation), "Emarsys has no field with id 987654"));
  }
  SECTION("Emarsys") {
    json activation = customers_activation("customers");
    activation["destination"] = "offline";
    const json applied = daemon.ctl_json({"apply", "-"}, 0, activation.dump());
    CHECK(applied.at("applied").at(0).at("action") == "created");
    REQUIRE(applied.at("warnings").size() == 1);
    CHECK(contains(applied.at("warnings").at(0).get<std::string>(),
                   "activation 'customers': Emarsys (destination 'offline') could not be reached, "
                   "so the fields and the list were not checked"));
    // The model was still checked.
    activation["query"] = "SELEC email FROM customers";
    CHECK(contains(refused_apply(daemon, activation), "syntax error"));
  }
  CHECK(daemon.ctl_json({"list"}).at("activations").size() == 1);
}

TEST_CASE("re-applying a fixed activation that is auto-paused says so and how to resume",
          "[checks]") {
  TempDir dir("emsync-checks");
  Simulator sim;
  const std::string model = make_sqlite_model(dir);
  Daemon daemon(dir, {{"model", sqlite_source(model)}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                {.extra_config = {{"auto_pause_after_failures", 2}, {"auto_resume_check_s", 3600}},
                 .env = {}});
  json activation = customers_activation("customers");
  activation["query"] = "SELECT email, first_name FROM old_customers";
  REQUIRE(run_command({"sqlite3", model, "CREATE TABLE old_customers AS SELECT * FROM customers"})
              .exit_code == 0);
  CHECK(daemon.apply(activation).at(0).at("action") == "created");
  REQUIRE(run_command({"sqlite3", model, "DROP TABLE old_customers"}).exit_code == 0);
  for (int i = 0; i < 2; ++i) {
    CHECK(daemon.run("customers", {}, 1).at("status") == "failed");
  }
  REQUIRE(daemon.ctl_json({"show", "customers"}).at("state") == "auto-paused");

  activation["query"] = "SELECT email, first_name FROM customers";
  const auto applied = daemon.ctl({"apply", "-"}, activation.dump());
  INFO("stderr: " << applied.stderr_text);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.stdout_text, "updated"));
  CHECK(contains(applied.stderr_text, "warning: activation 'customers' is auto-paused (2 runs in "
                                      "a row failed"));
  CHECK(contains(applied.stderr_text, "`emsyncctl resume customers`"));
  CHECK(daemon.ctl_json({"show", "customers"}).at("state") == "auto-paused");
  REQUIRE(daemon.ctl({"resume", "customers"}).exit_code == 0);
  CHECK(daemon.run("customers").at("inserted") == 2);
  CHECK(sim.contacts().size() == 2);
}

TEST_CASE("--check-config reports every missing secret and directory, and fails", "[checks]") {
  TempDir dir("emsync-checks");
  json config = daemon_config(dir, {{"model", sqlite_source("model.db")}}, json::object());
  config["sources"]["warehouse"] = {{"type", "postgres"},
                                    {"conninfo", "host=127.0.0.1 dbname=crm"},
                                    {"password_env", "EMSYNC_CHECKS_UNSET_PASSWORD"}};
  config["destinations"]["emarsys"] = {{"type", "emarsys"},
                                       {"api_url", closed_url() + "/api/v2"},
                                       {"username", k_wsse_user},
                                       {"secret_file", (dir.path() / "no-such-secret").string()}};
  config["state_db"] = (dir.path() / "no-such-dir" / "state.db").string();
  config["admin_socket"] = (dir.path() / "no-run-dir" / "control.sock").string();
  const auto checked = run_emsyncd(dir, config, "--check-config");
  INFO("stdout: " << checked.stdout_text << "\nstderr: " << checked.stderr_text);
  CHECK(checked.exit_code == 1);
  CHECK_FALSE(contains(checked.stdout_text, "ok"));
  const std::string& out = checked.stderr_text;
  CHECK(contains(out, "destinations.emarsys: destination 'emarsys' secret: cannot read secret "
                      "file " + (dir.path() / "no-such-secret").string()));
  CHECK(contains(out, "sources.warehouse: source 'warehouse' password"));
  CHECK(contains(out, "EMSYNC_CHECKS_UNSET_PASSWORD"));
  CHECK(contains(out, "state_db: the directory " + (dir.path() / "no-such-dir").string() +
                          " does not exist"));
  CHECK(contains(out, "admin_socket: the directory " + (dir.path() / "no-run-dir").string() +
                          " does not exist"));
  CHECK(contains(out, "4 problem(s)"));
}

TEST_CASE("--check-config fails when the state DB's directory cannot be written by its user",
          "[checks]") {
  TempDir dir("emsync-checks");
  const fs::path shared = dir.path() / "shared";
  fs::create_directories(shared / "state");
  json config = daemon_config(dir, {{"model", sqlite_source("model.db")}}, json::object());
  config["state_db"] = (shared / "state" / "state.db").string();
  config["admin_socket"] = (shared / "control.sock").string();
  write_text_file(shared / "emsyncd.json", config.dump(2));
  // nobody may read the config and enter the directories, not write in them.
  for (const fs::path& path : {dir.path(), shared, shared / "state"}) {
    REQUIRE(::chmod(path.c_str(), 0755) == 0);
  }
  REQUIRE(::chmod((shared / "emsyncd.json").c_str(), 0644) == 0);
  const std::vector<std::string> check = {EMSYNCD_PATH, "--check-config",
                                          (shared / "emsyncd.json").string()};
  CHECK(run_command(check).exit_code == 0);  // as root
  std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                        "--clear-groups"};
  as_nobody.insert(as_nobody.end(), check.begin(), check.end());
  const auto refused = run_command(as_nobody);
  INFO("stdout: " << refused.stdout_text << "\nstderr: " << refused.stderr_text);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.stderr_text, "state_db: the directory " + (shared / "state").string() +
                                          " cannot be written by this user"));
}

TEST_CASE("--check-config --connect connects to every source and destination", "[checks]") {
  TempDir dir("emsync-checks");
  Simulator sim;
  const std::string model = make_sqlite_model(dir);
  json offline = wsse_destination(sim, dir, std::nullopt);
  offline["api_url"] = closed_url() + "/api/v2";
  const json config = daemon_config(
      dir,
      {{"model", sqlite_source(model)},
       {"missing", sqlite_source((dir.path() / "no-such.db").string())},
       {"down",
        {{"type", "postgres"},
         {"conninfo", "host=127.0.0.1 port=" + std::to_string(free_loopback_port()) +
                          " dbname=crm user=emsync"}}}},
      {{"emarsys", wsse_destination(sim, dir, std::nullopt)}, {"offline", offline}});
  const auto plain = run_emsyncd(dir, config, "--check-config");
  CHECK(plain.exit_code == 0);  // without --connect nothing is tried
  CHECK(sim.requests("GET", "/field").empty());

  const auto path = dir.path() / "connect.json";
  write_text_file(path, config.dump(2));
  const auto checked =
      run_command({EMSYNCD_PATH, "--check-config", "--connect", path.string()}, {},
                  std::chrono::seconds(60));
  INFO("stdout: " << checked.stdout_text << "\nstderr: " << checked.stderr_text);
  CHECK(checked.exit_code == 1);
  CHECK(contains(checked.stdout_text, "sources.model: connected"));
  CHECK(contains(checked.stdout_text, "destinations.emarsys: connected"));
  CHECK(contains(checked.stderr_text, "sources.down: cannot connect: PostgreSQL source"));
  CHECK(contains(checked.stderr_text, "sources.missing: cannot connect: SQLite source"));
  CHECK(contains(checked.stderr_text, "destinations.offline: cannot connect: "));
  CHECK(contains(checked.stderr_text, "3 problem(s)"));
  CHECK(sim.requests("GET", "/field").size() == 1);
}

TEST_CASE("emsyncd --help prints its usage on stdout and exits 0", "[checks][cli]") {
  for (const char* flag : {"--help", "-h"}) {
    const auto help = run_command({EMSYNCD_PATH, flag});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.stdout_text, "Usage: emsyncd --config FILE"));
    CHECK(contains(help.stdout_text, "--check-config [--connect] FILE"));
    CHECK(contains(help.stdout_text, "--check-migrations FILE"));
    CHECK(help.stderr_text.empty());
  }
  const auto wrong = run_command({EMSYNCD_PATH, "--frobnicate"});
  CHECK(wrong.exit_code == 2);
  CHECK(contains(wrong.stderr_text, "Usage: emsyncd"));
  CHECK(contains(wrong.stderr_text, "emsyncd --help"));
}

TEST_CASE("emsyncctl --json prints its errors as a JSON object, with the same exit codes",
          "[checks][cli]") {
  const auto error_of = [](const CommandResult& result) {
    INFO("stdout: " << result.stdout_text << "\nstderr: " << result.stderr_text);
    const json parsed = json::parse(result.stdout_text);
    REQUIRE(parsed.size() == 1);
    REQUIRE(parsed.at("error").at("message").is_string());
    return parsed.at("error");
  };
  const auto unreachable =
      run_command({EMSYNCCTL_PATH, "--json", "--socket", "/nonexistent", "ping"});
  CHECK(unreachable.exit_code == 3);
  CHECK(error_of(unreachable).at("code") == "unreachable");
  CHECK(contains(error_of(unreachable).at("message").get<std::string>(), "/nonexistent"));

  TempDir dir("emsync-checks");
  Simulator sim;
  Daemon daemon(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  const auto usage = daemon.ctl({"--json", "run"});
  CHECK(usage.exit_code == 2);
  CHECK(error_of(usage).at("code") == "usage");
  CHECK(contains(error_of(usage).at("message").get<std::string>(), "NAME"));

  const auto not_found = daemon.ctl({"show", "nosuch", "--json"});
  CHECK(not_found.exit_code == 1);
  CHECK(error_of(not_found).at("code") == "not_found");
  CHECK(contains(error_of(not_found).at("message").get<std::string>(), "'nosuch'"));

  const auto no_file = daemon.ctl({"--json", "apply", (dir.path() / "missing.json").string()});
  CHECK(no_file.exit_code == 1);
  CHECK(error_of(no_file).at("code") == "io_error");

  // Without --json: the message on stderr, nothing on stdout.
  const auto plain = daemon.ctl({"show", "nosuch"});
  CHECK(plain.exit_code == 1);
  CHECK(plain.stdout_text.empty());
  CHECK(contains(plain.stderr_text, "emsyncctl: no activation named 'nosuch'"));
}

TEST_CASE("an unknown emsyncctl command is named, with the nearest command", "[checks][cli]") {
  const auto typo = run_command({EMSYNCCTL_PATH, "--socket", "/nonexistent", "stauts"});
  CHECK(typo.exit_code == 2);
  CHECK(contains(typo.stderr_text, "unknown command 'stauts'; did you mean 'status'?"));
  CHECK(typo.stdout_text.empty());

  const auto missing_letter = run_command({EMSYNCCTL_PATH, "rn", "crm"});
  CHECK(missing_letter.exit_code == 2);
  CHECK(contains(missing_letter.stderr_text, "unknown command 'rn'; did you mean 'run'?"));

  const auto far = run_command({EMSYNCCTL_PATH, "--json", "-t", "5", "frobnicate"});
  CHECK(far.exit_code == 2);
  const json error = json::parse(far.stdout_text).at("error");
  CHECK(error.at("code") == "usage");
  CHECK(contains(error.at("message").get<std::string>(), "unknown command 'frobnicate'"));
  CHECK_FALSE(contains(error.at("message").get<std::string>(), "did you mean"));

  // A known command with a bad argument keeps CLI11's message.
  const auto bad_option = run_command({EMSYNCCTL_PATH, "runs", "crm", "--limit", "0"});
  CHECK(bad_option.exit_code == 2);
  CHECK_FALSE(contains(bad_option.stderr_text, "unknown command"));
}

TEST_CASE("audit --json gives an entry's detail as an object when it is one", "[checks][cli]") {
  TempDir dir("emsync-checks");
  Simulator sim;
  Daemon daemon(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  daemon.apply(demo_activation("demo"));
  CHECK(daemon.ctl({"show", "nosuch"}).exit_code == 1);  // read-only: not audited
  CHECK(daemon.ctl({"delete", "nosuch"}).exit_code == 1);
  const json entries = daemon.ctl_json({"audit"}).at("entries");
  INFO(entries.dump(2));
  REQUIRE(entries.size() == 2);
  CHECK(entries.at(0).at("method") == "delete");
  CHECK(entries.at(0).at("detail").is_string());  // an error message
  CHECK(entries.at(1).at("method") == "apply");
  const json& detail = entries.at(1).at("detail");
  REQUIRE(detail.is_object());
  CHECK(detail.at("applied") == json::array({{{"name", "demo"}, {"action", "created"}}}));
  // The table shows it as text.
  CHECK(contains(daemon.ctl({"audit"}).stdout_text, R"({"applied":[{"action":"created")"));
}

}  // namespace emsync::test
