#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sync/email.hpp"

using emsync::Errc;
using emsync::sync::normalize_email;

TEST_CASE("normalises valid emails: trims ASCII whitespace and lower-cases ASCII",
          "[sync][email]") {
  struct Case {
    std::string raw;
    std::string expected;
  };
  const Case cases[] = {
      {"ann@example.com", "ann@example.com"},
      {"  Ann.Lee@Example.COM\t\r\n", "ann.lee@example.com"},
      {"a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"},
      {"Jürgen@bücher.de", "jürgen@bücher.de"},  // non-ASCII kept, not case-folded
      {"ÄNN@x.io", "Änn@x.io"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.raw);
    const auto email = normalize_email(c.raw);
    REQUIRE(email);
    CHECK(*email == c.expected);
  }
}

TEST_CASE("rejects each class of invalid email with a message saying what is wrong",
          "[sync][email]") {
  struct Case {
    std::string raw;
    std::string message;
  };
  const Case cases[] = {
      {"", "email is missing"},
      {" \t ", "email is missing"},
      {"a b@x.com", "email 'a b@x.com' contains whitespace"},
      {"ab@x\xC2\xA0y.com", "contains whitespace"},      // U+00A0 no-break space
      {"ab@x\xE3\x80\x80y.com", "contains whitespace"},  // U+3000 ideographic space
      {std::string("a\0b@x.com", 9), "email contains a control character"},
      {"a\x07@x.com", "email contains a control character"},
      {"a\x7F@x.com", "email contains a control character"},
      {"a\xC2\x80@x.com", "email contains a control character"},  // U+0080 (C1)
      {"a\xFF@x.com", "email is not valid UTF-8"},
      {"a\xC3@x.com", "email is not valid UTF-8"},  // truncated sequence
      {"ann.example.com", "email 'ann.example.com' has no '@'"},
      {"a@b@x.com", "email 'a@b@x.com' has more than one '@'"},
      {"@x.com", "email '@x.com' has nothing before the '@'"},
      {"ann@", "email 'ann@' needs a domain like example.com after the '@'"},
      {"ann@localhost", "needs a domain like example.com"},
      {"ann@.example", "needs a domain like example.com"},
      {"ann@example.", "needs a domain like example.com"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.raw);
    const auto email = normalize_email(c.raw);
    REQUIRE_FALSE(email);
    CHECK(email.error().code == Errc::invalid_input);
    CHECK_THAT(email.error().message, Catch::Contains(c.message));
  }
}

TEST_CASE("accepts 254 characters after trimming and rejects 255", "[sync][email]") {
  const std::string domain = "@example.com";  // 12 characters
  const std::string at_limit = std::string(254 - domain.size(), 'a') + domain;
  REQUIRE(at_limit.size() == 254);
  CHECK(normalize_email("  " + at_limit + "  "));

  const auto too_long = normalize_email("b" + at_limit);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().message == "email is 255 characters, at most 254 are allowed");
}

TEST_CASE("counts characters, not bytes, for the length limit", "[sync][email]") {
  const std::string domain = "@example.com";
  std::string local;
  for (std::size_t i = 0; i < 254 - domain.size(); ++i) {
    local += "\xC3\xA9";  // é: two bytes, one character
  }
  CHECK(normalize_email(local + domain));
}

TEST_CASE("an error quotes at most 256 bytes of a huge invalid email", "[sync][email]") {
  const auto email = normalize_email("a b" + std::string(1 << 20, 'x'));
  REQUIRE_FALSE(email);
  CHECK(email.error().message ==
        "email 'a b" + std::string(253, 'x') + "\u2026(1048579 bytes)' contains whitespace");
}

TEST_CASE("normalize_email_into reuses its buffer and says what normalize_email says",
          "[sync][email]") {
  using emsync::sync::normalize_email_into;
  std::string email;
  email.reserve(64);
  const char* const buffer = email.data();
  REQUIRE(normalize_email_into("  Jane.Doe@Example.COM ", email));
  CHECK(email == "jane.doe@example.com");
  CHECK(email.data() == buffer);  // no allocation for a short email
  // Each invalid class fails as normalize_email does, with the email folded.
  const std::vector<std::string> invalid = {"",         "no-at.example.com", "a b@x.com",
                                            "a\x01@x.com", "\xC3@x.com",        "A@@x.com",
                                            "A@x",      std::string(250, 'a') + "@x.com"};
  for (const std::string& raw : invalid) {
    const auto expected = normalize_email(raw);
    REQUIRE_FALSE(expected);
    const auto got = normalize_email_into(raw, email);
    REQUIRE_FALSE(got);
    CHECK(got.error().message == expected.error().message);
    CHECK(email == emsync::sync::fold_email(raw));
  }
  // A non-ASCII email takes the slow path and is still valid.
  REQUIRE(normalize_email_into("J\xC3\xA9R\xC3\xB4ME@x.com", email));
  CHECK(email == "j\xC3\xA9r\xC3\xB4me@x.com");
}
