// End to end: the two Emarsys authentication methods, and what happens to
// their secrets. Real emsyncd/emsyncctl, the simulator, PostgreSQL models.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <optional>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

json postgres_source(const std::string& db, int rows) {
  return {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db(db, rows)}}}};
}

// Every contact of the people model, exactly as sent in full.
void check_people_landed(const Simulator& sim, int rows) {
  const auto contacts = sim.contacts();
  REQUIRE(contacts.size() == static_cast<std::size_t>(rows));
  for (int i = 1; i <= rows; ++i) {
    INFO(person(i));
    REQUIRE(contacts.count(person(i)) == 1);
    CHECK(contacts.at(person(i)) == person_contact(i));
  }
}

}  // namespace

TEST_CASE("OAuth 2.0 over HTTPS lands a model exactly and reuses one token across runs",
          "[auth][oauth]") {
  constexpr int k_rows = 50;
  TempDir dir("emsync-oauth");
  Simulator sim(true);
  const json destination = oauth_destination(sim, dir, std::nullopt);
  REQUIRE(destination.at("api_url") == "https://127.0.0.1:" + std::to_string(sim.port()) + "/api/v3");
  Daemon daemon(dir, postgres_source("e2e_oauth", k_rows), {{"emarsys", destination}});
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));

  const json first = daemon.run("people");
  CHECK(first.at("status") == "succeeded");
  CHECK(first.at("rows_read") == k_rows);
  CHECK(first.at("inserted") == k_rows);
  CHECK(first.at("error").is_null());
  check_people_landed(sim, k_rows);

  sim.clear_requests();  // a control POST over TLS
  const json second = daemon.run("people");
  CHECK(second.at("status") == "succeeded");
  CHECK(second.at("unchanged") == k_rows);
  CHECK(sim.sent_contacts("PUT").empty());
  CHECK(sim.sent_contacts("POST").empty());

  const json state = sim.state();
  const json& requests = state.at("requests");
  REQUIRE_FALSE(requests.empty());  // the second run still listed the fields
  for (const auto& request : requests) {
    INFO(request.dump());
    CHECK(request.at("path").get<std::string>().rfind("/api/v3/", 0) == 0);
    CHECK(request.at("status") == 200);
  }
  CHECK(sim.token_requests(k_oauth_client) == 1);
}

TEST_CASE("a wrong WSSE secret fails the run on HTTP 401 and stores nothing", "[auth][wsse]") {
  constexpr int k_rows = 30;
  TempDir dir("emsync-wsse-wrong");
  Simulator sim;
  const json sources = postgres_source("e2e_wsse_wrong", k_rows);
  const std::string wrong = k_wrong_wsse_secret;
  std::optional<Daemon> daemon;
  daemon.emplace(dir, sources, json{{"emarsys", wsse_destination(sim, dir, std::nullopt, wrong)}});
  daemon->apply(people_activation("people", "emarsys", all_people_fields()));

  const json failed = daemon->run("people", {}, 1);
  CHECK(failed.at("status") == "failed");
  // The fields are resolved as the model's columns arrive, so the run stops
  // before reading any row from the warehouse.
  CHECK(failed.at("rows_read") == 0);
  CHECK(failed.at("failed") == 0);
  const std::string error = lower(failed.at("error").get<std::string>());
  INFO("error: " << error);
  CHECK(error.find("401") != std::string::npos);
  CHECK(error.find("auth") != std::string::npos);
  CHECK(error.find(wrong) == std::string::npos);
  CHECK(sim.contacts().empty());
  CHECK(sim.sent_contacts("PUT").empty());
  CHECK(daemon->state_rows(k_stored_count_sql) == std::vector<std::string>{"0"});
  CHECK(daemon->ctl_json({"show", "people"}).at("contacts") == 0);

  // Restarted with the right secret, the next run sends everyone.
  daemon.reset();
  daemon.emplace(dir, sources, json{{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  const json fixed = daemon->run("people");
  CHECK(fixed.at("status") == "succeeded");
  CHECK(fixed.at("inserted") == k_rows);
  CHECK(fixed.at("unchanged") == 0);
  check_people_landed(sim, k_rows);
  CHECK(daemon->state_rows(k_stored_count_sql) ==
        std::vector<std::string>{std::to_string(k_rows)});
}

TEST_CASE("WSSE and OAuth secrets never reach the daemon's log, state DB or command line",
          "[auth][secrets]") {
  constexpr int k_rows = 20;
  TempDir dir("emsync-secrets");
  Simulator plain;
  Simulator tls(true);
  Daemon daemon(dir, postgres_source("e2e_secrets", k_rows),
                {{"wsse", wsse_destination(plain, dir, std::nullopt)},
                 {"oauth", oauth_destination(tls, dir, std::nullopt)}});
  daemon.apply(json::array({people_activation("via-wsse", "wsse", all_people_fields()),
                            people_activation("via-oauth", "oauth", all_people_fields())}));
  CHECK(daemon.run("via-wsse").at("inserted") == k_rows);
  CHECK(daemon.run("via-oauth").at("inserted") == k_rows);
  check_people_landed(plain, k_rows);
  check_people_landed(tls, k_rows);
  CHECK(tls.token_requests(k_oauth_client) == 1);

  const std::string log = daemon.log();
  REQUIRE(log.find("run_finished") != std::string::npos);  // the log is the daemon's, debug level
  const std::string db = read_text_file(daemon.state_db());
  REQUIRE_FALSE(db.empty());
  const std::string wal = read_text_file(daemon.state_db() + "-wal");
  const std::string cmdline = read_text_file("/proc/" + std::to_string(daemon.pid()) + "/cmdline");
  REQUIRE(cmdline.find("emsyncd") != std::string::npos);
  for (const std::string secret : {k_wsse_secret, k_oauth_secret}) {
    INFO(secret);
    CHECK(log.find(secret) == std::string::npos);
    CHECK(db.find(secret) == std::string::npos);
    CHECK(wal.find(secret) == std::string::npos);
    CHECK(cmdline.find(secret) == std::string::npos);
  }
}

TEST_CASE("a secret written in the config stops emsyncd, naming the key but not the value",
          "[auth][secrets]") {
  TempDir dir("emsync-inline-secret");
  const std::string inline_secret = k_inline_secret;
  const json destination = {{"type", "emarsys"},
                            {"api_url", "http://127.0.0.1:9/api/v2"},
                            {"auth", "wsse"},
                            {"username", k_wsse_user},
                            {"secret", inline_secret}};
  const auto result = run_emsyncd(
      dir, daemon_config(dir, {{"demo", {{"type", "sqlite"}, {"path", "demo.db"}}}},
                         {{"emarsys", destination}}));
  INFO("stderr: " << result.stderr_text);
  CHECK(result.exit_code == 1);
  CHECK(result.stderr_text.find("destinations.emarsys.secret") != std::string::npos);
  CHECK(result.stderr_text.find(inline_secret) == std::string::npos);
  CHECK(result.stdout_text.find(inline_secret) == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "state.db"));
}

}  // namespace emsync::test
