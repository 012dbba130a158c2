#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "sync/convert.hpp"
#include "sync/diff.hpp"
#include "sync/row_digest.hpp"

using emsync::store::ContactState;
using emsync::sync::FieldValues;
using emsync::sync::k_clear_value;
using emsync::sync::MappedValue;

namespace {

// A stand-in for the digest of the row the values come from (row_digest.hpp):
// the same values give the same digest.
std::uint64_t digest_of(const std::vector<MappedValue>& values) {
  std::uint64_t digest = 1;
  for (const MappedValue& value : values) {
    digest = emsync::hash64_seeded(value.state_key, digest);
    digest = value.json ? emsync::hash64_seeded(*value.json, digest) : emsync::hash_combine(digest, 0);
  }
  return digest;
}

emsync::sync::ContactChange diff_contact(const std::vector<MappedValue>& values,
                                         const std::optional<ContactState>& stored, bool full) {
  return emsync::sync::diff_contact(values, stored, full, digest_of(values));
}

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

TEST_CASE("the stored contact hash is the row's digest", "[sync][diff]") {
  const auto change = emsync::sync::diff_contact(contact(), std::nullopt, false, 42);
  CHECK(change.new_state.contact_hash == 42);
  CHECK_FALSE(change.refresh);
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

TEST_CASE("a row whose digest changed but whose values did not is stored again, not sent",
          "[sync][diff]") {
  ContactState stored = as_stored(synced(contact()));
  stored.acknowledged_by_run = 7;
  // Another spelling of the same values, new conversion rules: another digest.
  const auto change = emsync::sync::diff_contact(contact(), stored, false, digest_of(contact()) + 1);
  CHECK(change.unchanged);
  CHECK(change.refresh);
  CHECK(change.changed.empty());
  CHECK(change.new_state.contact_hash == digest_of(contact()) + 1);
  CHECK(change.new_state.acknowledged_by_run == 7);
  REQUIRE(change.new_state.fields.size() == 2);
  CHECK(change.new_state.fields[0].key == "city>11");
  CHECK(emsync::store::stored_field_hash(change.new_state.fields[0].hash) ==
        stored.fields[0].hash);

  // The same digest: unchanged, nothing to store.
  const auto again = diff_contact(contact(), stored, false);
  CHECK(again.unchanged);
  CHECK_FALSE(again.refresh);
}

TEST_CASE("a changed value whose field hash collides in 32 bits is missed, and stored",
          "[sync][diff]") {
  auto values = contact();
  values[2].json = R"("Bergen")";
  // As if "Bergen" and "Oslo" had the same low 32 bits (about 1 in 4
  // billion): the stored field hashes are the new value's, the digest the old row's.
  ContactState stored = as_stored(synced(values));
  stored.contact_hash = digest_of(contact());
  const auto change = diff_contact(values, stored, false);
  CHECK(change.unchanged);
  CHECK(change.refresh);
  CHECK(change.new_state.contact_hash == digest_of(values));
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
  CHECK(change.refresh);
  CHECK(change.changed.empty());
  REQUIRE(change.new_state.fields.size() == 1);
  CHECK(change.new_state.fields[0].key == "first_name>1");
  CHECK(change.new_state.contact_hash != synced(contact()).contact_hash);
}

TEST_CASE("a contact with only NULLs sends nothing, first time or not", "[sync][diff]") {
  const std::vector<MappedValue> values = {{"first_name>1", "1", std::nullopt}};
  const auto first = diff_contact(values, std::nullopt, false);
  CHECK(first.unchanged);
  CHECK_FALSE(first.refresh);  // not stored: nothing to store again either
  CHECK(first.full.empty());
  CHECK(first.new_state.fields.empty());
  CHECK(diff_contact(values, first.new_state, false).unchanged);
}
