#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sync/row_digest.hpp"

namespace es = emsync::sync;
using emsync::source::ColumnType;
using emsync::source::Value;

namespace {

std::vector<es::PlannedField> plan() {
  es::PlannedField name;
  name.column = "first_name";
  name.field_id = 1;
  name.type = es::FieldType::shorttext;
  name.state_key = "first_name>1";
  es::PlannedField ltv;
  ltv.column = "ltv";
  ltv.column_type = ColumnType::numeric;
  ltv.field_id = 1001;
  ltv.type = es::FieldType::numeric;
  ltv.state_key = "ltv>1001";
  es::PlannedField tier;
  tier.column = "tier";
  tier.field_id = 1002;
  tier.type = es::FieldType::singlechoice;
  tier.state_key = "tier>1002";
  tier.choices = std::make_shared<es::ChoiceTable>(
      1002, "tier", std::vector<emsync::emarsys::Choice>{{"1", "gold"}, {"2", "silver"}});
  return {name, ltv, tier};
}

const std::vector<Value> k_row = {std::string("Ann"), std::string("12.50"), std::string("gold")};

}  // namespace

TEST_CASE("row digest: any change of a raw value changes it", "[sync][row_digest]") {
  const es::RowDigester digest(plan());
  const std::uint64_t original = digest(k_row);
  for (std::size_t column = 0; column < k_row.size(); ++column) {
    const std::string& value = *k_row[column];
    std::vector<Value> variants = {std::nullopt, std::string(), value + " ", " " + value,
                                   value.substr(1), std::string(value.size(), 'x')};
    std::string flipped = value;
    flipped[0] = static_cast<char>(flipped[0] ^ 1);
    variants.push_back(flipped);
    for (const Value& variant : variants) {
      auto row = k_row;
      row[column] = variant;
      INFO("column " << column << ", value " << variant.value_or("NULL"));
      CHECK(digest(row) != original);
    }
  }
}

TEST_CASE("row digest: NULL, empty and the borders between values are told apart",
          "[sync][row_digest]") {
  const es::RowDigester digest(plan());
  const std::vector<Value> null_first = {std::nullopt, std::string(), std::string("a")};
  const std::vector<Value> empty_first = {std::string(), std::nullopt, std::string("a")};
  CHECK(digest(null_first) != digest(empty_first));
  const std::vector<Value> ab_c = {std::string("ab"), std::string("c"), std::nullopt};
  const std::vector<Value> a_bc = {std::string("a"), std::string("bc"), std::nullopt};
  CHECK(digest(ab_c) != digest(a_bc));
  const std::vector<Value> swapped = {k_row[1], k_row[0], k_row[2]};
  CHECK(digest(swapped) != digest(k_row));
}

TEST_CASE("row digest: the whole row with the mapped columns' indexes gives the same digest",
          "[sync][row_digest]") {
  const es::RowDigester digest(plan());
  const std::vector<Value> row = {std::string("id-7"), k_row[2], std::string("ann@example.com"),
                                  k_row[0], k_row[1]};
  const std::vector<std::size_t> columns = {3, 4, 1};
  CHECK(digest(row, columns) == digest(k_row));
}

TEST_CASE("row digest: what the values convert to by is part of it", "[sync][row_digest]") {
  const std::uint64_t original = es::RowDigester(plan())(k_row);
  CHECK(es::RowDigester(plan())(k_row) == original);  // the same plan: the same digest
  CHECK(es::RowDigester(plan(), es::k_conversion_version + 1)(k_row) != original);

  std::vector<std::vector<es::PlannedField>> changed(7, plan());
  changed[0][0].column = "given_name";
  changed[1][1].column_type = ColumnType::text;
  changed[2][0].field_id = 2;
  changed[3][0].type = es::FieldType::longtext;
  changed[4][0].state_key = "first_name>2";
  changed[5][0].on_value_too_long = emsync::config::OnValueTooLong::skip_field;
  changed[6][2].choices = std::make_shared<es::ChoiceTable>(
      1002, "tier",
      std::vector<emsync::emarsys::Choice>{{"1", "gold"}, {"2", "silver"}, {"3", "bronze"}});
  for (std::size_t i = 0; i < changed.size(); ++i) {
    INFO("plan change " << i);
    CHECK(es::RowDigester(changed[i])(k_row) != original);
  }
}

TEST_CASE("row digest: stored in the state DB, so it never changes between releases",
          "[sync][row_digest]") {
  // A change of this value makes every stored contact look changed once (a
  // state write per contact, nothing sent): bump k_conversion_version on
  // purpose instead.
  CHECK(es::RowDigester(plan())(k_row) == 0x41796e2de7ad9915ull);
  CHECK(es::RowDigester({})({}) == 0x981b8bc2f1188002ull);
}

TEST_CASE("row digest: a contact with a value left out is never stored under a row's digest",
          "[sync][row_digest]") {
  const std::uint64_t digest = es::RowDigester(plan())(k_row);
  CHECK(es::digest_with_skipped_values(digest) != digest);
}
