// End to end: the safety valves that keep a broken model from wiping Emarsys
// profiles, and a whole batch refused for one bad contact.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <random>
#include <thread>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

std::string error_of(const json& report) { return as_text(report.at("error")); }

}  // namespace

TEST_CASE("safety valves stop a mass clear, an empty model and a shrunken one before sending; "
          "--force sends",
          "[resilience]") {
  constexpr int k_people = 400;
  PeopleSync s("e2e_valve", k_people);
  const auto& pg = PgCluster::shared();
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  REQUIRE(s.daemon.run("people").at("inserted") == k_people);
  s.sim.clear_requests();

  SECTION("a field cleared on most contacts") {
    pg.exec("UPDATE people SET city = NULL", "e2e_valve");
    const json stopped = s.daemon.run("people", {}, 1);
    CHECK(stopped.at("status") == "failed");
    CHECK(error_of(stopped).find("would clear a field on 300 of 400 known contacts") !=
          std::string::npos);
    CHECK(error_of(stopped).find("--force") != std::string::npos);
    CHECK(s.sim.requests("PUT", "/contact").empty());
    CHECK(as_text(s.sim.contacts().at(person(1)).at("11")) == "City1");

    const json forced = s.daemon.run("people", {"--force"});
    CHECK(forced.at("status") == "succeeded");
    CHECK(forced.at("updated") == 300);
    CHECK(s.sim.contacts().at(person(1)).value("11", json("")) == "");
  }
  SECTION("a raised max_clear_percent lets the same clear through") {
    json lenient = people_activation("people", "emarsys", all_people_fields());
    lenient["max_clear_percent"] = 80;
    s.daemon.apply(lenient);
    pg.exec("UPDATE people SET city = NULL", "e2e_valve");
    CHECK(s.daemon.run("people").at("updated") == 300);
  }
  SECTION("a few cleared fields pass") {
    pg.exec("UPDATE people SET city = NULL WHERE email IN ('person1@example.com', "
            "'person2@example.com')",
            "e2e_valve");
    CHECK(s.daemon.run("people").at("updated") == 2);
  }
  SECTION("a model that returns nothing") {
    pg.exec("UPDATE people SET active = false", "e2e_valve");
    const json stopped = s.daemon.run("people", {}, 1);
    CHECK(error_of(stopped).find("the model returned no contact (0 rows) while 400 contacts are "
                                 "known") != std::string::npos);
    CHECK(s.sim.requests("PUT", "/contact").empty());
    CHECK(s.daemon.state_rows(k_stored_count_sql).at(0) == "400");
    CHECK(s.daemon.run("people", {"--force"}).at("status") == "succeeded");
    // A forced empty run drops the state of the contacts that left the model.
    CHECK(s.daemon.state_rows(k_stored_count_sql).at(0) == "0");
  }
  SECTION("a model under half the last successful run") {
    pg.exec("UPDATE people SET active = (substr(email, 7, 1) = '1')", "e2e_valve");
    const json stopped = s.daemon.run("people", {}, 1);
    CHECK(error_of(stopped).find("under half the 400 of the last successful run") !=
          std::string::npos);
    CHECK(s.sim.requests("PUT", "/contact").empty());
  }
}

TEST_CASE("a batch Emarsys refuses whole for one contact is split until that contact is alone; "
          "the others go through",
          "[resilience]") {
  PeopleSync s("e2e_poison", 300);
  s.sim.set_faults({{"poison", {person(7), person(200)}}});
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  const json report = s.daemon.run("people");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("inserted") == 298);
  CHECK(report.at("rejected") == 2);
  const auto contacts = s.sim.contacts();
  CHECK(contacts.size() == 298);
  CHECK_FALSE(contacts.contains(person(7)));
  CHECK_FALSE(contacts.contains(person(200)));
  const json errors = s.daemon.ctl_json({"errors", "people"}).at("errors");
  REQUIRE(errors.size() == 2);
  for (const auto& error : errors) {
    CHECK(error.at("code") == "2005");
    CHECK(as_text(error.at("message")).find(as_text(error.at("row_key"))) != std::string::npos);
  }
  // Halving costs a few requests per bad contact, not one per contact.
  CHECK(s.sim.requests("PUT", "/contact").size() + s.sim.requests("POST", "/contact").size() <
        40);

  // Rejected contacts are tried again next run; once the data is fixed they go through.
  s.sim.set_faults(json::object());
  const json next = s.daemon.run("people");
  CHECK(next.at("inserted") == 2);
  CHECK(next.at("unchanged") == 298);
}

TEST_CASE("under 30% injected faults every contact ends up delivered exactly", "[resilience]") {
  constexpr int k_people = 3000;
  TempDir dir("emsync-faults");
  Simulator sim(false, {"--rate-window-ms", "1000", "--seed", "7"});
  sim.set_faults({{"rate_429", 0.05},
                  {"rate_500", 0.05},
                  {"rate_503", 0.05},
                  {"rate_423", 0.05},
                  {"rate_reset_before", 0.05},
                  {"rate_reset_after", 0.05}});
  Daemon daemon(dir,
                {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_faults", k_people)}}}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  // A batch whose retries all fail waits for the next run: a few runs at most.
  json report;
  for (int run = 0; run < 6; ++run) {
    report = daemon.run("people", {}, -1);
    if (report.at("status") == "succeeded") {
      break;
    }
    CHECK(report.at("status") == "partial");
  }
  REQUIRE(report.at("status") == "succeeded");
  const json injected = sim.faults().at("injected");
  INFO(injected.dump());
  CHECK(injected.at("429").get<int>() + injected.at("500").get<int>() +
            injected.at("503").get<int>() + injected.at("423").get<int>() +
            injected.at("reset_before").get<int>() + injected.at("reset_after").get<int>() >
        0);
  sim.set_faults(json::object());

  const auto contacts = sim.contacts();
  REQUIRE(contacts.size() == k_people);
  for (int i = 1; i <= k_people; ++i) {
    const json& contact = contacts.at(person(i));
    const json expected = person_fields(i);
    for (const auto& [field, value] : expected.items()) {
      CHECK(as_text(contact.at(field)) == as_text(value));
    }
    CHECK(contact.contains("11") == expected.contains("11"));
  }
  CHECK(daemon.state_rows(k_stored_count_sql).at(0) == std::to_string(k_people));
  // Nothing left to send.
  CHECK(daemon.run("people").at("unchanged") == k_people);
}

TEST_CASE("contacts Emarsys created but whose reply was lost are updated next run, not "
          "duplicated",
          "[resilience]") {
  constexpr int k_people = 1500;
  PeopleSync s("e2e_lost_reply", k_people);
  // Every contact write is applied, then its connection is reset unanswered.
  s.sim.set_faults({{"rate_reset_after", 1.0}, {"endpoints", {"/contact"}}});
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  const json lost = s.daemon.run("people", {}, -1);
  CHECK(lost.at("status") != "succeeded");
  CHECK(lost.at("inserted") == 0);
  CHECK(lost.at("failed") == k_people);
  CHECK(s.sim.faults().at("injected").at("reset_after").get<int>() > 0);
  CHECK(s.sim.contacts().size() == k_people);  // applied, unbeknown to emsync
  CHECK(s.daemon.state_rows("SELECT count(*) FROM contact_log").at(0) == "0");

  // Created first again, Emarsys answers 2009 (exists) for each: they are
  // updated in full instead, and the run learns to update first.
  s.sim.set_faults(json::object());
  s.sim.clear_requests();
  const json next = s.daemon.run("people");
  CHECK(next.at("status") == "succeeded");
  CHECK(next.at("updated") == k_people);
  CHECK(next.at("inserted") == 0);
  // Two batches, sent before the first answer: at most one create each.
  CHECK(s.sim.requests("POST", "/contact").size() <= 2);
  CHECK(s.sim.requests("PUT", "/contact").size() == 2);
  const auto contacts = s.sim.contacts();
  REQUIRE(contacts.size() == k_people);
  for (int i = 1; i <= k_people; ++i) {
    const json expected = person_fields(i);
    for (const auto& [field, value] : expected.items()) {
      CHECK(as_text(contacts.at(person(i)).at(field)) == as_text(value));
    }
  }
  CHECK(s.daemon.run("people").at("unchanged") == k_people);
}

TEST_CASE("kill -9 at random moments of 20 runs, with the model changing between them, loses "
          "no update",
          "[resilience]") {
  constexpr int k_people = 3000;
  constexpr int k_kills = 20;
  TempDir dir("emsync-kill");
  Simulator sim;
  const json sources = {
      {"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_kill", k_people)}}}};
  // Slow replies and a low rate make each run last long enough to be killed
  // mid-way: while reading, sending, waiting for a reply or committing.
  sim.set_faults({{"rate_slow", 0.5}, {"slow_ms", 400}});
  json destination = wsse_destination(sim, dir, std::nullopt);
  destination["rate_limit_per_minute"] = 120;
  const json destinations = {{"emarsys", destination}};
  {
    Daemon daemon(dir, sources, destinations);
    daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  }
  std::mt19937 random(20261128);
  std::map<char, int> changed_in;  // first digit of i -> last iteration that changed last_name
  for (int kill = 0; kill < k_kills; ++kill) {
    Daemon daemon(dir, sources, destinations);
    REQUIRE(daemon.ctl({"run", "people"}).exit_code == 0);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(random)));
    daemon.process().send_signal(SIGKILL);
    CHECK(daemon.process().wait(std::chrono::seconds(10)) == 128 + SIGKILL);
    const char digit = static_cast<char>('1' + kill % 9);
    PgCluster::shared().exec("UPDATE people SET last_name = 'Last' || substr(email, 7, "
                             "position('@' in email) - 7) || '-v" + std::to_string(kill) +
                                 "' WHERE substr(email, 7, 1) = '" + std::string(1, digit) + "'",
                             "e2e_kill");
    changed_in[digit] = kill;
  }
  Daemon daemon(dir, sources, destinations);
  CHECK(daemon.state_rows("PRAGMA integrity_check").at(0) == "ok");
  const json final_run = daemon.run("people");
  CHECK(final_run.at("status") == "succeeded");
  const auto contacts = sim.contacts();
  REQUIRE(contacts.size() == k_people);
  for (int i = 1; i <= k_people; ++i) {
    json expected = person_fields(i);
    const char digit = std::to_string(i).front();
    if (changed_in.contains(digit)) {
      expected["2"] = "Last" + std::to_string(i) + "-v" + std::to_string(changed_in[digit]);
    }
    const json& contact = contacts.at(person(i));
    INFO(person(i));
    for (const auto& [field, value] : expected.items()) {
      CHECK(as_text(contact.at(field)) == as_text(value));
    }
  }
  CHECK(daemon.run("people").at("unchanged") == k_people);
  const auto interrupted = daemon.state_rows("SELECT count(*) FROM runs WHERE status = 'interrupted'");
  CHECK(std::stoi(interrupted.at(0)) >= k_kills / 2);
}

}  // namespace emsync::test

namespace emsync::test {

TEST_CASE("an activation whose runs keep failing for a lasting reason is auto-paused, and "
          "resumed by the daemon once its check passes",
          "[resilience]") {
  TempDir dir("emsync-autopause");
  Simulator sim;
  const std::string conninfo = create_people_db("e2e_autopause", 20);
  const json sources = {{"warehouse", {{"type", "postgres"}, {"conninfo", conninfo}}}};
  Daemon daemon(dir, sources, {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                {.extra_config = {{"auto_pause_after_failures", 2}, {"auto_resume_check_s", 1}},
                 .env = {}});
  json broken = people_activation("people", "emarsys", all_people_fields());
  broken["query"] = "SELECT email, first_name, last_name, city FROM people_view";
  // apply checks the model, so the view exists then and goes away after.
  const auto create_view = [] {
    PgCluster::shared().exec("CREATE VIEW people_view AS SELECT * FROM people WHERE active",
                             "e2e_autopause");
  };
  create_view();
  daemon.apply(broken);
  PgCluster::shared().exec("DROP VIEW people_view", "e2e_autopause");
  // When a streak pauses and when checks come is unit-tested (auto_pause_policy);
  // here the daemon pauses, checks and resumes.
  for (int i = 0; i < 2; ++i) {
    const json failed = daemon.run("people", {}, 1);
    CHECK(as_text(failed.at("error")).find("people_view") != std::string::npos);
  }
  json shown = daemon.ctl_json({"show", "people"});
  CHECK(shown.at("state") == "auto-paused");
  CHECK(as_text(shown.at("auto_paused_reason")).find("2 runs in a row failed") != std::string::npos);
  CHECK(daemon.ctl_json({"list"}).at("activations").at(0).at("state") == "auto-paused");
  CHECK(daemon.ctl_json({"status"}).at("activations").at("auto_paused") == 1);
  CHECK(daemon.ctl({"list"}).stdout_text.find("auto-paused") != std::string::npos);

  // Fixed upstream: the periodic check (every second here) lifts the pause.
  create_view();
  bool resumed = false;
  for (int i = 0; i < 100 && !resumed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    resumed = daemon.ctl_json({"show", "people"}).at("state") == "active";
  }
  CHECK(resumed);
  CHECK(daemon.log().find("auto-pause lifted") != std::string::npos);
  CHECK(daemon.run("people").at("inserted") == 20);

  // A safety-valve stop is a decision, not a fault; `resume` lifts an auto-pause by hand.
  PgCluster::shared().exec("DROP VIEW people_view", "e2e_autopause");
  for (int i = 0; i < 2; ++i) {
    daemon.run("people", {}, 1);
  }
  CHECK(daemon.ctl_json({"show", "people"}).at("state") == "auto-paused");
  REQUIRE(daemon.ctl({"resume", "people"}).exit_code == 0);
  shown = daemon.ctl_json({"show", "people"});
  CHECK(shown.at("state") == "active");
  CHECK(shown.at("failure_streak") == 0);
}

}  // namespace emsync::test

namespace emsync::test {

TEST_CASE("a source that drops the connection mid-stream fails the run cleanly and stores nothing",
          "[resilience]") {
  PeopleSync s("e2e_drop", 5000);
  const auto& pg = PgCluster::shared();
  // One millisecond per row: the model takes seconds to stream.
  pg.exec("CREATE FUNCTION slow_row() RETURNS boolean LANGUAGE plpgsql VOLATILE AS "
          "'BEGIN PERFORM pg_sleep(0.001); RETURN true; END'",
          "e2e_drop");
  json slow = people_activation("people", "emarsys", all_people_fields());
  slow["query"] = "SELECT email, first_name, last_name, city FROM people WHERE slow_row()";
  s.daemon.apply(slow);
  REQUIRE(s.daemon.ctl({"run", "people"}).exit_code == 0);
  bool streaming = false;
  for (int i = 0; i < 200 && !streaming; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const json runs = s.daemon.ctl_json({"status"}).at("runs");
    streaming = !runs.empty() && runs.at(0).at("rows_read").get<int>() > 100;
  }
  REQUIRE(streaming);
  pg.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          "WHERE datname = 'e2e_drop' AND pid <> pg_backend_pid()");
  json run;
  for (int i = 0; i < 200; ++i) {
    run = s.daemon.ctl_json({"runs", "people", "--limit", "1"}).at("runs").at(0);
    if (run.at("status") != "running") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(run.at("status") == "failed");
  CHECK(as_text(run.at("error")).find("PostgreSQL") != std::string::npos);
  CHECK(s.sim.contacts().empty());
  CHECK(s.sim.requests("PUT", "/contact").empty());
  CHECK(s.daemon.state_rows(k_stored_count_sql).at(0) == "0");

  // The daemon is fine; once the source is back the next run delivers everything.
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  CHECK(s.daemon.run("people").at("inserted") == 5000);
}

}  // namespace emsync::test

namespace emsync::test {

TEST_CASE("a run against a rate-limited Emarsys stays within the limit, even when its own "
          "setting is 10 times too high",
          "[resilience]") {
  constexpr int k_people = 10000;  // 20 requests (10 PUT, 10 POST) at 8 a second
  TempDir dir("emsync-ratelimit");
  Simulator sim(false, {"--rate-limit", "8", "--rate-window-ms", "1000"});
  json destination = wsse_destination(sim, dir, std::nullopt);
  destination["rate_limit_per_minute"] = 4800;  // the API says 480
  Daemon daemon(
      dir,
      {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_ratelimit", k_people)}}}},
      {{"emarsys", destination}});
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  const json report = daemon.run("people");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("inserted") == k_people);
  CHECK(sim.contacts().size() == static_cast<std::size_t>(k_people));
  // X-Ratelimit-Remaining/-Reset pace the client after its first window: at
  // most a handful of requests ever hit the limit.
  int limited = 0;
  const json state = sim.state();  // range-for over a temporary's member would dangle
  for (const auto& request : state.at("requests")) {
    limited += request.value("status", 0) == 429 ? 1 : 0;
  }
  CHECK(limited <= 3);
}

}  // namespace emsync::test

namespace emsync::test {

TEST_CASE("a contact Emarsys rejects with the same error run after run is parked until its data "
          "changes or emsyncctl retry",
          "[resilience]") {
  TempDir dir("emsync-park");
  Simulator sim;
  Daemon daemon(dir,
                {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_park", 20)}}}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                {.extra_config = {{"park_after_rejections", 3}}, .env = {}});
  sim.set_faults({{"contact_errors",
                   {{person(5), {{"code", "2007"}, {"message", "Invalid date format for field id: 4"}}}}}});
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  auto sent_person5 = [&] {
    for (const auto& method : {"PUT", "POST"}) {
      for (const auto& contact : sim.sent_contacts(method)) {
        if (contact.at("3") == person(5)) {
          return true;
        }
      }
    }
    return false;
  };
  auto latest_error = [&] {
    return daemon.ctl_json({"errors", "people"}).at("errors").at(0);
  };
  for (int run = 1; run <= 3; ++run) {
    sim.clear_requests();
    const json report = daemon.run("people");
    CHECK(report.at("rejected") == 1);
    CHECK(sent_person5());
    CHECK(latest_error().at("code") == "2007");
  }
  // Fourth run: parked, not sent, still reported.
  sim.clear_requests();
  CHECK(daemon.run("people").at("rejected") == 1);
  CHECK_FALSE(sent_person5());
  const json parked = latest_error();
  CHECK(parked.at("code") == "parked");
  CHECK(as_text(parked.at("message")).find("3 runs in a row with 2007") != std::string::npos);
  CHECK(as_text(parked.at("message")).find("emsyncctl retry people") != std::string::npos);

  // Changed data is sent again.
  PgCluster::shared().exec("UPDATE people SET first_name = 'Fixed' WHERE email = '" + person(5) + "'",
                           "e2e_park");
  sim.clear_requests();
  daemon.run("people");
  CHECK(sent_person5());

  // retry unparks; once Emarsys accepts it, it is delivered.
  sim.set_faults(json::object());
  const json retried = daemon.ctl_json({"retry", "people"});
  CHECK(retried.at("unparked") == 1);
  CHECK(daemon.run("people").at("inserted") == 1);
  CHECK(sim.contacts().contains(person(5)));
  bool audited = false;
  const json entries = daemon.ctl_json({"audit"}).at("entries");
  INFO(entries.dump());
  for (const auto& entry : entries) {
    audited |= entry.at("method") == "retry" && entry.at("target") == "people";
  }
  CHECK(audited);
}

TEST_CASE("a parked contact that Emarsys later accepts is sent when its old data comes back",
          "[resilience]") {
  // Parked for data X, then accepted with data Y: its streak is over, so
  // when its data is X again, it is sent (a streak of X kept it parked,
  // unsent, for good).
  TempDir dir("emsync-unpark");
  Simulator sim;
  Daemon daemon(dir,
                {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_unpark", 5)}}}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                {.extra_config = {{"park_after_rejections", 2}}, .env = {}});
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  CHECK(daemon.run("people").at("inserted") == 5);
  const std::string where = " WHERE email = '" + person(3) + "'";
  PgCluster::shared().exec("UPDATE people SET first_name = 'Bad'" + where, "e2e_unpark");
  sim.set_faults({{"contact_errors",
                   {{person(3), {{"code", "2007"}, {"message", "Invalid value for field id: 1"}}}}}});
  for (int run = 1; run <= 2; ++run) {
    CHECK(daemon.run("people").at("rejected") == 1);
  }
  sim.clear_requests();
  CHECK(daemon.run("people").at("rejected") == 1);  // parked: not sent
  CHECK(sim.sent_contacts("PUT").empty());
  // Fixed, and accepted.
  sim.set_faults(json::object());
  PgCluster::shared().exec("UPDATE people SET first_name = 'Good'" + where, "e2e_unpark");
  CHECK(daemon.run("people").at("updated") == 1);
  // "Bad" again: Emarsys is asked again (and now takes it).
  PgCluster::shared().exec("UPDATE people SET first_name = 'Bad'" + where, "e2e_unpark");
  sim.clear_requests();
  const json report = daemon.run("people");
  CHECK(report.at("updated") == 1);
  CHECK(report.at("rejected") == 0);
  CHECK(sim.sent_contacts("PUT").size() == 1);
  CHECK(sim.contacts().at(person(3)).at("1") == "Bad");
}

TEST_CASE(
    "a hostile Emarsys reply (100,000 levels deep, or 16 MB) fails its run cleanly; the "
    "daemon stays small and answering",
    "[resilience][hostile]") {
  PeopleSync s("e2e_hostile", 20);
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  const auto hostile_run = [&](const char* kind, const std::string& reason) {
    CAPTURE(kind);
    s.sim.set_faults({{"hostile_reply", kind}});
    // Every contact is sent; the batch fails, the run is partial (exit 5).
    const json report = s.daemon.run("people", {"--full"}, 5);
    CHECK(report.at("status") == "partial");
    CHECK(report.at("failed") == 20);
    CHECK_THAT(error_of(report), Catch::Contains(reason));
    CHECK(s.sim.faults().at("injected").at("hostile_reply") == 1);  // not retried
    CHECK(::kill(s.daemon.pid(), 0) == 0);
    CHECK(s.daemon.ctl({"ping"}).exit_code == 0);
  };
  hostile_run("deep_ids", "(JSON nested deeper than 64 levels)");
  hostile_run("deep_error_key", "(JSON nested deeper than 64 levels)");
  // A success in between keeps the activation from being auto-paused.
  s.sim.set_faults(json::object());
  CHECK(s.daemon.run("people").at("status") == "succeeded");
  hostile_run("huge_open", "over the 4194304-byte limit of this request");
  hostile_run("huge_array", "over the 4194304-byte limit of this request");
  CHECK(peak_rss_bytes(s.daemon.pid()) < 64 * 1024 * 1024);

  s.sim.set_faults(json::object());
  CHECK(s.daemon.run("people").at("status") == "succeeded");
  CHECK(s.sim.contacts().size() == 20);
}

}  // namespace emsync::test
