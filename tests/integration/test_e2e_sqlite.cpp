// End to end: the shipped SQLite demo (examples/demo.db with
// examples/demo-activation.json, as in the quick start) synced by the real
// emsyncd to the simulator.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

std::string field_id(const json& state, const std::string& name) {
  for (const auto& field : state.at("fields")) {
    if (field.at("name") == name) {
      return std::to_string(field.at("id").get<std::int64_t>());
    }
  }
  FAIL("no custom field " << name);
  return {};
}

// A demo row as it must land: first_name (1), last_name (2), city (11),
// birth_date (4), opted_in (31: "1" yes, "2" no, "" NULL), tier ("" NULL),
// lifetime_value.
struct Person {
  std::string email, first, last, city, born, opted_in, tier;
  double ltv;
};

const Person k_people[] = {
    {"ada.lovelace@example.com", "Ada", "Lovelace", "London", "1815-12-10", "1", "gold", 1830.50},
    {"alan.turing@example.com", "Alan", "Turing", "Wilmslow", "1912-06-23", "1", "gold", 1954.00},
    {"grace.hopper@example.com", "Grace", "Hopper", "Arlington", "1906-12-09", "2", "silver", 1992.10},
    {"edsger.dijkstra@example.com", "Edsger", "Dijkstra", "Nuenen", "1930-05-11", "1", "silver", 2002.00},
    {"barbara.liskov@example.com", "Barbara", "Liskov", "Boston", "1939-11-07", "1", "bronze", 2008.75},
    {"donald.knuth@example.com", "Donald", "Knuth", "Stanford", "1938-01-10", "", "gold", 3141.59},
    {"margaret.hamilton@example.com", "Margaret", "Hamilton", "Boston", "1936-08-17", "1", "silver", 1969.07},
    {"ken.thompson@example.com", "Ken", "Thompson", "Berkeley", "1943-02-04", "2", "", 1969.00},
    {"dennis.ritchie@example.com", "Dennis", "Ritchie", "Murray Hill", "1941-09-09", "1", "bronze", 1972.00},
    {"frances.allen@example.com", "Frances", "Allen", "Peru NY", "1932-08-04", "1", "gold", 2006.00},
    {"john.backus@example.com", "John", "Backus", "Ashland", "1924-12-03", "1", "bronze", 1957.00},
};

}  // namespace

TEST_CASE("the shipped SQLite demo lands its 11 valid contacts and rejects 4 rows", "[sqlite]") {
  TempDir dir("emsync-demo");
  Simulator sim;
  Daemon daemon(dir,
                {{"demo", {{"type", "sqlite"}, {"path", source_dir() + "/examples/demo.db"}}}},
                {{"emarsys", wsse_destination(sim, dir, sim.create_list("emsync demo"))}});
  const json applied =
      daemon.ctl_json({"apply", source_dir() + "/examples/demo-activation.json"}).at("applied");
  CHECK(applied == json::array({{{"name", "demo-contacts"}, {"action", "created"}}}));

  const json report = daemon.run("demo-contacts");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("rows_read") == 15);
  CHECK(report.at("inserted") == 11);
  CHECK(report.at("rejected") == 4);
  CHECK(report.at("updated") == 0);
  CHECK(report.at("failed") == 0);

  const json state = sim.state();
  const std::string tier = field_id(state, "tier");
  const std::string ltv = field_id(state, "lifetime_value");
  const auto contacts = sim.contacts();
  CHECK(contacts.size() == 11);
  for (const Person& p : k_people) {
    INFO(p.email);
    REQUIRE(contacts.count(p.email) == 1);
    json fields = contacts.at(p.email);
    CHECK(std::stod(as_text(fields.at(ltv))) == Approx(p.ltv));
    fields.erase(ltv);
    json expected = {{"3", p.email}, {"1", p.first}, {"2", p.last},
                     {"11", p.city}, {"4", p.born}};
    if (!p.opted_in.empty()) {
      expected["31"] = p.opted_in;
    }
    if (!p.tier.empty()) {
      expected[tier] = p.tier;
    }
    for (auto& value : fields) {
      value = as_text(value);
    }
    CHECK(fields == expected);
  }

  std::multiset<std::string> codes;
  const json errors = daemon.ctl_json({"errors", "demo-contacts"});
  for (const auto& e : errors.at("errors")) {
    codes.insert(e.at("code").get<std::string>());
  }
  CHECK(codes == std::multiset<std::string>{"duplicate_email", "duplicate_email", "invalid_email",
                                            "missing_email"});

  // The new contacts joined the destination's list; a rerun sends nothing.
  const json& lists = state.at("lists");
  REQUIRE(lists.size() == 1);
  CHECK(lists.at(0).at("members").size() == 11);
  sim.clear_requests();
  const json again = daemon.run("demo-contacts");
  CHECK(again.at("unchanged") == 11);
  CHECK(sim.sent_contacts("PUT").empty());
}

TEST_CASE("apply refuses a model whose query or mapped column is wrong, and stores nothing",
          "[sqlite]") {
  TempDir dir("emsync-demo-check");
  Simulator sim;
  Daemon daemon(dir,
                {{"demo", {{"type", "sqlite"}, {"path", source_dir() + "/examples/demo.db"}}}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  json activation = json::parse(read_text_file(source_dir() + "/examples/demo-activation.json"));
  activation["fields"]["favourite_colour"] = 14;
  auto refused = daemon.ctl({"apply", "-"}, activation.dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text,
             Catch::Contains("activation 'demo-contacts': the check failed: the model has no "
                             "column 'favourite_colour'"));

  activation["fields"].erase("favourite_colour");
  activation["query"] = "SELEC email FROM customers";
  refused = daemon.ctl({"apply", "-"}, activation.dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text, Catch::Contains("syntax error"));
  CHECK(daemon.ctl_json({"list"}).at("activations").empty());
  // The model is checked first: Emarsys is asked for nothing.
  CHECK(sim.requests("GET", "/field").empty());

  // Fixed, it is stored; applied again, it is unchanged.
  activation = json::parse(read_text_file(source_dir() + "/examples/demo-activation.json"));
  CHECK(daemon.apply(activation).at(0).at("action") == "created");
  CHECK(daemon.apply(activation).at(0).at("action") == "unchanged");
}

}  // namespace emsync::test
