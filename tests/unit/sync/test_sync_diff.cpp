#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "sync/convert.hpp"
#include "sync/diff.hpp"

using emsync::store::ContactState;
using emsync::sync::diff_contact;
using emsync::sync::FieldValues;
using emsync::sync::k_clear_value;
using emsync::sync::MappedValue;

namespace {

// first_name>1 = "Ann", last_name>2 = NULL, city>11 = "Oslo"
std::vector<MappedValue> contact() {
  return {{"first_name>1", "1", R"("Ann")"},
          {"last_name>2", "2", std::nullopt},
          {"city>11", "11", R"("Oslo")"}};
}

// The state a previous sync stored for `values`.
ContactState synced(const std::vector<MappedValue>& values) {
  return diff_contact(values, std::nullopt, false).new_state;
}

}  // namespace

TEST_CASE("a first sync sends every non-NULL field and never NULL", "[sync][diff]") {
  const auto change = diff_contact(contact(), std::nullopt, false);
  CHECK_FALSE(change.unchanged);
  CHECK(change.changed == FieldValues{{"1", R"("Ann")"}, {"11", R"("Oslo")"}});
  CHECK(change.full == change.changed);
}

TEST_CASE("the new state holds a hash per non-NULL field, sorted by key", "[sync][diff]") {
  const ContactState state = synced(contact());
  REQUIRE(state.fields.size() == 2);
  CHECK(state.fields[0].key == "city>11");
  CHECK(state.fields[0].hash == emsync::hash64(R"("Oslo")"));
  CHECK(state.fields[1].key == "first_name>1");
  CHECK(state.fields[1].hash == emsync::hash64(R"("Ann")"));
  CHECK(state.contact_hash != 0);
}

TEST_CASE("the contact hash depends on values and keys, not on mapping order", "[sync][diff]") {
  auto reordered = contact();
  std::swap(reordered[0], reordered[2]);
  CHECK(synced(reordered).contact_hash == synced(contact()).contact_hash);

  auto other_value = contact();
  other_value[0].json = R"("Bo")";
  CHECK(synced(other_value).contact_hash != synced(contact()).contact_hash);

  auto other_key = contact();
  other_key[0].state_key = "given_name>1";
  CHECK(synced(other_key).contact_hash != synced(contact()).contact_hash);
}

TEST_CASE("an unchanged contact sends nothing", "[sync][diff]") {
  const auto change = diff_contact(contact(), synced(contact()), false);
  CHECK(change.unchanged);
  CHECK(change.changed.empty());
  CHECK(change.new_state.contact_hash == synced(contact()).contact_hash);
}

TEST_CASE("only the changed field is sent", "[sync][diff]") {
  auto values = contact();
  values[2].json = R"("Bergen")";
  const auto change = diff_contact(values, synced(contact()), false);
  CHECK_FALSE(change.unchanged);
  CHECK(change.changed == FieldValues{{"11", R"("Bergen")"}});
  CHECK(change.full == FieldValues{{"1", R"("Ann")"}, {"11", R"("Bergen")"}});
}

// A state as the state DB gives it back: field hashes cut to 32 bits.
ContactState as_stored(ContactState state) {
  for (auto& field : state.fields) {
    field.hash = emsync::store::stored_field_hash(field.hash);
  }
  return state;
}

TEST_CASE("stored field hashes of 32 bits tell the changed field as the full ones did",
          "[sync][diff]") {
  const ContactState stored = as_stored(synced(contact()));
  CHECK(diff_contact(contact(), stored, false).unchanged);
  auto values = contact();
  values[2].json = R"("Bergen")";
  const auto change = diff_contact(values, stored, false);
  CHECK(change.changed == FieldValues{{"11", R"("Bergen")"}});
  // What is stored next is cut again by the state DB, not here.
  CHECK(change.new_state.fields[0].hash == emsync::hash64(R"("Bergen")"));
}

TEST_CASE("a changed contact whose field hashes all collide in 32 bits sends every value",
          "[sync][diff]") {
  auto values = contact();
  values[2].json = R"("Bergen")";
  // As if "Bergen" and "Oslo" had the same low 32 bits: the stored state
  // holds the new value's field hashes and the old contact hash.
  ContactState stored = as_stored(synced(values));
  stored.contact_hash = synced(contact()).contact_hash;
  const auto change = diff_contact(values, stored, false);
  CHECK_FALSE(change.unchanged);
  CHECK(change.changed == FieldValues{{"1", R"("Ann")"}, {"11", R"("Bergen")"}});
}

TEST_CASE("a field sent before and now NULL is cleared with an empty string", "[sync][diff]") {
  auto values = contact();
  values[2].json = std::nullopt;
  const auto change = diff_contact(values, synced(contact()), false);
  CHECK(change.changed == FieldValues{{"11", std::string(k_clear_value)}});
  CHECK(change.full == FieldValues{{"1", R"("Ann")"}});
  REQUIRE(change.new_state.fields.size() == 1);
  CHECK(change.new_state.fields[0].key == "first_name>1");
}

TEST_CASE("a NULL field never sent stays unsent", "[sync][diff]") {
  // last_name>2 was NULL at the first sync and still is.
  const auto change = diff_contact(contact(), synced(contact()), true);
  for (const auto& [field, value] : change.changed) {
    CHECK(field != "2");
  }
}

TEST_CASE("a full sync sends every non-NULL field even when unchanged", "[sync][diff]") {
  const auto change = diff_contact(contact(), synced(contact()), true);
  CHECK_FALSE(change.unchanged);
  CHECK(change.changed == FieldValues{{"1", R"("Ann")"}, {"11", R"("Oslo")"}});
}

TEST_CASE("a full sync still clears a field sent before and now NULL", "[sync][diff]") {
  auto values = contact();
  values[0].json = std::nullopt;
  const auto change = diff_contact(values, synced(contact()), true);
  CHECK(change.changed == FieldValues{{"1", std::string(k_clear_value)}, {"11", R"("Oslo")"}});
}

TEST_CASE("a newly mapped field is sent for known contacts", "[sync][diff]") {
  auto values = contact();
  values.push_back({"tier>900", "900", R"("gold")"});
  const auto change = diff_contact(values, synced(contact()), false);
  CHECK(change.changed == FieldValues{{"900", R"("gold")"}});
}

TEST_CASE("a newly mapped field that is NULL sends nothing", "[sync][diff]") {
  auto values = contact();
  values.push_back({"tier>900", "900", std::nullopt});
  const auto change = diff_contact(values, synced(contact()), false);
  CHECK(change.unchanged);
}

TEST_CASE("a removed mapping sends nothing and drops its hash", "[sync][diff]") {
  auto values = contact();
  values.erase(values.begin() + 2);  // city no longer mapped
  const auto change = diff_contact(values, synced(contact()), false);
  CHECK(change.unchanged);
  CHECK(change.changed.empty());
  REQUIRE(change.new_state.fields.size() == 1);
  CHECK(change.new_state.fields[0].key == "first_name>1");
  CHECK(change.new_state.contact_hash != synced(contact()).contact_hash);
}

TEST_CASE("a contact with only NULLs sends nothing, first time or not", "[sync][diff]") {
  const std::vector<MappedValue> values = {{"first_name>1", "1", std::nullopt}};
  const auto first = diff_contact(values, std::nullopt, false);
  CHECK(first.unchanged);
  CHECK(first.full.empty());
  CHECK(first.new_state.fields.empty());
  CHECK(diff_contact(values, first.new_state, false).unchanged);
}

TEST_CASE("ContactHasher gives the contact hash diff_contact stores, whatever the value order",
          "[sync]") {
  const auto values = contact();
  std::vector<std::string> keys;
  std::vector<std::optional<std::string>> json;
  for (const auto& value : values) {
    keys.push_back(value.state_key);
    json.push_back(value.json);
  }
  const emsync::sync::ContactHasher hasher(keys);
  CHECK(hasher(json) == synced(values).contact_hash);

  // A changed value, a value turned NULL: still the stored hash of that data.
  auto changed = values;
  changed[0].json = R"("Anna")";
  changed[2].json = std::nullopt;
  const std::vector<std::optional<std::string>> changed_json = {R"("Anna")", std::nullopt,
                                                                std::nullopt};
  CHECK(hasher(changed_json) == synced(changed).contact_hash);
  CHECK(hasher(changed_json) != hasher(json));
}
