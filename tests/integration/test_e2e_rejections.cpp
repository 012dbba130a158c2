// End to end: rejected rows under hostile input (issue 14). A megabyte in an
// email column is quoted in 256 bytes, `errors` answers a page at a time
// whatever the rows hold (never more than the 1 MiB reply line), and a run
// keeps at most 10,000 detailed rejections while its counters stay exact.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "store/sqlite.hpp"
#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

constexpr const char* k_people = "people";

// These runs reject most of their rows on purpose: max_rejected_percent lets them send the rest.
void apply_people(const PeopleSync& s) {
  json activation = people_activation(k_people, "emarsys", all_people_fields());
  activation["max_rejected_percent"] = 100;
  s.daemon.apply(json::array({activation}));
}

}  // namespace

TEST_CASE(
    "five 1 MB invalid emails are rejected with short messages; `errors` answers them page by "
    "page, and without paging params",
    "[rejections]") {
  PeopleSync s("rejections_huge", 20);
  // 'a b' and a million 'x': invalid (whitespace), under the 1 MiB value bound.
  PgCluster::shared().exec(
      "INSERT INTO people (email, first_name, last_name)"
      "  SELECT 'a b' || repeat('x', 1000000) || i, 'Huge', 'Row' FROM generate_series(1, 5) AS i;",
      "rejections_huge");
  apply_people(s);

  // Rejected rows do not fail a run: the others were sent.
  const json report = s.daemon.run(k_people);
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("rows_read") == 25);
  CHECK(report.at("inserted") == 20);
  CHECK(report.at("rejected") == 5);
  const auto contacts = s.sim.contacts();
  CHECK(contacts.size() == 20);
  for (int i = 1; i <= 20; ++i) {
    CHECK(contacts.count(person(i)) == 1);
  }
  // What the state DB holds: no megabytes.
  CHECK(s.daemon.state_rows("SELECT max(length(CAST(message AS BLOB))) < 1024 FROM rejections") ==
        std::vector<std::string>{"1"});

  std::set<std::string> keys;
  json offset = 0;
  int pages = 0;
  while (!offset.is_null()) {
    ++pages;
    REQUIRE(pages <= 3);
    const json page =
        s.daemon.ctl_json({"errors", k_people, "--limit", "2", "--offset", as_text(offset)});
    CHECK(page.at("total") == 5);
    CHECK(page.at("not_kept") == 0);
    CHECK(page.at("offset") == offset);
    CHECK(page.at("errors").size() == (pages < 3 ? 2U : 1U));
    for (const auto& e : page.at("errors")) {
      CHECK(e.at("code") == "invalid_email");
      CHECK(e.at("message").get<std::string>().size() < 1024);
      CHECK_THAT(e.at("message").get<std::string>(),
                 Catch::StartsWith("email 'a b" + std::string(253, 'x') + "\u2026(100000") &&
                     Catch::EndsWith(" bytes)' contains whitespace"));
      CHECK_THAT(e.at("row_key").get<std::string>(), Catch::StartsWith("row "));
      keys.insert(e.at("row_key").get<std::string>());
    }
    offset = page.at("next_offset");
  }
  CHECK(pages == 3);
  CHECK(keys.size() == 5);

  // The human form says where the next page starts.
  const CommandResult human = s.daemon.ctl({"errors", k_people, "--limit", "2"});
  CHECK(human.exit_code == 0);
  CHECK_THAT(human.stdout_text, Catch::Contains("rows 1-2 of 5"));
  CHECK_THAT(human.stdout_text, Catch::Contains("more: emsyncctl errors people --limit 2 --run " +
                                                as_text(report.at("run_id")) + " --offset 2"));

  // Without paging params: the daemon's default page holds all five.
  const json all = s.daemon.ctl_json({"errors", k_people});
  CHECK(all.at("run_id") == report.at("run_id"));
  CHECK(all.at("errors").size() == 5);
  CHECK(all.at("next_offset").is_null());
  CHECK(s.daemon.ctl({"errors", k_people}).exit_code == 0);
  CHECK(s.daemon.ctl_json({"ping"}).contains("version"));
}

TEST_CASE(
    "a run with 10,050 invalid emails keeps 10,000 rejections, counts 10,050 rejected and says "
    "50 were not kept",
    "[rejections]") {
  PeopleSync s("rejections_many", 5);
  PgCluster::shared().exec(
      "INSERT INTO people (email, first_name, last_name)"
      "  SELECT 'bad' || i, 'Bad', 'Row' FROM generate_series(1, 10050) AS i;",
      "rejections_many");
  apply_people(s);

  const json report = s.daemon.run(k_people);
  CHECK(report.at("rejected") == 10050);
  CHECK(report.at("inserted") == 5);
  CHECK(s.sim.contacts().size() == 5);
  CHECK(s.daemon.state_rows("SELECT count(*) FROM rejections") ==
        std::vector<std::string>{"10000"});

  const json first = s.daemon.ctl_json({"errors", k_people});
  CHECK(first.at("total") == 10000);
  CHECK(first.at("not_kept") == 50);
  CHECK(first.at("errors").size() == 100);  // the default page
  CHECK(first.at("next_offset") == 100);
  const json last = s.daemon.ctl_json({"errors", k_people, "--offset", "9990", "--limit", "1000"});
  CHECK(last.at("errors").size() == 10);
  CHECK(last.at("next_offset").is_null());
  CHECK(last.at("errors").at(9).at("row_key") == "row 10005");  // the 10,000th bad row

  const CommandResult human = s.daemon.ctl({"errors", k_people, "--offset", "9999"});
  CHECK(human.exit_code == 0);
  CHECK_THAT(human.stdout_text, Catch::Contains("rows 10000-10000 of 10000"));
  CHECK_THAT(human.stdout_text, Catch::Contains("50 more row(s) not kept"));
  // The run's counters are unchanged by the cap.
  CHECK(s.daemon.ctl_json({"runs", k_people}).at("runs").at(0).at("rejected") == 10050);
}

TEST_CASE("a page of errors that would not fit in the 1 MiB reply line holds fewer rows",
          "[rejections]") {
  PeopleSync s("rejections_wide", 5);
  apply_people(s);
  const json report = s.daemon.run(k_people);
  // 1000 rejections of 1000 control characters each (as long as a stored
  // message gets): 6 MB once JSON escapes them. Written beside the daemon.
  {
    auto db = store::Db::open(s.daemon.state_db(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    db->set_busy_timeout(5000);
    REQUIRE(db->exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
        "INSERT INTO rejections (activation_id, run_id, row_key, code, message) "
        "SELECT (SELECT id FROM activations WHERE name = 'people'), " +
        as_text(report.at("run_id")) +
        ", 'row ' || i, 'invalid_value', replace(hex(zeroblob(500)), '0', char(1)) FROM n"));
  }
  std::int64_t seen = 0;
  int pages = 0;
  for (json offset = 0; !offset.is_null(); ++pages) {
    REQUIRE(pages < 20);
    const json page =
        s.daemon.ctl_json({"errors", k_people, "--limit", "1000", "--offset", as_text(offset)});
    const auto rows = static_cast<std::int64_t>(page.at("errors").size());
    CHECK(rows > 0);
    CHECK(rows < 1000);
    CHECK(page.at("total") == 1000);
    seen += rows;
    offset = page.at("next_offset");
    if (!offset.is_null()) {
      CHECK(offset == seen);
    }
  }
  CHECK(seen == 1000);
  CHECK(pages > 1);
}

}  // namespace emsync::test
