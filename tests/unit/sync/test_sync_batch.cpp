#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sync/batch.hpp"

using emsync::sync::BatchBuilder;
using emsync::sync::contact_json;
using emsync::sync::k_max_batch_bytes;
using emsync::sync::k_max_batch_contacts;

TEST_CASE("contact_json escapes the email and inserts field values verbatim", "[sync][batch]") {
  CHECK(contact_json("a@x.com", {}) == R"({"3":"a@x.com"})");
  CHECK(contact_json("a\"b@x.com", {{"1", R"("Ann")"}, {"31", "1"}, {"2", R"("")"}}) ==
        R"({"3":"a\"b@x.com","1":"Ann","31":1,"2":""})");
}

TEST_CASE("take_json returns the array and the keys, and resets the builder", "[sync][batch]") {
  BatchBuilder builder;
  REQUIRE(builder.empty());
  builder.add("a@x.com", R"({"3":"a@x.com"})");
  builder.add("b@x.com", R"({"3":"b@x.com","1":"Bo"})");
  CHECK(builder.size() == 2);
  CHECK(builder.keys() == std::vector<std::string>{"a@x.com", "b@x.com"});

  std::vector<std::string> keys;
  CHECK(builder.take_json(keys) == R"([{"3":"a@x.com"},{"3":"b@x.com","1":"Bo"}])");
  CHECK(keys == std::vector<std::string>{"a@x.com", "b@x.com"});
  CHECK(builder.empty());

  builder.add("c@x.com", R"({"3":"c@x.com"})");
  CHECK(builder.take_json(keys) == R"([{"3":"c@x.com"}])");
  CHECK(keys == std::vector<std::string>{"c@x.com"});
}

TEST_CASE("a batch holds at most 1000 contacts", "[sync][batch]") {
  BatchBuilder builder;
  const std::string contact = R"({"3":"a@x.com"})";
  for (std::size_t i = 0; i < k_max_batch_contacts; ++i) {
    REQUIRE(builder.fits(contact));
    builder.add("k" + std::to_string(i), contact);
  }
  CHECK_FALSE(builder.fits(contact));
  std::vector<std::string> keys;
  (void)builder.take_json(keys);
  CHECK(keys.size() == k_max_batch_contacts);
  CHECK(builder.fits(contact));
}

TEST_CASE("a batch stays under 8 MB including room for the envelope", "[sync][batch]") {
  BatchBuilder builder;
  const std::string big(1024 * 1024, 'x');  // ~1 MB per contact
  const std::string contact = R"({"3":"a@x.com","1":")" + big + R"("})";
  std::size_t added = 0;
  while (builder.fits(contact)) {
    builder.add("k" + std::to_string(added++), contact);
  }
  CHECK(added == 7);  // an eighth would pass 8 MB with the envelope
  std::vector<std::string> keys;
  const std::string json = builder.take_json(keys);
  CHECK(json.size() + 256 <= k_max_batch_bytes);
  CHECK(keys.size() == 7);
}

TEST_CASE("the byte bound counts brackets, commas and the envelope reserve", "[sync][batch]") {
  // max 300 bytes: 44 bytes for the array, 256 for the envelope.
  BatchBuilder builder(1000, 300);
  const std::string twenty(20, 'c');
  builder.add("a", twenty);
  CHECK(builder.fits(twenty));               // [20,20] = 43 bytes
  CHECK(builder.fits(twenty + "c"));         // 44 bytes
  CHECK_FALSE(builder.fits(twenty + "cc"));  // 45 bytes
}

TEST_CASE("an empty builder accepts one contact up to the byte bound, not beyond",
          "[sync][batch]") {
  BatchBuilder builder(1000, 300);
  CHECK(builder.fits(std::string(300, 'c')));
  CHECK_FALSE(builder.fits(std::string(301, 'c')));
}
