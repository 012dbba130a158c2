#include <catch2/catch.hpp>

#include "sync/field_plan.hpp"

using emsync::Errc;
using emsync::config::Activation;
using emsync::emarsys::Field;
using emsync::source::Column;
using emsync::source::ColumnType;
using emsync::sync::FieldType;
using emsync::sync::missing_custom_fields;
using emsync::sync::plan_fields;

namespace {

const std::vector<Field> k_fields = {
    {1, "First Name", "first_name", "shorttext"}, {3, "E-Mail", "email", "longtext"},
    {4, "Date of Birth", "birth_date", "birthdate"}, {11, "City", "city", "shorttext"},
    {27, "Avg. length of visit", "average_visit_duration", "special"},
    {31, "Opt-In", "optin", "special"}, {500, "Region", "", "shorttext"},
    {501, "region", "", "longtext"}, {1000, "tier", "", "longtext"},
};

Activation activation(std::vector<emsync::config::FieldMapping> fields,
                      std::vector<emsync::config::CustomAttribute> custom = {}) {
  Activation a;
  a.name = "crm";
  a.fields = std::move(fields);
  a.custom_attributes = std::move(custom);
  return a;
}

// Mapped columns of these types, unnamed and of no declared length.
std::vector<Column> typed(std::initializer_list<ColumnType> types) {
  std::vector<Column> out;
  for (const ColumnType type : types) {
    out.push_back({"", type, std::nullopt});
  }
  return out;
}

}  // namespace

TEST_CASE("fields map by id, by string_id and by name, case-insensitively", "[sync][plan]") {
  auto a = activation({{"fname", std::int64_t{1}}, {"town", std::string("CITY")},
                       {"born", std::string("date of birth")}, {"opt", std::int64_t{31}}},
                      {{"tier", std::nullopt}});
  const auto types = typed({ColumnType::text, ColumnType::text, ColumnType::date,
                            ColumnType::boolean, ColumnType::text});
  auto plan = plan_fields(a, types, k_fields);
  REQUIRE(plan);
  REQUIRE(plan->size() == 5);
  CHECK((*plan)[0].field_id == 1);
  CHECK((*plan)[0].state_key == "fname>1");
  CHECK((*plan)[1].field_id == 11);
  CHECK((*plan)[2].field_id == 4);
  CHECK((*plan)[2].type == FieldType::date);
  CHECK((*plan)[3].type == FieldType::optin);
  CHECK((*plan)[3].column_type == ColumnType::boolean);
  CHECK((*plan)[4].field_id == 1000);
}

TEST_CASE("unknown, ambiguous, key and read-only fields are errors naming the column",
          "[sync][plan]") {
  const auto one = typed({ColumnType::text});
  auto unknown = plan_fields(activation({{"c", std::string("nope")}}), one, k_fields);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::invalid_input);
  CHECK_THAT(unknown.error().message, Catch::Contains("column 'c'") && Catch::Contains("'nope'"));

  auto missing_id = plan_fields(activation({{"c", std::int64_t{999}}}), one, k_fields);
  REQUIRE_FALSE(missing_id);
  CHECK_THAT(missing_id.error().message, Catch::Contains("no field with id 999"));

  auto ambiguous = plan_fields(activation({{"c", std::string("region")}}), one, k_fields);
  REQUIRE_FALSE(ambiguous);
  CHECK_THAT(ambiguous.error().message, Catch::Contains("ambiguous"));

  auto key = plan_fields(activation({{"c", std::string("email")}}), one, k_fields);
  REQUIRE_FALSE(key);
  CHECK_THAT(key.error().message, Catch::Contains("contact key"));

  auto special = plan_fields(activation({{"c", std::int64_t{27}}}), one, k_fields);
  REQUIRE_FALSE(special);
  CHECK_THAT(special.error().message, Catch::Contains("cannot write"));
}

TEST_CASE("missing custom fields are created with the column's type or the override",
          "[sync][plan]") {
  auto a = activation({{"fname", std::int64_t{1}}},
                      {{"tier", std::nullopt}, {"ltv", std::nullopt}, {"note", "largetext"},
                       {"since", std::nullopt}, {"vip", std::nullopt}, {"code", std::nullopt},
                       {"bio", std::nullopt}, {"short_note", "shorttext"}});
  const std::vector<Column> columns = {
      {"fname", ColumnType::text, std::nullopt},      {"tier", ColumnType::text, std::nullopt},
      {"ltv", ColumnType::numeric, std::nullopt},     {"note", ColumnType::text, 100},
      {"since", ColumnType::timestamp, std::nullopt}, {"vip", ColumnType::boolean, std::nullopt},
      {"code", ColumnType::text, 255},  {"bio", ColumnType::text, 256},
      {"short_note", ColumnType::text, std::nullopt}};
  auto missing = missing_custom_fields(a, columns, k_fields);
  REQUIRE(missing.size() == 7);  // tier exists already
  CHECK(missing[0].name == "ltv");
  CHECK(missing[0].application_type == "numeric");
  CHECK(missing[1].name == "note");
  CHECK(missing[1].application_type == "largetext");  // the attribute's type wins
  CHECK(missing[2].application_type == "date");
  CHECK(missing[3].application_type == "numeric");
  CHECK(missing[4].application_type == "longtext");   // varchar(255)
  CHECK(missing[5].application_type == "largetext");  // varchar(256)
  CHECK(missing[6].application_type == "shorttext");  // the attribute's type wins
}

TEST_CASE("choice fields are planned with their name and the activation's on_value_too_long",
          "[sync][plan]") {
  auto a = activation({{"country", std::int64_t{14}}, {"hobbies", std::string("Hobbies")}});
  a.on_value_too_long = emsync::config::OnValueTooLong::skip_field;
  const std::vector<Field> fields = {{14, "Country or region", "country", "singlechoice"},
                                     {1001, "Hobbies", "", "multichoice"}};
  auto plan = plan_fields(a, typed({ColumnType::text, ColumnType::text}), fields);
  REQUIRE(plan);
  REQUIRE(plan->size() == 2);
  CHECK((*plan)[0].type == FieldType::singlechoice);
  CHECK((*plan)[0].field_name == "Country or region");
  CHECK((*plan)[1].type == FieldType::multichoice);
  CHECK((*plan)[1].on_value_too_long == emsync::config::OnValueTooLong::skip_field);
  CHECK_FALSE((*plan)[1].choices);  // read by the run
}
