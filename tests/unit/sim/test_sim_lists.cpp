// The contact list endpoints (create, add, delete, count, contactIds), the
// /sim/lists/members control, and faults, auth and rate limits on them.
#include <catch2/catch.hpp>

#include "sim_fixture.hpp"

using namespace emsync::sim;
using namespace emsync::sim::test;

namespace {

// A simulator holding contacts a..e@x.com and the empty list "L".
struct ListFixture : SimFixture {
  explicit ListFixture(Config c = default_config()) : SimFixture(std::move(c)) {
    control("POST", "/sim/contacts",
            R"({"contacts":[{"3":"a@x.com"},{"3":"b@x.com"},{"3":"c@x.com"},{"3":"d@x.com"},
                            {"3":"e@x.com"}]})");
    id = control("POST", "/sim/lists", R"({"name":"L"})")["id"].get<std::int64_t>();
  }

  std::string path(const std::string& action) const {
    return "/contactlist/" + std::to_string(id) + "/" + action;
  }

  Json members() { return control("GET", "/sim/lists/members?id=" + std::to_string(id))["emails"]; }

  // POST add or delete with these emails; the reply's data.
  Json change(const std::string& action, const std::string& emails) {
    return api_json("POST", path(action),
                    R"({"key_id":"3","external_ids":)" + emails + "}")["data"];
  }

  std::int64_t id = 0;
};

// A body with `n` external ids.
std::string many_ids(std::size_t n) {
  Json ids = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    ids.push_back("p" + std::to_string(i) + "@x.com");
  }
  return Json{{"key_id", "3"}, {"external_ids", ids}}.dump();
}

void set_faults(SimFixture& fx, const std::string& config) {
  REQUIRE(fx.raw("POST", "/sim/faults", config, {}).status == 200);
}

}  // namespace

TEST_CASE("POST /contactlist creates a list, refusing a taken, missing or bad name",
          "[sim][lists]") {
  ListFixture fx;
  const Json created = fx.api_json("POST", "/contactlist", R"({"key_id":"3","name":"VIP"})");
  CHECK(created["replyCode"] == 0);
  CHECK(created["data"].size() == 1);  // no errors member without external_ids
  const std::int64_t id = created["data"]["id"].get<std::int64_t>();
  CHECK(id == fx.id + 1);
  CHECK(fx.api_json("GET", "/contactlist")["data"][1]["name"] == "VIP");

  const Response taken = fx.api("POST", "/contactlist", R"({"name":"VIP"})");
  CHECK(taken.status == 400);
  CHECK(Json::parse(taken.body)["replyCode"] == 3005);
  for (const char* body : {R"({})", R"({"name":""})", R"({"name":null})"}) {
    INFO(body);
    CHECK(fx.api_json("POST", "/contactlist", body)["replyCode"] == 3001);
  }
  for (const char* body : {R"({"name":42})", R"({"name":"tab\there"})"}) {
    INFO(body);
    CHECK(fx.api_json("POST", "/contactlist", body)["replyCode"] == 3004);
  }
  CHECK(fx.api_json("GET", "/contactlist")["data"].size() == 2);
}

TEST_CASE("POST /contactlist with external_ids adds the known ones, errors [] or by email",
          "[sim][lists]") {
  ListFixture fx;
  const Json all_ok = fx.api_json("POST", "/contactlist",
                                  R"({"key_id":"3","name":"A","external_ids":["a@x.com"]})");
  CHECK(all_ok["data"]["errors"] == Json::array());
  const Json some = fx.api_json(
      "POST", "/contactlist", R"({"key_id":"3","name":"B","external_ids":["b@x.com","n@x.com"]})");
  CHECK(
      some["data"]["errors"] ==
      Json::parse(R"({"n@x.com":{"2008":"No contact found with the external id: 3 - n@x.com"}})"));
  const std::string b = some["data"]["id"].dump();
  CHECK(fx.control("GET", "/sim/lists/members?id=" + b)["emails"] == Json{"b@x.com"});
  CHECK(fx.api_json("POST", "/contactlist",
                    R"({"name":"C","external_ids":"a@x.com"})")["replyCode"] == 3003);
  CHECK(fx.api_json("GET", "/contactlist")["data"].size() == 3);  // C was not created
}

TEST_CASE("add and delete count the members they change and report unknown contacts",
          "[sim][lists]") {
  ListFixture fx;
  CHECK(fx.change("add", R"(["a@x.com","b@x.com","c@x.com"])") ==
        Json::parse(R"({"inserted_contacts":3,"errors":[]})"));
  CHECK(fx.change("add", R"(["A@x.com","d@x.com","ghost@x.com"])") ==
        Json::parse(R"({"inserted_contacts":1,"errors":{"ghost@x.com":{
            "2008":"No contact found with the external id: 3 - ghost@x.com"}}})"));
  CHECK(fx.members() == Json{"a@x.com", "b@x.com", "c@x.com", "d@x.com"});

  // A non-member is not an error and not counted; an unknown contact is 2008.
  CHECK(fx.change("delete", R"(["b@x.com","e@x.com","ghost@x.com"])") ==
        Json::parse(R"({"deleted_contacts":1,"errors":{"ghost@x.com":{
            "2008":"No contact found with the external id: 3 - ghost@x.com"}}})"));
  CHECK(fx.change("delete", R"(["b@x.com"])") ==
        Json::parse(R"({"deleted_contacts":0,"errors":[]})"));
  CHECK(fx.members() == Json{"a@x.com", "c@x.com", "d@x.com"});
  CHECK(fx.api_json("GET", fx.path("count"))["data"] == 3);
  const Json log = fx.control("GET", "/sim/state")["requests"];
  CHECK(log[log.size() - 2]["external_ids"] == Json{"b@x.com"});  // before the count
}

TEST_CASE("add and delete refuse a bad key, ids that are no array or over 10,000, a missing list",
          "[sim][lists]") {
  ListFixture fx;
  for (const std::string action : {"add", "delete"}) {
    INFO(action);
    fx.change("add", R"(["a@x.com"])");
    const Response over = fx.api("POST", fx.path(action), many_ids(10001));
    CHECK(over.status == 400);
    CHECK(Json::parse(over.body)["replyCode"] == 3002);
    CHECK(fx.api("POST", fx.path(action), many_ids(10000)).status == 200);
    const Json not_array =
        fx.api_json("POST", fx.path(action), R"({"key_id":"3","external_ids":"a@x.com"})");
    CHECK(not_array["replyCode"] == 3003);
    CHECK(fx.api_json("POST", fx.path(action),
                      R"({"key_id":"1","external_ids":["a@x.com"]})")["replyCode"] == 2004);
    CHECK(fx.api_json("POST", fx.path(action), "not json")["replyCode"] == 1010);
    const Response missing =
        fx.api("POST", "/contactlist/42/" + action, R"({"key_id":"3","external_ids":["a@x.com"]})");
    CHECK(missing.status == 404);
    CHECK(Json::parse(missing.body)["replyCode"] == 3006);
    CHECK(fx.members() == Json{"a@x.com"});  // none of these changed it
    fx.change("delete", R"(["a@x.com"])");
  }
  // key_id "email" names the email field too.
  CHECK(fx.api_json(
            "POST", fx.path("add"),
            R"({"key_id":"email","external_ids":["b@x.com"]})")["data"]["inserted_contacts"] == 1);
}

TEST_CASE("count and contactIds read a list; contactIds pages with $top and $skiptoken",
          "[sim][lists]") {
  ListFixture fx;
  CHECK(fx.api_json("GET", fx.path("count"))["data"] == 0);
  CHECK(fx.api_json("GET", fx.path("contactIds"))["data"] ==
        Json::parse(R"({"value":[],"next":null})"));
  fx.change("add", R"(["e@x.com","a@x.com","c@x.com","b@x.com","d@x.com"])");
  CHECK(fx.api_json("GET", fx.path("count"))["data"] == 5);
  CHECK(fx.api_json("GET", fx.path("contactIds"))["data"] ==
        Json::parse(R"({"value":[100001,100002,100003,100004,100005],"next":null})"));

  // Following `next` from the first page reads every member once.
  std::vector<std::int64_t> seen;
  std::string page = fx.path("contactIds") + "?$top=2";
  std::vector<std::string> pages;
  while (true) {
    const Json data = fx.api_json("GET", page)["data"];
    for (const Json& id : data["value"]) {
      seen.push_back(id.get<std::int64_t>());
    }
    if (data["next"].is_null()) {
      break;
    }
    page = data["next"].get<std::string>();
    pages.push_back(page);
  }
  CHECK(seen == std::vector<std::int64_t>{100001, 100002, 100003, 100004, 100005});
  CHECK(pages == std::vector<std::string>{fx.path("contactIds") + "?$skiptoken=2&$top=2",
                                          fx.path("contactIds") + "?$skiptoken=4&$top=2"});
  // URL-encoded names, and a token past the end (the list shrank) is an empty last page.
  CHECK(fx.api_json("GET", fx.path("contactIds") + "?%24top=1&%24skiptoken=4")["data"] ==
        Json::parse(R"({"value":[100005],"next":null})"));
  CHECK(fx.api_json("GET", fx.path("contactIds") + "?$skiptoken=9")["data"] ==
        Json::parse(R"({"value":[],"next":null})"));
  for (const char* query : {"?$top=0", "?$top=100001", "?$top=x", "?$skiptoken=-1"}) {
    INFO(query);
    const Response bad = fx.api("GET", fx.path("contactIds") + query);
    CHECK(bad.status == 400);
    CHECK(Json::parse(bad.body)["replyCode"] == 1001);
  }
  CHECK(fx.api("GET", fx.path("contactIds") + "?$top=100000").status == 200);
  for (const char* action : {"count", "contactIds"}) {
    const Response missing = fx.api("GET", std::string("/contactlist/42/") + action);
    CHECK(missing.status == 404);
    CHECK(Json::parse(missing.body)["replyCode"] == 3006);
  }
}

TEST_CASE("/sim/lists/members reads a list's emails and puts members in by hand", "[sim][lists]") {
  ListFixture fx;
  const std::string id = std::to_string(fx.id);
  CHECK(fx.control("POST", "/sim/lists/members", R"({"id":)" + id + R"(,"emails":["b@x.com"]})") ==
        Json::parse(R"({"ok":true,"added":1})"));
  fx.change("add", R"(["a@x.com"])");
  CHECK(fx.control("GET", "/sim/lists/members?id=" + id) ==
        Json{{"id", fx.id}, {"name", "L"}, {"emails", {"a@x.com", "b@x.com"}}});
  // All or nothing: an email no contact has adds none.
  const Response unknown = fx.raw("POST", "/sim/lists/members",
                                  R"({"id":)" + id + R"(,"emails":["c@x.com","n@x.com"]})", {});
  CHECK(unknown.status == 400);
  CHECK(Json::parse(unknown.body)["error"].get<std::string>().find("n@x.com") != std::string::npos);
  CHECK(fx.members() == Json{"a@x.com", "b@x.com"});
  CHECK(fx.raw("GET", "/sim/lists/members?id=42", "", {}).status == 404);
  CHECK(fx.raw("GET", "/sim/lists/members", "", {}).status == 404);
  CHECK(fx.raw("POST", "/sim/lists/members", R"({"id":)" + id + "}", {}).status == 400);
  // Not an API call: nothing logged.
  CHECK(fx.control("GET", "/sim/state")["requests"].size() == 1);
}

TEST_CASE("list calls need authentication and count against the rate limit", "[sim][lists]") {
  Config config = SimFixture::default_config();
  config.rate_limit = 2;
  ListFixture fx(config);
  const Response anonymous =
      fx.raw("POST", "/api/v2" + fx.path("add"), R"({"external_ids":["a@x.com"]})", {});
  CHECK(anonymous.status == 401);
  CHECK(fx.api("GET", fx.path("count")).status == 200);
  CHECK(fx.api("POST", fx.path("delete"), R"({"external_ids":[]})").status == 200);
  const Response limited = fx.api("POST", fx.path("add"), R"({"external_ids":["a@x.com"]})");
  CHECK(limited.status == 429);
  CHECK(Json::parse(limited.body)["replyCode"] == 7003);
  CHECK(fx.members().empty());
}

TEST_CASE("rate faults hit list calls as contact calls; refused ones change nothing",
          "[sim][lists][faults]") {
  ListFixture fx;
  set_faults(fx, R"({"rate_503":1,"endpoints":["/add"]})");
  CHECK(fx.api("POST", fx.path("add"), R"({"external_ids":["a@x.com"]})").status == 503);
  CHECK(fx.api("POST", fx.path("delete"), R"({"external_ids":["a@x.com"]})").status == 200);
  CHECK(fx.members().empty());
  set_faults(fx, R"({"rate_500":1})");
  CHECK(fx.api_json("POST", fx.path("add"), R"({"external_ids":["a@x.com"]})") ==
        Json::parse(R"({"replyCode":1003,"replyText":"Internal error","data":""})"));
  CHECK(fx.api("GET", fx.path("count")).status == 500);
  set_faults(fx, R"({"rate_429":1})");
  CHECK(fx.api("POST", fx.path("add"), R"({"external_ids":["a@x.com"]})").status == 429);
  set_faults(fx, R"({"rate_reset_before":1})");
  CHECK(fx.api("POST", "/contactlist", R"({"name":"M"})").delivery == Delivery::reset);
  CHECK(fx.members().empty());
  CHECK(fx.control("GET", "/sim/state")["lists"].size() == 1);  // "M" was not created

  set_faults(fx, R"({"rate_reset_after":1})");
  const Response dropped = fx.api("POST", fx.path("add"), R"({"external_ids":["a@x.com"]})");
  CHECK(dropped.delivery == Delivery::reset);
  set_faults(fx, R"({"rate_slow":1,"slow_ms":300})");
  const Response slow = fx.api("POST", fx.path("delete"), R"({"external_ids":["a@x.com"]})");
  CHECK(slow.delivery == Delivery::delayed);
  set_faults(fx, "{}");
  CHECK(fx.members().empty());  // added (reply lost), then deleted (reply late)
  const Json log = fx.control("GET", "/sim/state")["requests"];
  CHECK(log[log.size() - 2]["fault"] == "reset_after");
  CHECK(log.back()["fault"] == "slow");
}

TEST_CASE("poison refuses a whole list change; contact_errors fail single emails",
          "[sim][lists][faults]") {
  ListFixture fx;
  fx.change("add", R"(["c@x.com"])");
  set_faults(fx, R"({"poison":["B@x.com"],"contact_errors":{"d@x.com":{"code":"2010",
      "message":"More contacts found with the external id: 3 - d@x.com"}}})");
  for (const std::string action : {"add", "delete"}) {
    CHECK(fx.api_json("POST", fx.path(action),
                      R"({"key_id":"3","external_ids":["a@x.com","b@x.com","c@x.com"]})") ==
          Json::parse(R"({"replyCode":2005,"replyText":"Invalid key field value: b@x.com",
              "data":""})"));
  }
  CHECK(fx.members() == Json{"c@x.com"});
  CHECK(fx.change("add", R"(["a@x.com","d@x.com"])") ==
        Json::parse(R"({"inserted_contacts":1,"errors":{"d@x.com":{
            "2010":"More contacts found with the external id: 3 - d@x.com"}}})"));
  CHECK(fx.change("delete", R"(["c@x.com","d@x.com"])")["deleted_contacts"] == 1);
  CHECK(fx.members() == Json{"a@x.com"});
  const Json injected = fx.control("GET", "/sim/faults")["injected"];
  CHECK(injected["poison"] == 2);
  CHECK(injected["contact_error"] == 2);
}

TEST_CASE("hostile_reply answers list changes after applying them", "[sim][lists][faults]") {
  ListFixture fx;
  set_faults(fx, R"({"hostile_reply":"huge_open"})");
  CHECK(fx.api("GET", fx.path("count")).body.size() < 100);  // reads are left alone
  const Response added =
      fx.api("POST", fx.path("add"), R"({"external_ids":["a@x.com","b@x.com"]})");
  CHECK(added.status == 200);
  CHECK(added.body == std::string(k_hostile_bytes, '['));
  const Response removed = fx.api("POST", fx.path("delete"), R"({"external_ids":["a@x.com"]})");
  CHECK(removed.body == std::string(k_hostile_bytes, '['));
  set_faults(fx, "{}");
  CHECK(fx.members() == Json{"b@x.com"});
}
