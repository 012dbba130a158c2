#include <catch2/catch.hpp>
#include <string>

#include "core/quote.hpp"
#include "sync/email.hpp"
#include "sync/row_key.hpp"

using emsync::store::Rejection;
using emsync::sync::finish_rejection;
using emsync::sync::fold_email;
using emsync::sync::hashed_row_key;
using emsync::sync::hide_email;

TEST_CASE(
    "a hashed row key is the first 16 hex digits of the email's SHA-256, as sha256sum "
    "prints it",
    "[sync][row_key]") {
  // printf %s a@example.com | sha256sum | cut -c1-16
  CHECK(hashed_row_key("a@example.com") == "08168cd80dfd534a");
}

TEST_CASE("hide_email hashes the email in a rejection's key and wherever its message quotes it",
          "[sync][row_key]") {
  Rejection duplicate{7, "a@example.com", "duplicate_email",
                      "row 3: email a@example.com appears in several rows; a@example.com ..."};
  hide_email(duplicate, duplicate.row_key);
  CHECK(duplicate.run_id == 7);
  CHECK(duplicate.row_key == "08168cd80dfd534a");
  CHECK(duplicate.code == "duplicate_email");
  CHECK(duplicate.message ==
        "row 3: email 08168cd80dfd534a appears in several rows; 08168cd80dfd534a ...");

  // An invalid email keeps its "row <n>" key; the message quotes it folded.
  Rejection invalid{7, "row 2", "invalid_email", "email 'a b@x.com' contains whitespace"};
  hide_email(invalid, fold_email(" A B@x.com "));
  CHECK(invalid.row_key == "row 2");
  CHECK(invalid.message == "email '60de94b2fb31cda3' contains whitespace");

  Rejection missing{7, "row 4", "missing_email", "email is missing"};
  hide_email(missing, "");
  CHECK(missing.row_key == "row 4");
  CHECK(missing.message == "email is missing");
}

TEST_CASE("finish_rejection cuts an over-long key and hides the whole email first",
          "[sync][row_key]") {
  // 246 characters, 486 bytes: a valid email longer than a quoted value.
  std::string local;
  for (int i = 0; i < 240; ++i) {
    local += "\xC3\xA9";  // é: 2 bytes, 1 character
  }
  const std::string email = local + "@x.com";
  REQUIRE(emsync::sync::normalize_email(email).value() == email);
  const std::string quoted = emsync::quote_value(email);
  REQUIRE(quoted != email);

  Rejection clear{7, email, "duplicate_email", "email " + quoted + " appears twice"};
  finish_rejection(clear, clear.row_key, false);
  CHECK(clear.row_key == quoted);
  CHECK(clear.row_key.size() < 300);
  CHECK(clear.message == "email " + quoted + " appears twice");

  Rejection hashed{7, email, "duplicate_email", "email " + quoted + " appears twice"};
  finish_rejection(hashed, hashed.row_key, true);
  CHECK(hashed.row_key == hashed_row_key(email));
  CHECK(hashed.message == "email " + hashed_row_key(email) + " appears twice");

  // "row <n>" stays as it is.
  Rejection invalid{7, "row 2", "invalid_email", "email 'a b@x.com' contains whitespace"};
  finish_rejection(invalid, "a b@x.com", true);
  CHECK(invalid.row_key == "row 2");
  CHECK(invalid.message == "email '" + hashed_row_key("a b@x.com") + "' contains whitespace");
}
