#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "config/activation.hpp"
#include "schedule/schedule.hpp"

using emsync::Errc;
using emsync::config::Activation;
using emsync::config::check_references;
using emsync::config::Config;
using emsync::config::FieldRef;
using emsync::config::parse_activation;
using emsync::config::parse_activations;
using emsync::config::to_json;

namespace {

const char* const k_full_activation = R"({
  "name": "crm-contacts", "source": "warehouse", "destination": "emarsys",
  "query": "SELECT email, first_name, tier, note FROM crm.customers",
  "email_column": "mail",
  "fields": {"first_name": 1, "city": "city", "email": 3},
  "custom_attributes": ["tier", {"column": "note", "type": "largetext"}],
  "insert_new_contacts": true,
  "schedule": "weekly mon 07:00",
  "timezone": "Europe/Paris",
  "max_clear_percent": 25,
  "max_rejected_percent": 0.5,
  "on_value_too_long": "skip_field"
})";

// A minimal valid activation named `name` with `extra` members appended.
std::string activation(const std::string& name, const std::string& extra = "") {
  return R"({"name": ")" + name +
         R"(", "source": "warehouse", "destination": "emarsys", "query": "SELECT 1")" + extra + "}";
}

std::string error_of(const std::string& text) {
  const auto activations = parse_activations(text);
  REQUIRE_FALSE(activations);
  CHECK(activations.error().code == Errc::invalid_input);
  return activations.error().message;
}

}  // namespace

// What the schedule module says of an invalid schedule.
static std::string schedule_error(const char* text) {
  return emsync::schedule::parse_schedule(text).error().message;
}

TEST_CASE("parses a full activation, keeping the field order", "[config][activation]") {
  const auto parsed = parse_activations(k_full_activation);
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 1);
  const Activation& a = parsed->front();
  CHECK(a.name == "crm-contacts");
  CHECK(a.source == "warehouse");
  CHECK(a.destination == "emarsys");
  CHECK(a.query == "SELECT email, first_name, tier, note FROM crm.customers");
  CHECK(a.email_column == "mail");
  REQUIRE(a.fields.size() == 3);
  CHECK(a.fields[0].column == "first_name");
  CHECK(a.fields[0].field == FieldRef(std::int64_t{1}));
  CHECK(a.fields[1].column == "city");
  CHECK(a.fields[1].field == FieldRef(std::string("city")));
  CHECK(a.fields[2].column == "email");  // allowed: the email column is "mail"
  REQUIRE(a.custom_attributes.size() == 2);
  CHECK(a.custom_attributes[0].column == "tier");
  CHECK_FALSE(a.custom_attributes[0].type);
  CHECK(a.custom_attributes[1].column == "note");
  CHECK(a.custom_attributes[1].type == "largetext");
  CHECK(a.insert_new_contacts);
  CHECK(a.schedule == "weekly mon 07:00");
  CHECK(a.timezone == "Europe/Paris");
  CHECK(a.max_clear_percent == 25);
  CHECK(a.max_rejected_percent == 0.5);
}

TEST_CASE("fills in activation defaults", "[config][activation]") {
  const auto parsed = parse_activation(nlohmann::json::parse(activation("a")));
  REQUIRE(parsed);
  CHECK(parsed->email_column == "email");
  CHECK(parsed->fields.empty());
  CHECK(parsed->custom_attributes.empty());
  CHECK_FALSE(parsed->insert_new_contacts);
  CHECK(parsed->schedule == "manual");
  CHECK(parsed->timezone == "UTC");
  CHECK(parsed->max_rejected_percent == 5);
}

TEST_CASE("to_json gives the canonical form, which parses back to the same activation",
          "[config][activation]") {
  const auto parsed = parse_activations(k_full_activation);
  REQUIRE(parsed);
  const nlohmann::json json = to_json(parsed->front());
  CHECK(json == nlohmann::json::parse(k_full_activation));

  const auto again = parse_activation(json);
  REQUIRE(again);
  CHECK(to_json(*again) == json);

  const auto defaults = parse_activation(nlohmann::json::parse(activation("a")));
  REQUIRE(defaults);
  CHECK(to_json(*defaults) == nlohmann::json::parse(R"({
    "name": "a", "source": "warehouse", "destination": "emarsys", "query": "SELECT 1",
    "email_column": "email", "fields": {}, "custom_attributes": [],
    "insert_new_contacts": false, "schedule": "manual", "timezone": "UTC",
    "max_clear_percent": 10, "max_rejected_percent": 5,
    "on_value_too_long": "reject_row"})"));
  CHECK(defaults->on_value_too_long == emsync::config::OnValueTooLong::reject_row);
  CHECK(parsed->front().on_value_too_long == emsync::config::OnValueTooLong::skip_field);
}

TEST_CASE("rejects each kind of invalid activation with a message naming it",
          "[config][activation]") {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {activation("x", R"(, "feilds": {})"), "activation 'x': unknown key 'feilds'"},
      {R"({"name": "x", "source": "s", "destination": "d"})",
       "activation 'x': 'query' is required"},
      {R"({"source": "s", "destination": "d", "query": "q"})", "activation: 'name' is required"},
      {activation("bad name"),
       "activation: 'name' must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', '-'"},
      {activation(std::string(65, 'n')), "activation: 'name' must be 1 to 64 characters"},
      {activation("x", R"(, "fields": {"a": -1})"),
       "activation 'x': 'fields.a' must be a field id (an integer, 0 or more) or a field name"},
      {activation("x", R"(, "fields": {"a": ""})"),
       "activation 'x': 'fields.a' must be a field id"},
      {activation("x", R"(, "fields": {"a": 1.5})"),
       "activation 'x': 'fields.a' must be a field id"},
      {activation("x", R"(, "fields": [])"), "activation 'x': 'fields' must be a JSON object"},
      {activation("x", R"(, "custom_attributes": "tier")"),
       "activation 'x': 'custom_attributes' must be an array"},
      {activation("x", R"(, "custom_attributes": [7])"),
       R"(activation 'x': 'custom_attributes[0]' must be a column name or {"column": ..., "type": ...})"},
      {activation("x", R"(, "custom_attributes": [{"column": "a", "type": "blob"}])"),
       "activation 'x': 'custom_attributes[0].type' must be one of shorttext, longtext, "
       "largetext, url, numeric, date"},
      {activation("x", R"(, "custom_attributes": [{"type": "url"}])"),
       "activation 'x': 'custom_attributes[0].column' is required"},
      {activation("x", R"(, "custom_attributes": ["a", {"column": "b", "typ": "url"}])"),
       "activation 'x': unknown key 'custom_attributes[1].typ'"},
      {activation("x", R"(, "fields": {"city": 11}, "custom_attributes": ["city"])"),
       "activation 'x': column 'city' is mapped twice"},
      {activation("x", R"(, "fields": {"email": 3})"),
       "activation 'x': column 'email' is the email column; it cannot also be mapped to a field"},
      {activation("x", R"(, "email_column": "mail", "custom_attributes": ["mail"])"),
       "activation 'x': column 'mail' is the email column"},
      {activation("x", R"(, "schedule": "every 0m")"),
       "activation 'x': schedule 'every 0m': the interval must be at least 1 second"},
      {activation("x", R"(, "schedule": "daily 07:00", "timezone": "Mars/Olympus")"),
       "activation 'x': timezone 'Mars/Olympus' is not a known time zone: use an IANA name "
       "such as 'Europe/Paris'"},
      {activation("x", R"(, "timezone": "Mars/Olympus")"),
       "activation 'x': timezone 'Mars/Olympus' is not a known time zone"},
      {activation("x", R"(, "timezone": 1)"),
       "activation 'x': 'timezone' must be a non-empty string"},
      {activation("x", R"(, "on_value_too_long": "truncate")"),
       "activation 'x': 'on_value_too_long' must be 'reject_row' or 'skip_field'"},
      {activation("x", R"(, "max_clear_percent": 101)"),
       "activation 'x': 'max_clear_percent' must be a percentage from 0 to 100"},
      {activation("x", R"(, "max_clear_percent": -1)"), "activation 'x': 'max_clear_percent'"},
      {activation("x", R"(, "max_rejected_percent": 100.5)"),
       "activation 'x': 'max_rejected_percent' must be a percentage from 0 to 100, such as 5 "
       "or 0.5"},
      {activation("x", R"(, "max_rejected_percent": -0.1)"),
       "activation 'x': 'max_rejected_percent' must be a percentage"},
      {activation("x", R"(, "max_rejected_percent": "5%")"),
       "activation 'x': 'max_rejected_percent' must be a percentage"},
      {activation("x", R"(, "max_rejected_percnt": 5)"),
       "activation 'x': unknown key 'max_rejected_percnt'"},
      {activation("x", R"(, "insert_new_contacts": "yes")"),
       "activation 'x': 'insert_new_contacts' must be true or false"},
      {"42", "activations must be a JSON object or an array of JSON objects"},
      {"[42]", "activation #1 must be a JSON object"},
      {"{", "activations is not valid JSON: "},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK_THAT(error_of(c.text), Catch::StartsWith(c.message));
  }
  CHECK(error_of(R"({"name": "x", "source": "s", "destination": "d", "query": ""})") ==
        "activation 'x': 'query' must be a non-empty string");
}

TEST_CASE("reports every problem of an activation at once", "[config][activation]") {
  CHECK(error_of(R"({"name": "x", "source": 1, "feilds": {}, "schedule": "hourly"})") ==
        "activation 'x': 'source' must be a non-empty string\n"
        "activation 'x': 'destination' is required\n"
        "activation 'x': 'query' is required\n"
        "activation 'x': " + schedule_error("hourly") + "\n"
        "activation 'x': unknown key 'feilds'");
}

TEST_CASE("parses an array, validating every activation and unique names", "[config][activation]") {
  const auto parsed = parse_activations("[" + activation("a") + "," + activation("b") + "]");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[1].name == "b");
  CHECK(parse_activations("[]"));

  CHECK(error_of("[" + activation("a") + "," + activation("b") + "," + activation("a") + "]") ==
        "activation 'a' is defined more than once");
  CHECK(error_of("[" + activation("a", R"(, "x": 1)") + R"(, {"name": 5}, )" +
                 activation("c", R"(, "schedule": "daily")") + "]") ==
        "activation 'a': unknown key 'x'\n"
        "activation #2: 'name' must be a non-empty string\n"
        "activation #2: 'source' is required\n"
        "activation #2: 'destination' is required\n"
        "activation #2: 'query' is required\n"
        "activation 'c': " + schedule_error("daily"));
}

TEST_CASE("check_references requires the source and destination to be in the config",
          "[config][activation]") {
  Config config;
  config.sources["warehouse"] = {};
  config.destinations["emarsys"] = {};
  const auto parsed = parse_activation(nlohmann::json::parse(activation("a")));
  REQUIRE(parsed);
  CHECK(check_references(*parsed, config));

  Activation wrong = *parsed;
  wrong.source = "dw";
  wrong.destination = "prod";
  config.sources["demo"] = {};
  const auto result = check_references(wrong, config);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::not_found);
  CHECK(result.error().message ==
        "activation 'a': source 'dw' is not in the config (defined: demo, warehouse)\n"
        "activation 'a': destination 'prod' is not in the config (defined: emarsys)");

  const auto none = check_references(*parsed, Config{});
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message, Catch::Contains("(none are defined)"));
}

TEST_CASE("a valid schedule is kept as written", "[config][activation]") {
  const auto parsed = emsync::config::parse_activations(
      R"({"name": "x", "source": "s", "destination": "d", "query": "q", "schedule": "every 5m"})");
  REQUIRE(parsed);
  CHECK(parsed->front().schedule == "every 5m");
}

TEST_CASE("activations nested deeper than 64 levels are refused, not parsed",
          "[config][activation]") {
  const auto deep = [](std::size_t depth) {
    return R"([{"name":"crm","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}]";
  };
  // 64 deep with the array and the object: parsed, and the unknown key reported.
  auto unknown = parse_activations(deep(62));
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().message, Catch::Contains("unknown key 'x'"));
  for (const std::size_t depth : {std::size_t{63}, std::size_t{100'000}}) {
    auto refused = parse_activations(deep(depth));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK(refused.error().message ==
          "activations is not valid JSON: JSON nested deeper than 64 levels");
  }
  CHECK_THAT(parse_activations("[{]").error().message,
             Catch::StartsWith("activations is not valid JSON: parse error at line 1"));
  // One activation from a bounded admin request, as deep as it can be.
  auto from_request = parse_activation(nlohmann::json::parse(deep(62))[0]);
  REQUIRE_FALSE(from_request);
  CHECK_THAT(from_request.error().message, Catch::Contains("unknown key 'x'"));
}

TEST_CASE("an activation over 256 KiB written out is refused, so `show` always fits its reply",
          "[config][activation]") {
  const std::string near_limit = "SELECT 1 -- " + std::string(250 * 1024, 'x');
  CHECK(parse_activations(activation("big", "").replace(activation("big", "").find("SELECT 1"), 8,
                                                        near_limit)));
  const std::string over_limit = "SELECT 1 -- " + std::string(256 * 1024, 'x');
  const std::string message = error_of(
      activation("big", "").replace(activation("big", "").find("SELECT 1"), 8, over_limit));
  CHECK_THAT(message, Catch::Contains("activation 'big'") && Catch::Contains("over the limit of 262144"));
}

TEST_CASE("incremental reads: cursor column, lookback and full_every", "[config][activation]") {
  const auto parsed = parse_activations(activation(
      "inc", R"(, "incremental": {"cursor_column": "updated_at", "lookback": "2h",
                                  "full_every": "7d"})"));
  REQUIRE(parsed);
  const auto& incremental = parsed->at(0).incremental;
  REQUIRE(incremental);
  CHECK(incremental->cursor_column == "updated_at");
  CHECK(incremental->lookback_time == std::chrono::hours(2));
  CHECK_FALSE(incremental->lookback_count);
  CHECK(incremental->full_every == std::chrono::hours(24 * 7));
  // The canonical form keeps what was given and parses back to the same.
  const auto json = to_json(parsed->at(0));
  CHECK(json["incremental"] == nlohmann::json::parse(
                                   R"({"cursor_column": "updated_at", "lookback": "2h",
                                       "full_every": "7d"})"));
  CHECK(parse_activation(json)->incremental == incremental);

  // Defaults: lookback by the cursor's type (left unset), full_every 1d.
  const auto defaults =
      parse_activations(activation("d", R"(, "incremental": {"cursor_column": "version"})"));
  REQUIRE(defaults);
  CHECK_FALSE(defaults->at(0).incremental->lookback_time);
  CHECK_FALSE(defaults->at(0).incremental->lookback_count);
  CHECK(defaults->at(0).incremental->full_every == std::chrono::hours(24));
  CHECK(to_json(defaults->at(0))["incremental"] ==
        nlohmann::json::parse(R"({"cursor_column": "version", "full_every": "1d"})"));
  CHECK_FALSE(parse_activations(activation("a", "")).value().at(0).incremental);

  const auto counted = parse_activations(activation(
      "n", R"(, "incremental": {"cursor_column": "v", "lookback": 0, "full_every": "never"})"));
  REQUIRE(counted);
  CHECK(counted->at(0).incremental->lookback_count == 0);
  CHECK_FALSE(counted->at(0).incremental->full_every);
  CHECK(to_json(counted->at(0))["incremental"]["full_every"] == "never");
  CHECK(emsync::config::duration_text(std::chrono::seconds(90)) == "90s");
  CHECK(emsync::config::duration_text(std::chrono::seconds(0)) == "0s");
}

TEST_CASE("incremental reads: each bad value is named", "[config][activation]") {
  CHECK_THAT(error_of(activation("x", R"(, "incremental": {})")),
             Catch::Contains("'incremental.cursor_column' is required"));
  CHECK_THAT(error_of(activation("x", R"(, "incremental": "updated_at")")),
             Catch::Contains("'incremental' must be a JSON object"));
  CHECK_THAT(error_of(activation("x", R"(, "incremental": {"cursor_column": "u", "lookback": "15 min"})")),
             Catch::Contains("'incremental.lookback' must be a whole number followed by s, m, h or d"));
  CHECK_THAT(error_of(activation("x", R"(, "incremental": {"cursor_column": "u", "lookback": -1})")),
             Catch::Contains("'incremental.lookback' must be a duration"));
  CHECK_THAT(error_of(activation("x", R"(, "incremental": {"cursor_column": "u", "full_every": "0s"})")),
             Catch::Contains("'incremental.full_every' must be at least 1 second, or 'never'"));
  CHECK_THAT(error_of(activation("x", R"(, "incremental": {"cursor_column": "u", "every": "1d"})")),
             Catch::Contains("incremental.every"));
  CHECK_THAT(error_of(activation("x", R"(, "incremental": {"cursor_column": "email"})")),
             Catch::Contains("the cursor column cannot be the email column"));
}

TEST_CASE("a list activation names its list by name or id; its canonical form parses back",
          "[config][activation][list]") {
  const auto by_name = parse_activations(
      activation("vip", R"(, "mode": "list", "list": {"name": "VIP France"})"));
  REQUIRE(by_name);
  const Activation& a = by_name->front();
  CHECK(a.mode == emsync::config::Mode::list);
  REQUIRE(a.list);
  CHECK(std::get<std::string>(*a.list) == "VIP France");
  CHECK(a.max_remove_percent == 10);
  CHECK(emsync::config::describe(*a.list) == "name 'VIP France'");
  const nlohmann::json json = to_json(a);
  CHECK(json == nlohmann::json::parse(R"({
    "name": "vip", "mode": "list", "source": "warehouse", "destination": "emarsys",
    "query": "SELECT 1", "email_column": "email", "list": {"name": "VIP France"},
    "schedule": "manual", "timezone": "UTC", "max_remove_percent": 10,
    "max_rejected_percent": 5})"));
  const auto again = parse_activation(json);
  REQUIRE(again);
  CHECK(to_json(*again) == json);

  const auto by_id = parse_activations(activation(
      "vip", R"(, "mode": "list", "list": {"id": 123456}, "max_remove_percent": 0)"));
  REQUIRE(by_id);
  CHECK(std::get<std::int64_t>(*by_id->front().list) == 123456);
  CHECK(by_id->front().max_remove_percent == 0);
  CHECK(to_json(by_id->front())["list"] == nlohmann::json::parse(R"({"id": 123456})"));
  CHECK(emsync::config::describe(*by_id->front().list) == "id 123456");

  // A contacts activation's canonical form has no "mode" (as before list mode).
  const auto contacts = parse_activations(activation("c", R"(, "mode": "contacts")"));
  REQUIRE(contacts);
  CHECK(contacts->front().mode == emsync::config::Mode::contacts);
  CHECK_FALSE(to_json(contacts->front()).contains("mode"));
}

TEST_CASE("list mode refuses the keys of the contacts mode, and the contacts mode list keys",
          "[config][activation][list]") {
  const std::string list = R"(, "mode": "list", "list": {"name": "L"})";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {activation("x", list + R"(, "fields": {"a": 1})"),
       "activation 'x': 'fields' is not used with \"mode\": \"list\": a list activation writes "
       "no field"},
      {activation("x", list + R"(, "custom_attributes": ["a"])"),
       "activation 'x': 'custom_attributes' is not used with \"mode\": \"list\""},
      {activation("x", list + R"(, "insert_new_contacts": false)"),
       "activation 'x': 'insert_new_contacts' is not used with \"mode\": \"list\": a list "
       "activation never creates contacts"},
      {activation("x", list + R"(, "on_value_too_long": "skip_field")"),
       "activation 'x': 'on_value_too_long' is not used"},
      {activation("x", list + R"(, "max_clear_percent": 5)"),
       "activation 'x': 'max_clear_percent' is not used"},
      {activation("x", list + R"(, "incremental": {"cursor_column": "u"})"),
       "activation 'x': 'incremental' is not used with \"mode\": \"list\": only a full read"},
      {activation("x", R"(, "mode": "list")"), "activation 'x': 'list' is required"},
      {activation("x", R"(, "mode": "list", "list": {})"),
       "activation 'x': 'list' must hold exactly one of \"name\""},
      {activation("x", R"(, "mode": "list", "list": {"name": "L", "id": 4})"),
       "activation 'x': 'list' must hold exactly one of"},
      {activation("x", R"(, "mode": "list", "list": {"id": 0})"), "activation 'x': 'list.id'"},
      {activation("x", R"(, "mode": "list", "list": {"name": ""})"),
       "activation 'x': 'list.name' must be a non-empty string"},
      {activation("x", R"(, "mode": "list", "list": {"name": "L", "nme": "M"})"),
       "activation 'x': unknown key 'list.nme'"},
      {activation("x", list + R"(, "max_remove_percent": 101)"),
       "activation 'x': 'max_remove_percent' must be a percentage from 0 to 100"},
      {activation("x", R"(, "mode": "segment")"),
       "activation 'x': 'mode' must be 'contacts' or 'list'"},
      {activation("x", R"(, "list": {"name": "L"})"),
       "activation 'x': 'list' is only used with \"mode\": \"list\""},
      {activation("x", R"(, "max_remove_percent": 5)"),
       "activation 'x': 'max_remove_percent' is only used with \"mode\": \"list\""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK_THAT(error_of(c.text), Catch::StartsWith(c.message));
  }
}
