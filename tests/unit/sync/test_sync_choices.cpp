// Field values Emarsys users map every day: choice labels and ids, multi-choice
// lists, and values too long for their field (on_value_too_long).
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "sync/choices.hpp"
#include "sync/diff.hpp"
#include "sync/field_plan.hpp"
#include "sync/row_digest.hpp"
#include "sync/utf8.hpp"

namespace es = emsync::sync;
using emsync::Errc;
using emsync::source::ColumnType;
using emsync::source::Value;
using es::ChoiceTable;
using es::FieldType;

namespace {

const ChoiceTable& countries() {
  static const ChoiceTable table(14, "Country or region",
                                 {{"1", "Afghanistan"},
                                  {"65", "Germany"},
                                  {"72", "France"},
                                  {"184", "United Kingdom"},
                                  {"185", "États-Unis"},
                                  {"300", "7"}});
  return table;
}

const ChoiceTable& interests() {
  static const ChoiceTable table(1001, "Interests", {{"1", "Cooking"}, {"2", "Hiking trips"},
                                                     {"3", "Chess"}, {"10", "Sailing"}});
  return table;
}

std::string single(const Value& value, ColumnType type = ColumnType::text) {
  auto json = es::convert_single_choice(value, type, countries(), "country");
  REQUIRE(json);
  REQUIRE(json->has_value());
  return **json;
}

emsync::Error single_error(const Value& value, ColumnType type = ColumnType::text) {
  auto json = es::convert_single_choice(value, type, countries(), "country");
  REQUIRE_FALSE(json);
  return json.error();
}

std::optional<std::string> multi(const Value& value, ColumnType type = ColumnType::text) {
  auto json = es::convert_multi_choice(value, type, interests(), "hobbies");
  REQUIRE(json);
  return *json;
}

emsync::Error multi_error(const Value& value) {
  auto json = es::convert_multi_choice(value, ColumnType::text, interests(), "hobbies");
  REQUIRE_FALSE(json);
  return json.error();
}

es::PlannedField planned(FieldType type, emsync::config::OnValueTooLong policy) {
  return es::PlannedField{.column = "note",
                          .column_type = ColumnType::text,
                          .field_id = 1002,
                          .type = type,
                          .state_key = "note>1002",
                          .field_name = "Note",
                          .on_value_too_long = policy,
                          .choices = nullptr};
}

}  // namespace

TEST_CASE("single choice: a label becomes its choice id, case and blanks ignored",
          "[sync][choices]") {
  CHECK(single("France") == R"("72")");
  CHECK(single("france") == R"("72")");
  CHECK(single("  FRANCE \t") == R"("72")");
  CHECK(single("united kingdom") == R"("184")");
  CHECK(single("ÉTATS-UNIS") == R"("185")");  // Latin-1 letters fold too
  CHECK(single("états-unis") == R"("185")");
}

TEST_CASE("single choice: a choice id still works, as an integer or as text", "[sync][choices]") {
  CHECK(single("65", ColumnType::integer) == R"("65")");
  CHECK(single("65") == R"("65")");
  CHECK(single(" 065 ") == R"("65")");
  CHECK(single("65.0", ColumnType::numeric) == R"("65")");
  // An id wins over a label that reads like one; the label still matches
  // when no choice has it as id.
  CHECK(single("1") == R"("1")");
  CHECK(single("7") == R"("300")");
  CHECK_FALSE(*es::convert_single_choice(std::nullopt, ColumnType::text, countries(), "country"));
}

TEST_CASE("single choice: an unknown label names the label, the field and a few choices",
          "[sync][choices]") {
  const auto error = single_error("Frankreich");
  CHECK(error.code == Errc::not_found);
  CHECK_THAT(error.message, Catch::StartsWith("column 'country': \"Frankreich\" is no choice of "
                                              "Emarsys field 14 'Country or region'"));
  CHECK_THAT(error.message, Catch::Contains("\"Afghanistan\", \"Germany\", \"France\", "
                                            "\"United Kingdom\", \"États-Unis\", ... (6 in all)"));
  CHECK(single_error("999", ColumnType::integer).code == Errc::not_found);
  CHECK(single_error("").code == Errc::not_found);
  const auto boolean = single_error("true", ColumnType::boolean);
  CHECK(boolean.code == Errc::invalid_input);
  CHECK_THAT(boolean.message, Catch::Contains("boolean values cannot be sent"));
  const ChoiceTable none(7, "Children", {});
  auto empty = es::convert_single_choice("2", ColumnType::integer, none, "kids");
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error().message, Catch::Contains("it has no choices"));
}

TEST_CASE("multi choice: lists are read in each accepted text form", "[sync][choices]") {
  using List = std::vector<std::string>;
  CHECK(es::choice_list_elements("{Cooking,\"Hiking trips\"}") == List{"Cooking", "Hiking trips"});
  CHECK(es::choice_list_elements(R"({"say \"hi\"",NULL,"NULL", b\\c , null })") ==
        List{"say \"hi\"", "NULL", "b\\c"});
  CHECK(es::choice_list_elements("{}") == List{});
  CHECK(es::choice_list_elements(R"(["Cooking", 3, null])") == List{"Cooking", "3"});
  CHECK(es::choice_list_elements("Cooking; Hiking trips;") == List{"Cooking", " Hiking trips", ""});
  CHECK(es::choice_list_elements("Chess") == List{"Chess"});
  CHECK_FALSE(es::choice_list_elements("{a,\"b}"));
  CHECK_FALSE(es::choice_list_elements("{{a},{b}}"));
  CHECK_FALSE(es::choice_list_elements(R"(["a", ["b"]])"));
  CHECK_FALSE(es::choice_list_elements(R"(["a", 1.5])"));
  CHECK_FALSE(es::choice_list_elements(R"([true])"));
}

TEST_CASE("multi choice: labels and ids become a sorted array of choice ids", "[sync][choices]") {
  CHECK(multi("{Sailing,\"hiking TRIPS\"}") == R"(["2","10"])");
  CHECK(multi(R"(["chess", 1, "Cooking"])") == R"(["1","3"])");
  CHECK(multi("Sailing; cooking ;2") == R"(["1","2","10"])");
  CHECK(multi("Chess") == R"(["3"])");
  CHECK(multi("3", ColumnType::integer) == R"(["3"])");
  // An empty list is NULL: Emarsys refuses [].
  CHECK_FALSE(multi("{}"));
  CHECK_FALSE(multi("[]"));
  CHECK_FALSE(multi(" ; "));
  CHECK_FALSE(multi(std::nullopt));
}

TEST_CASE("multi choice: an unknown element or an unreadable list rejects the row",
          "[sync][choices]") {
  const auto unknown = multi_error("{Cooking,Knitting}");
  CHECK(unknown.code == Errc::not_found);
  CHECK_THAT(unknown.message,
             Catch::StartsWith("column 'hobbies': \"Knitting\" is no choice of Emarsys field "
                               "1001 'Interests' (its choices: \"Cooking\""));
  const auto malformed = multi_error("{Cooking,\"Hiking}");
  CHECK(malformed.code == Errc::invalid_input);
  CHECK_THAT(malformed.message, Catch::Contains("is not a list of choices"));
}

TEST_CASE("fold_case folds ASCII, Latin-1, Greek and Cyrillic capitals", "[sync][choices]") {
  CHECK(es::fold_case("ÀÉÎÕÜ Ø×Þ") == "àéîõü ø×þ");
  CHECK(es::fold_case("ΑΒΓ ΣΩ") == "αβγ σω");
  CHECK(es::fold_case("МОСКВА Ёж") == "москва ёж");
  CHECK(es::fold_case("ß İ") == "ß İ");
  CHECK(es::fold_case("a\xff" "B") == "a\xff" "b");  // bytes that are not UTF-8 are kept
}

TEST_CASE("convert_field: a too long value is rejected or skipped as the activation says",
          "[sync][choices]") {
  using emsync::config::OnValueTooLong;
  const std::string long_text(256, 'x');
  auto rejected = es::convert_field(long_text, planned(FieldType::longtext,
                                                       OnValueTooLong::reject_row));
  REQUIRE_FALSE(rejected);
  CHECK_THAT(rejected.error().message, Catch::Contains("the Emarsys longtext field allows 255"));

  auto skipped = es::convert_field(long_text, planned(FieldType::longtext,
                                                      OnValueTooLong::skip_field));
  REQUIRE(skipped);
  CHECK(skipped->skipped);
  CHECK_FALSE(skipped->json);

  auto fits = es::convert_field(std::string(255, 'x'),
                                planned(FieldType::longtext, OnValueTooLong::skip_field));
  REQUIRE(fits);
  CHECK_FALSE(fits->skipped);
  CHECK(fits->json == '"' + std::string(255, 'x') + '"');
  auto short_field = es::convert_field(std::string(61, 'x'),
                                       planned(FieldType::shorttext, OnValueTooLong::skip_field));
  REQUIRE(short_field);
  CHECK(short_field->skipped);
  auto large = es::convert_field(std::string(100000, 'x'),
                                 planned(FieldType::largetext, OnValueTooLong::skip_field));
  REQUIRE(large);
  CHECK_FALSE(large->skipped);
  // Other problems still reject the row under skip_field.
  auto numeric = es::convert_field(std::string("abc"),
                                   planned(FieldType::numeric, OnValueTooLong::skip_field));
  CHECK_FALSE(numeric);
}

TEST_CASE("convert_field: choice fields use their choices", "[sync][choices]") {
  using emsync::config::OnValueTooLong;
  auto field = planned(FieldType::singlechoice, OnValueTooLong::reject_row);
  auto missing = es::convert_field(std::string("France"), field);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("were not read"));
  field.choices = std::make_shared<const ChoiceTable>(countries());
  auto converted = es::convert_field(std::string("France"), field);
  REQUIRE(converted);
  CHECK(converted->json == R"("72")");
}

TEST_CASE("skipped values give one warning per field", "[sync][choices]") {
  using emsync::config::OnValueTooLong;
  const std::vector<es::PlannedField> plan = {
      planned(FieldType::longtext, OnValueTooLong::skip_field),
      planned(FieldType::shorttext, OnValueTooLong::skip_field)};
  CHECK(es::skipped_value_warnings(plan, {0, 0}).empty());
  const auto warnings = es::skipped_value_warnings(plan, {3, 0});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "3 values of column 'note' were longer than Emarsys field 1002 'Note' (longtext) allows "
        "(255 characters) and left out (on_value_too_long: skip_field)");
}

TEST_CASE("diff: a skipped value is neither sent nor cleared and keeps its stored hash",
          "[sync][choices]") {
  const es::MappedValue name{"name>1", "1", std::string(R"("Ann")")};
  es::MappedValue note{"note>1002", "1002", std::nullopt};
  note.skipped = true;
  // A new contact: the skipped field is left out, no hash stored for it.
  auto fresh = es::diff_contact({name, note}, std::nullopt, false, 1);
  REQUIRE(fresh.changed.size() == 1);
  CHECK(fresh.changed[0].first == "1");
  CHECK(fresh.new_state.fields.size() == 1);
  CHECK_FALSE(fresh.clears_field);

  // A known contact whose note emsync sent before: the note's hash stays, so
  // nothing changed and nothing is cleared.
  const es::MappedValue short_note{"note>1002", "1002", std::string(R"("short")")};
  const auto stored = es::diff_contact({name, short_note}, std::nullopt, false, 2).new_state;
  auto again = es::diff_contact({name, note}, stored, false, 3);
  CHECK(again.unchanged);
  CHECK(again.new_state.fields == stored.fields);
  // Stored under a hash that no row's digest is, so that the row is
  // converted (and its left-out value counted) again on each run; and that
  // run finds it unchanged, with nothing to store.
  REQUIRE(again.refresh);
  CHECK(again.new_state.contact_hash == es::digest_with_skipped_values(3));
  CHECK(again.new_state.contact_hash != 3);
  const auto third = es::diff_contact({name, note}, again.new_state, false, 3);
  CHECK(third.unchanged);
  CHECK_FALSE(third.refresh);
  // Under --full the other fields are sent, the skipped one still is not.
  auto full = es::diff_contact({name, note}, stored, true, 3);
  REQUIRE(full.changed.size() == 1);
  CHECK(full.changed[0].first == "1");
}

TEST_CASE("diff: a multi-choice field is cleared with null", "[sync][choices]") {
  const es::MappedValue set{"hobbies>1001", "1001", std::string(R"(["1","3"])"), false,
                            es::clear_value(FieldType::multichoice)};
  const auto stored = es::diff_contact({set}, std::nullopt, false, 1).new_state;
  const es::MappedValue cleared{"hobbies>1001", "1001", std::nullopt, false,
                                es::clear_value(FieldType::multichoice)};
  auto change = es::diff_contact({cleared}, stored, false, 2);
  REQUIRE(change.changed.size() == 1);
  CHECK(change.changed[0].second == "null");
  CHECK(change.clears_field);
}
