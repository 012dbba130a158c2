// PUT/POST /contact, getdata, field value rules, and the /sim controls.
#include <catch2/catch.hpp>

#include "sim/config.hpp"
#include "sim/field_values.hpp"
#include "sim_fixture.hpp"

using namespace emsync::sim;
using namespace emsync::sim::test;

TEST_CASE("an upsert reports existing ids as strings, new ones as ints, missing keys as 2005",
          "[sim]") {
  SimFixture fx;
  fx.control("POST", "/sim/contacts", R"({"contacts":[{"3":"old@example.com"}]})");
  const Response response = fx.api(
      "PUT", "/contact/?create_if_not_exists=1",
      R"({"key_id":"3","contacts":[{"3":"OLD@example.com","1":"Ann"},{"3":"new@example.com","31":1},{"1":"NoKey"}]})");
  CHECK(response.status == 200);
  CHECK(response.content_type == "text/html; charset=utf-8");
  CHECK(Json::parse(response.body) == Json::parse(R"({"replyCode":0,"replyText":"OK","data":{
      "ids":["100001",100002],"errors":{"":{"2005":"No value provided for key field: 3"}}}})"));
  const Json contacts = fx.control("GET", "/sim/state")["contacts"];
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0]["email"] == "OLD@example.com");
  CHECK(contacts[0]["fields"]["1"] == "Ann");
  CHECK(contacts[1]["fields"]["31"] == 1);
}

TEST_CASE("an update without create reports 2008 and omits errors when all succeed", "[sim]") {
  SimFixture fx;
  const Json missing = fx.api_json("PUT", "/contact", R"({"contacts":[{"3":"ghost@x.com"}]})");
  CHECK(missing["data"] == Json::parse(R"({"ids":[],"errors":{"ghost@x.com":{
      "2008":"No contact found with the external id: 3 - ghost@x.com"}}})"));
  fx.control("POST", "/sim/contacts", R"({"contacts":[{"3":"a@x.com","1":"Ann"}]})");
  const Json updated = fx.api_json("PUT", "/contact", R"({"contacts":[{"3":"a@x.com","1":""}]})");
  CHECK(updated["data"] == Json::parse(R"({"ids":["100001"]})"));
  CHECK(fx.control("GET", "/sim/state")["contacts"][0]["fields"] == Json{{"3", "a@x.com"}});
}

TEST_CASE("a create of an existing email is 2009 and adds only created contacts to the list",
          "[sim]") {
  SimFixture fx;
  fx.control("POST", "/sim/contacts", R"({"contacts":[{"3":"a@x.com"}]})");
  const Json list = fx.control("POST", "/sim/lists", R"({"name":"new"})");
  const Json created = fx.api_json("POST", "/contact",
                                   R"({"contact_list_id":)" + list["id"].dump() +
                                       R"(,"contacts":[{"3":"a@x.com"},{"3":"b@x.com"}]})");
  CHECK(created["data"] == Json::parse(R"({"ids":[100002],"errors":{"a@x.com":{
      "2009":"Contact with the external id already exists: 3"}}})"));
  CHECK(fx.control("GET", "/sim/state")["lists"][0]["member_emails"] == Json{"b@x.com"});
  const Response bad_list =
      fx.api("POST", "/contact", R"({"contact_list_id":5,"contacts":[{"3":"c@x.com"}]})");
  CHECK(bad_list.status == 400);
  CHECK(Json::parse(bad_list.body)["replyCode"] == 2020);
}

TEST_CASE("a batch is read member by member as sent, numbers beyond 64 bits included", "[sim]") {
  SimFixture fx;
  const Json score = fx.api_json("POST", "/field", R"({"name":"score","application_type":"numeric"})");
  const std::string score_id = score["data"]["id"].dump();
  const Json created = fx.api_json(
      "POST", "/contact",
      R"({"contacts":[{"email":"a@x.com","1":"Ann","2":"Lee","1":"Anna","31":1},)"
      R"({"3":"b@x.com",")" + score_id + R"(":1234567890123456789012345},)"
      R"({"3":"c@x.com",")" + score_id + R"(":12.5,"2":null}],"key_id":3})");
  CHECK(created["data"] == Json::parse(R"({"ids":[100001,100002],"errors":{"b@x.com":{
      "2007":"Invalid data format for field id: )" + score_id + R"("}}})"));
  const Json contacts = fx.control("GET", "/sim/state")["contacts"];
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0]["fields"].dump() == R"({"3":"a@x.com","1":"Anna","2":"Lee","31":1})");
  CHECK(contacts[1]["fields"].dump() == R"({"3":"c@x.com",")" + score_id + R"(":12.5})");
  const Response broken = fx.api("POST", "/contact", R"({"contacts":[{"3":"d@x.com"})");
  CHECK(broken.status == 400);
  CHECK(Json::parse(broken.body)["replyCode"] == 1010);
}

TEST_CASE("the email index finds every contact of a key, in any case, after updates", "[sim]") {
  SimFixture fx;
  fx.control("POST", "/sim/contacts",
             R"({"contacts":[{"3":"dup@x.com"},{"3":"one@x.com"},{"3":"DUP@x.com"}]})");
  const Json both = fx.api_json("PUT", "/contact", R"({"contacts":[{"3":"Dup@X.com","1":"A"}]})");
  CHECK(both["data"]["errors"]["Dup@X.com"].contains("2010"));
  for (const char* spelling : {"ONE@X.COM", "One@x.com", "one@x.com"}) {
    const Json updated = fx.api_json(
        "PUT", "/contact", std::string(R"({"contacts":[{"3":")") + spelling + R"(","1":"B"}]})");
    CHECK(updated["data"] == Json::parse(R"({"ids":["100002"]})"));
  }
  const Json data = fx.api_json("POST", "/contact/getdata",
                                R"({"keyId":3,"keyValues":["ONE@x.com","dup@x.com","no@x.com"]})");
  REQUIRE(data["data"]["result"].size() == 1);
  CHECK(data["data"]["result"][0]["3"] == "one@x.com");
  CHECK(data["data"]["errors"].size() == 2);
}

TEST_CASE("a batch over 1000 contacts is refused whole", "[sim]") {
  SimFixture fx;
  Json contacts = Json::array();
  for (int i = 0; i < 1001; ++i) {
    contacts.push_back(Json{{"3", "c" + std::to_string(i).append("@x.com")}});
  }
  const Response response =
      fx.api("PUT", "/contact?create_if_not_exists=1", Json{{"contacts", contacts}}.dump());
  CHECK(response.status == 400);
  CHECK(Json::parse(response.body)["replyCode"] == 1000);
  CHECK(fx.control("GET", "/sim/state")["contacts"].empty());
  CHECK(fx.api("PUT", "/contact", "{not json").status == 400);
  CHECK(fx.api_json("PUT", "/contact", R"({"key_id":"1","contacts":[]})")["replyCode"] == 2004);
}

TEST_CASE("field values are checked by type", "[sim]") {
  const FieldCatalog catalog;
  const auto accepts = [&](int field, const char* value) {
    return !check_field_value(catalog, *catalog.find(field), Json::parse(value)).has_value();
  };
  CHECK(accepts(4, R"("1970-05-26")"));
  CHECK_FALSE(accepts(4, R"("1970-02-30")"));
  CHECK_FALSE(accepts(4, R"("26.05.1970")"));
  CHECK(accepts(31, "1"));
  CHECK(accepts(31, R"("2")"));
  CHECK(accepts(31, "null"));
  CHECK_FALSE(accepts(31, "true"));
  CHECK_FALSE(accepts(31, R"("true")"));
  CHECK(accepts(5, R"("2")"));
  CHECK(accepts(5, "1"));
  CHECK_FALSE(accepts(5, R"("Male")"));
  CHECK(accepts(1, R"("")"));
  CHECK_FALSE(accepts(1, ("\"" + std::string(61, 'x') + "\"").c_str()));
  CHECK(accepts(1, ("\"" + std::string(60, 'x') + "\"").c_str()));
  CHECK(accepts(1, R"("ÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüß1234")"));
  CHECK_FALSE(accepts(47, R"("1")"));
  CHECK_FALSE(accepts(32, R"("")"));
  CHECK_FALSE(accepts(1, "[1]"));
}

TEST_CASE("numeric custom fields take numbers and numeric strings without exponents", "[sim]") {
  FieldCatalog catalog;
  const int id = catalog.create(Json{{"name", "score"}, {"application_type", "numeric"}});
  CHECK(id == 1000);
  const auto accepts = [&](const char* value) {
    return !check_field_value(catalog, *catalog.find(id), Json::parse(value)).has_value();
  };
  CHECK(accepts("42"));
  CHECK(accepts("-0.5"));
  CHECK(accepts(R"("+12.25")"));
  CHECK_FALSE(accepts(R"("1e5")"));
  CHECK_FALSE(accepts(R"("12a")"));
  CHECK_FALSE(accepts(R"("1234567890123456789012345")"));
  CHECK(accepts(R"("123456789012.345678901234")"));  // 24 digits
  for (const char* bad : {R"("12.")", R"(".5")", R"("-")", R"("+-1")", R"("1.2.3")", R"(" 1")"}) {
    CHECK_FALSE(accepts(bad));
  }
  CHECK_THROWS_AS(catalog.create(Json{{"name", "SCORE"}, {"application_type", "numeric"}}),
                  ApiFailure);
}

TEST_CASE("a rejected email reports the injected error and is not written", "[sim]") {
  SimFixture fx;
  fx.control(
      "POST", "/sim/reject",
      R"({"emails":{"bad@x.com":{"code":"2007","message":"Invalid data format for field id: 1"}}})");
  const Json reply = fx.api_json("PUT", "/contact?create_if_not_exists=1",
                                 R"({"contacts":[{"3":"BAD@x.com"},{"3":"ok@x.com"}]})");
  CHECK(reply["data"]["errors"] ==
        Json::parse(R"({"BAD@x.com":{"2007":"Invalid data format for field id: 1"}})"));
  CHECK(fx.control("GET", "/sim/state")["contacts"].size() == 1);
}

TEST_CASE("list add counts new members only and reports unknown emails", "[sim]") {
  SimFixture fx;
  fx.control("POST", "/sim/contacts", R"({"contacts":[{"3":"a@x.com"},{"3":"b@x.com"}]})");
  const std::string path =
      "/contactlist/" + fx.control("POST", "/sim/lists", R"({"name":"L"})")["id"].dump() + "/add";
  CHECK(fx.api_json("POST", path, R"({"key_id":"3","external_ids":["a@x.com"]})")["data"] ==
        Json::parse(R"({"inserted_contacts":1,"errors":[]})"));
  CHECK(fx.api_json("POST", path,
                    R"({"key_id":"3","external_ids":["a@x.com","b@x.com","n@x.com"]})")["data"] ==
        Json::parse(R"({"inserted_contacts":1,"errors":{"n@x.com":{
            "2008":"No contact found with the external id: 3 - n@x.com"}}})"));
  const Response missing = fx.api("POST", "/contactlist/1/add", R"({"external_ids":[]})");
  CHECK(missing.status == 404);
  CHECK(Json::parse(missing.body)["replyCode"] == 3006);
}

TEST_CASE("getdata returns strings, nulls for empty fields, and false when nothing matched",
          "[sim]") {
  SimFixture fx;
  fx.control("POST", "/sim/contacts", R"({"contacts":[{"3":"a@x.com","1":"Ann","31":1}]})");
  const Json found =
      fx.api_json("POST", "/contact/getdata",
                  R"({"keyId":"3","keyValues":["A@x.com","z@x.com"],"fields":[1,2,31]})");
  CHECK(found["data"] ==
        Json::parse(R"({"errors":[{"key":"z@x.com","errorCode":2008,
      "errorMsg":"No contact found with the external id: 3"}],
      "result":[{"id":"100001","uid":")" +
                    fx.control("GET", "/sim/state")["contacts"][0]["uid"].get<std::string>() +
                    R"(","1":"Ann","2":null,"31":"1"}]})"));
  CHECK(fx.api_json("POST", "/contact/getdata",
                    R"({"keyId":"3","keyValues":["z@x.com"]})")["data"]["result"] == false);
  CHECK(fx.api_json("POST", "/contact/getdata", R"({"keyID":"3","keyValues":[]})") ==
        Json::parse(R"({"replyCode":2004,"replyText":"Invalid key field id: ","data":""})"));
}

TEST_CASE("unknown routes are invalid actions and wrong methods 501", "[sim]") {
  SimFixture fx;
  CHECK(fx.api_json("POST", "/contactlist/wrong-id/add", "{}") ==
        Json::parse(R"({"replyCode":1,"replyText":"Action Wrong-id is invalid.","data":""})"));
  CHECK(fx.api("DELETE", "/contact").status == 501);
  CHECK(fx.api_json("GET", "/field/5/choice")["data"][1] ==
        Json{{"id", "2"}, {"choice", "Female"}});
  const Json log = fx.control("GET", "/sim/state")["requests"];
  CHECK(log.size() == 3);
  CHECK(log[0]["path"] == "/api/v2/contactlist/wrong-id/add");
  CHECK(log[1]["status"] == 501);
}

TEST_CASE("a flat single-contact body answers one int id, or its error as HTTP 400", "[sim]") {
  SimFixture fx;
  fx.control("POST", "/sim/contacts", R"({"contacts":[{"3":"a@x.com"}]})");
  CHECK(fx.api_json("PUT", "/contact", R"({"key_id":"3","3":"a@x.com","1":"Ann"})")["data"] ==
        Json{{"id", 100001}});
  const Response exists = fx.api("POST", "/contact", R"({"email":"a@x.com"})");
  CHECK(exists.status == 400);
  CHECK(Json::parse(exists.body)["replyCode"] == 2009);
  CHECK(fx.control("GET", "/sim/state")["contacts"][0]["fields"]["1"] == "Ann");
}

TEST_CASE("the request log keeps payloads unless --no-payload-log", "[sim]") {
  const std::string body = R"({"key_id":"3","contacts":[{"3":"a@x.com","1":"Ann"}]})";
  SimFixture logged;
  logged.api("POST", "/contact", body);
  CHECK(logged.control("GET", "/sim/state")["requests"][0]["contacts"] ==
        Json::parse(R"([{"3":"a@x.com","1":"Ann"}])"));

  Config config = SimFixture::default_config();
  config.log_payloads = false;
  SimFixture lean(config);
  lean.api("POST", "/contact", body);
  lean.api("POST", "/contact/getdata", R"({"keyId":"3","keyValues":["a@x.com"]})");
  const Json state = lean.control("GET", "/sim/state");
  REQUIRE(state["requests"].size() == 2);
  CHECK_FALSE(state["requests"][0].contains("contacts"));
  CHECK_FALSE(state["requests"][1].contains("key_values"));
  CHECK(state["requests"][0]["status"] == 200);
  CHECK(state["contacts"][0]["fields"]["1"] == "Ann");  // the contact is created all the same
  CHECK(parse_args({"--no-payload-log"}).log_payloads == false);
}

TEST_CASE("a multi-choice field made through /sim/fields takes arrays of its choice ids", "[sim]") {
  SimFixture fx;
  const Json field = fx.control(
      "POST", "/sim/fields",
      R"({"name":"Hobbies","application_type":"multichoice","choices":["Cooking","Chess"]})");
  const std::string id = field["id"].dump();
  CHECK(id == "1000");
  CHECK(fx.api_json("GET", "/field/choices?fields=" + id + ",5")["data"] ==
        Json::parse(R"({"1000":[{"id":"1","choice":"Cooking"},{"id":"2","choice":"Chess"}],)"
                    R"("5":[{"id":"1","choice":"Male"},{"id":"2","choice":"Female"}]})"));
  CHECK(fx.api_json("GET", "/field/" + id + "/choice")["data"][1] ==
        Json{{"id", "2"}, {"choice", "Chess"}});
  CHECK(fx.api("GET", "/field/choices?fields=1").status == 400);  // no choice field
  const Json written = fx.api_json(
      "POST", "/contact",
      R"({"contacts":[{"3":"a@x.com",")" + id + R"(":["1",2]},)"
      R"({"3":"b@x.com",")" + id + R"(":[]},{"3":"c@x.com",")" + id + R"(":"1"},)"
      R"({"3":"d@x.com",")" + id + R"(":["3"]},{"3":"e@x.com","1":["Ann"]},)"
      R"({"3":"f@x.com",")" + id + R"(":null}]})");
  CHECK(written["data"]["errors"] == Json::parse(R"({
      "b@x.com":{"2007":"No choice provided for field id: 1000"},
      "c@x.com":{"2007":"Invalid data format for field id: 1000. Array expected"},
      "d@x.com":{"2007":"Invalid choice id for field id: 1000"},
      "e@x.com":{"2007":"Invalid data format for field id: 1. Scalar expected"}})"));
  const Json contacts = fx.control("GET", "/sim/state")["contacts"];
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0]["fields"][id] == Json::parse(R"(["1",2])"));
  // Choices on a field that is no choice field are refused.
  CHECK(fx.raw("POST", "/sim/fields",
               R"({"name":"x","application_type":"shorttext","choices":["a"]})", {})
            .status == 400);
}
