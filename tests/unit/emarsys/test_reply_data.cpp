// Every documented `data` shape (emarsys-api.md §4-§6, §11, §12).
#include <catch2/catch.hpp>
#include <limits>

#include "emarsys/reply_data.hpp"

using namespace emsync::emarsys;
using nlohmann::json;

namespace {

std::vector<ContactError> errors_of(const char* data) {
  auto errors = parse_contact_errors(json::parse(data), "PUT /contact");
  REQUIRE(errors);
  return errors.value();
}

}  // namespace

TEST_CASE("errors may be missing, null or an empty array", "[emarsys][reply_data]") {
  CHECK(errors_of(R"({"ids":[106504559]})").empty());
  CHECK(errors_of(R"({"inserted_contacts":2,"errors":[]})").empty());
  CHECK(errors_of(R"({"errors":null})").empty());
  CHECK(errors_of(R"({"errors":{}})").empty());
  CHECK(errors_of(R"("")").empty());
}

TEST_CASE("errors keyed by key value give one entry per code", "[emarsys][reply_data]") {
  const auto errors = errors_of(R"({"ids":["285291248"],"errors":{
      "erik.selvig@example.com":{"2008":"No contact found with the external id: 3 - erik.selvig@example.com"},
      "":{"2005":"No value provided for key field: 3"}}})");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].key == "");
  CHECK(errors[0].code == "2005");
  CHECK(errors[1].key == "erik.selvig@example.com");
  CHECK(errors[1].code == "2008");
  CHECK(errors[1].message.starts_with("No contact found"));
}

TEST_CASE("getdata errors are an array with string or int codes", "[emarsys][reply_data]") {
  const auto errors = errors_of(R"({"result":false,"errors":[
      {"key":"a@x.com","errorCode":2008,"errorMsg":"No contact found with the external id: 3"},
      {"key":"b@x.com","errorCode":"2008","errorMsg":"No contact found with the external id: 3"}]})");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].key == "a@x.com");
  CHECK(errors[0].code == "2008");
  CHECK(errors[1].code == "2008");
}

TEST_CASE("getdata results give each field's value as text, null as none",
          "[emarsys][reply_data]") {
  auto found = parse_contact_data(json::parse(R"({"errors":[
      {"key":"ghost@x.com","errorCode":2008,"errorMsg":"No contact found with the external id: 3"}],
      "result":[{"id":"23897","uid":"A1BBbBCcC1","1":"Tony","2":null,"3":"tony@example.com",
                 "4":42,"5":[1,2]}]})"),
                                  "POST /contact/getdata");
  REQUIRE(found);
  REQUIRE(found->contacts.size() == 1);
  const auto& values = found->contacts[0].values;
  CHECK(values.at("1") == "Tony");
  CHECK_FALSE(values.at("2").has_value());
  CHECK(values.at("3") == "tony@example.com");
  CHECK(values.at("4") == "42");
  CHECK(values.at("5") == "[1,2]");
  REQUIRE(found->errors.size() == 1);
  CHECK(found->errors[0].key == "ghost@x.com");
  CHECK(found->errors[0].code == "2008");
}

TEST_CASE("getdata with no contact found: result false, \"\" or data \"\"",
          "[emarsys][reply_data]") {
  for (const char* data : {R"({"result":false,"errors":[{"key":"a@x.com","errorCode":"2008",
                               "errorMsg":"No contact found"}]})",
                           R"({"result":"","errors":[]})", R"("")", R"({"errors":[]})"}) {
    INFO(data);
    auto found = parse_contact_data(json::parse(data), "POST /contact/getdata");
    REQUIRE(found);
    CHECK(found->contacts.empty());
  }
  auto odd = parse_contact_data(json::parse(R"({"result":{"1":"x"}})"), "POST /contact/getdata");
  REQUIRE_FALSE(odd);
  CHECK(odd.error().code == emsync::Errc::protocol_error);
  CHECK_THAT(odd.error().message, Catch::Contains("POST /contact/getdata"));
}

TEST_CASE("malformed errors are protocol errors naming the call", "[emarsys][reply_data]") {
  for (const char* data : {R"({"errors":"oops"})", R"({"errors":{"a@x":"2008"}})",
                           R"({"errors":[1]})"}) {
    auto errors = parse_contact_errors(json::parse(data), "PUT /contact");
    REQUIRE_FALSE(errors);
    CHECK(errors.error().code == emsync::Errc::protocol_error);
    CHECK(errors.error().message.find("PUT /contact") != std::string::npos);
  }
}

TEST_CASE("ids may be strings, ints or mixed", "[emarsys][reply_data]") {
  auto ids = parse_ids(json::parse(R"({"ids":["138621551", 968984932]})"), "PUT /contact");
  REQUIRE(ids);
  CHECK(ids.value() == std::vector<std::int64_t>{138621551, 968984932});
  auto none = parse_ids(json::parse(R"({"errors":{}})"), "PUT /contact");
  REQUIRE(none);
  CHECK(none->empty());
  CHECK_FALSE(parse_ids(json::parse(R"({"ids":["abc"]})"), "PUT /contact"));
  CHECK_FALSE(parse_ids(json::parse(R"({"ids":{"a":1}})"), "PUT /contact"));
}

TEST_CASE("integers outside the int64 range are not integers", "[emarsys][reply_data]") {
  CHECK(json_int(json::parse("9223372036854775807")) == std::numeric_limits<std::int64_t>::max());
  CHECK(json_int(json::parse("-9223372036854775808")) == std::numeric_limits<std::int64_t>::min());
  CHECK_FALSE(json_int(json::parse("9223372036854775808")));
  CHECK_FALSE(json_int(json::parse("18446744073709551615")));
  CHECK_FALSE(json_int(json::parse(R"("9223372036854775808")")));
  CHECK_FALSE(parse_ids(json::parse(R"({"ids":[18446744073709551615]})"), "PUT /contact"));
}

TEST_CASE("contacts results of worked examples A, B and the batch create", "[emarsys][reply_data]") {
  auto a = parse_contacts_result(json::parse(R"({"ids":["100001",100002],
      "errors":{"":{"2005":"No value provided for key field: 3"}}})"), "PUT /contact");
  REQUIRE(a);
  REQUIRE(a->errors.size() == 1);
  CHECK(a->errors[0].code == "2005");
  auto b = parse_contacts_result(json::parse(R"({"ids":[],"errors":{"ghost@example.com":
      {"2008":"No contact found with the external id: 3 - ghost@example.com"}}})"), "PUT /contact");
  REQUIRE(b);
  CHECK(b->errors[0].key == "ghost@example.com");
  auto create = parse_contacts_result(json::parse(R"({"ids":[123,456],"errors":{
      "james@example.com":{"2009":"Contact with the external id already exists: 3"}}})"),
                                      "POST /contact");
  REQUIRE(create);
  CHECK(create->errors[0].code == "2009");
  CHECK_FALSE(parse_contacts_result(json::parse("[1]"), "PUT /contact"));
}

TEST_CASE("fields accept int or string ids, missing string_id and null names",
          "[emarsys][reply_data]") {
  auto fields = parse_fields(json::parse(R"([
      {"id":1,"name":"First Name","application_type":"shorttext","string_id":"first_name"},
      {"id":"31","name":"Opt-In","application_type":"special","string_id":"optin"},
      {"id":796,"name":"loyalty_tier","application_type":"shorttext","string_id":""},
      {"id":0,"name":null,"application_type":"interests"}])"), "GET /field");
  REQUIRE(fields);
  REQUIRE(fields->size() == 4);
  CHECK(fields->at(0).string_id == "first_name");
  CHECK(fields->at(1).id == 31);
  CHECK(fields->at(2).string_id.empty());
  CHECK(fields->at(3).name.empty());
  CHECK(fields->at(3).string_id.empty());
  CHECK(fields->at(3).application_type == "interests");
  CHECK_FALSE(parse_fields(json::parse(R"({"id":1})"), "GET /field"));
  CHECK_FALSE(parse_fields(json::parse(R"([{"name":"no id"}])"), "GET /field"));
}

TEST_CASE("contact lists have string ids", "[emarsys][reply_data]") {
  auto lists = parse_contact_lists(json::parse(R"([
      {"id":"482019135","name":"123","created":"2020-11-27 14:00:19","type":0},
      {"id":969,"name":"b"}])"), "GET /contactlist");
  REQUIRE(lists);
  CHECK(lists->at(0).id == 482019135);
  CHECK(lists->at(0).name == "123");
  CHECK(lists->at(1).id == 969);
  CHECK_FALSE(parse_contact_lists(json::parse(R"("")"), "GET /contactlist"));
}

TEST_CASE("list add counts inserted contacts as int or string", "[emarsys][reply_data]") {
  auto f = parse_list_change(json::parse(R"({"inserted_contacts":1,"errors":{"nobody@x.com":
      {"2008":"No contact found with the external id: 3 - nobody@x.com"}}})"),
                             "POST /contactlist/900337462/add", "inserted_contacts");
  REQUIRE(f);
  CHECK(f->changed == 1);
  REQUIRE(f->errors.size() == 1);
  CHECK(f->errors[0].key == "nobody@x.com");
  auto all_ok = parse_list_change(json::parse(R"({"inserted_contacts":"2","errors":[]})"), "add",
                                  "inserted_contacts");
  REQUIRE(all_ok);
  CHECK(all_ok->changed == 2);
  CHECK(all_ok->errors.empty());
  CHECK_FALSE(parse_list_change(json::parse(R"({"errors":[]})"), "add", "inserted_contacts"));
}

TEST_CASE("list delete counts deleted contacts; errors may be absent, [] or by email",
          "[emarsys][reply_data]") {
  const auto parse = [](const char* text) {
    return parse_list_change(json::parse(text), "POST /contactlist/7/delete", "deleted_contacts");
  };
  auto absent = parse(R"({"deleted_contacts":"4"})");
  REQUIRE(absent);
  CHECK(absent->changed == 4);
  CHECK(absent->errors.empty());
  auto by_email = parse(R"({"deleted_contacts":0,"errors":{"a@x.com":{"2008":"No contact"},
      "b@x.com":{"2010":"More contacts"}}})");
  REQUIRE(by_email);
  REQUIRE(by_email->errors.size() == 2);
  CHECK(by_email->errors[1].key == "b@x.com");
  CHECK(by_email->errors[1].code == "2010");
  CHECK(parse(R"({"deleted_contacts":1,"errors":null})"));
  // The count of the other call, a negative or fractional count, no object, bad errors: refused.
  for (const char* bad :
       {R"({"inserted_contacts":1})", R"({"deleted_contacts":-1})", R"({"deleted_contacts":1.5})",
        R"({"deleted_contacts":"x"})", R"("")", R"({"deleted_contacts":1,"errors":"none"})",
        R"({"deleted_contacts":1,"errors":{"a@x.com":"2008"}})"}) {
    INFO(bad);
    auto refused = parse(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == emsync::Errc::protocol_error);
  }
}

TEST_CASE("created ids may be ints or strings", "[emarsys][reply_data]") {
  auto id = parse_created_id(json::parse(R"({"id":796})"), "POST /field");
  REQUIRE(id);
  CHECK(id.value() == 796);
  auto text = parse_created_id(json::parse(R"({"id":"112035628"})"), "PUT /contact");
  REQUIRE(text);
  CHECK(text.value() == 112035628);
  CHECK_FALSE(parse_created_id(json::parse(R"("")"), "POST /field"));
}

TEST_CASE("json_int accepts numbers and decimal strings only", "[emarsys][reply_data]") {
  CHECK(json_int(json(5)) == 5);
  CHECK(json_int(json("5")) == 5);
  CHECK(json_int(json("-7")) == -7);
  CHECK_FALSE(json_int(json("5a")));
  CHECK_FALSE(json_int(json("")));
  CHECK_FALSE(json_int(json(1.5)));
  CHECK_FALSE(json_int(json(nullptr)));
}

TEST_CASE("choices: ids as strings or ints, per field or keyed by field id",
          "[emarsys][reply_data]") {
  auto single = parse_choices(json::parse(R"([{"id":"1","choice":"Male","bit_position":"0"},
      {"id":2,"choice":"Female"}])"),
                              "GET /field/5/choice");
  REQUIRE(single);
  REQUIRE(single->size() == 2);
  CHECK((*single)[0].id == "1");
  CHECK((*single)[0].label == "Male");
  CHECK((*single)[1].id == "2");
  CHECK((*single)[1].label == "Female");

  auto multi = parse_choices(json::parse(R"({"1001":[{"id":"3","choice":"Chess"}]})"),
                             "GET /field/choices", 1001);
  REQUIRE(multi);
  REQUIRE(multi->size() == 1);
  CHECK((*multi)[0].id == "3");
  CHECK((*multi)[0].label == "Chess");
  // An array is taken as the field's list too.
  CHECK(parse_choices(json::parse(R"([{"id":"3","choice":"Chess"}])"), "GET", 1001));

  auto missing = parse_choices(json::parse(R"({"1002":[]})"), "GET /field/choices", 1001);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == emsync::Errc::protocol_error);
  CHECK_THAT(missing.error().message, Catch::Contains("no choices for field 1001"));
  CHECK_FALSE(parse_choices(json::parse(R"([{"choice":"No id"}])"), "GET /field/5/choice"));
  CHECK_FALSE(parse_choices(json::parse(R"({"id":"1"})"), "GET /field/5/choice"));
}
