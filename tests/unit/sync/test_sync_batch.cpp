#include <catch2/catch.hpp>
#include <string>

#include "sync/batch.hpp"

using emsync::sync::BatchBounds;
using emsync::sync::contact_json;
using emsync::sync::k_max_batch_bytes;
using emsync::sync::k_max_batch_contacts;

TEST_CASE("contact_json escapes the email and inserts field values verbatim", "[sync][batch]") {
  CHECK(contact_json("a@x.com", {}) == R"({"3":"a@x.com"})");
  CHECK(contact_json("a\"b@x.com", {{"1", R"("Ann")"}, {"31", "1"}, {"2", R"("")"}}) ==
        R"({"3":"a\"b@x.com","1":"Ann","31":1,"2":""})");
}

TEST_CASE("bounds count contacts and the bytes of their JSON array", "[sync][batch]") {
  BatchBounds bounds;
  REQUIRE(bounds.empty());
  CHECK(bounds.array_bytes() == 2);  // []
  bounds.add(R"({"3":"a@x.com"})");
  CHECK(bounds.array_bytes() == 17);  // [{"3":"a@x.com"}]
  bounds.add(R"({"3":"b@x.com","1":"Bo"})");
  CHECK(bounds.size() == 2);
  CHECK(bounds.array_bytes() ==
        std::string(R"([{"3":"a@x.com"},{"3":"b@x.com","1":"Bo"}])").size());
}

TEST_CASE("a batch holds at most 1000 contacts", "[sync][batch]") {
  BatchBounds bounds;
  const std::string contact = R"({"3":"a@x.com"})";
  for (std::size_t i = 0; i < k_max_batch_contacts; ++i) {
    REQUIRE(bounds.fits(contact));
    bounds.add(contact);
  }
  CHECK_FALSE(bounds.fits(contact));
  CHECK(bounds.size() == k_max_batch_contacts);
}

TEST_CASE("a batch stays under 8 MB including room for the envelope", "[sync][batch]") {
  BatchBounds bounds;
  const std::string big(1024 * 1024, 'x');  // ~1 MB per contact
  const std::string contact = R"({"3":"a@x.com","1":")" + big + R"("})";
  std::size_t added = 0;
  while (bounds.fits(contact)) {
    bounds.add(contact);
    ++added;
  }
  CHECK(added == 7);  // an eighth would pass 8 MB with the envelope
  CHECK(bounds.array_bytes() + 256 <= k_max_batch_bytes);
}

TEST_CASE("the byte bound counts brackets, commas and the envelope reserve", "[sync][batch]") {
  // max 300 bytes: 44 bytes for the array, 256 for the envelope.
  BatchBounds bounds(1000, 300);
  const std::string twenty(20, 'c');
  bounds.add(twenty);
  CHECK(bounds.fits(twenty));               // [20,20] = 43 bytes
  CHECK(bounds.fits(twenty + "c"));         // 44 bytes
  CHECK_FALSE(bounds.fits(twenty + "cc"));  // 45 bytes
}

TEST_CASE("empty bounds accept one contact up to the byte bound, not beyond", "[sync][batch]") {
  BatchBounds bounds(1000, 300);
  CHECK(bounds.fits(std::string(300, 'c')));
  CHECK_FALSE(bounds.fits(std::string(301, 'c')));
}
