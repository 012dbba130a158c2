#include <catch2/catch.hpp>

#include "core/odbc_attributes.hpp"

namespace emsync {

namespace {

std::vector<OdbcAttribute> parsed(std::string_view text) {
  auto attributes = parse_odbc_attributes(text);
  REQUIRE(attributes);
  return *attributes;
}

}  // namespace

TEST_CASE("ODBC attributes are split at ';', braces keep ';' and '='", "[odbc_attributes]") {
  const auto attributes = parsed(" Driver = {PostgreSQL Unicode};Server=db.example.com;;"
                                 "Extra={a;b=c};Empty=;Quote={x}}y}; ");
  REQUIRE(attributes.size() == 5);
  CHECK(attributes[0].key == "Driver");
  CHECK(attributes[0].value == "PostgreSQL Unicode");
  CHECK(attributes[1].value == "db.example.com");
  CHECK(attributes[2].value == "a;b=c");
  CHECK(attributes[3].value.empty());
  CHECK(attributes[4].value == "x}y");
  CHECK(odbc_attribute(attributes, "SERVER") == "db.example.com");
  CHECK_FALSE(odbc_attribute(attributes, "DSN"));
  CHECK(parsed("").empty());
  CHECK(parsed("DSN=warehouse").at(0).value == "warehouse");
}

TEST_CASE("a malformed ODBC string is refused without quoting values", "[odbc_attributes]") {
  for (const char* text : {"DSN=dw;PWD={s3cret", "DSN=dw;justakey", "=value", "PWD={s3cret}x;DSN=a"}) {
    auto attributes = parse_odbc_attributes(text);
    INFO(text);
    REQUIRE_FALSE(attributes);
    CHECK(attributes.error().code == Errc::invalid_input);
    CHECK(attributes.error().message.find("s3cret") == std::string::npos);
  }
  std::string many;
  for (std::size_t i = 0; i <= k_max_odbc_attributes; ++i) {
    many += "K" + std::to_string(i) + "=v;";
  }
  CHECK_FALSE(parse_odbc_attributes(many));
}

TEST_CASE("a braced value reads back as itself, whatever it holds", "[odbc_attributes]") {
  for (const std::string value : {"plain", "p}w;d", "}}{{;=", "", " spaced "}) {
    const auto attributes = parsed("UID=me;PWD=" + brace_odbc_value(value) + ";Port=1");
    REQUIRE(attributes.size() == 3);
    CHECK(attributes[1].value == value);
    CHECK(attributes[2].value == "1");
  }
}

TEST_CASE("secret keys are recognised by name", "[odbc_attributes]") {
  for (const char* key : {"PWD", "pwd", "Password", "PRIV_KEY_FILE_PWD", "Auth_Client_Secret",
                          "Auth_AccessToken", " pwd "}) {
    CHECK(is_secret_odbc_key(key));
  }
  for (const char* key : {"UID", "Driver", "PRIV_KEY_FILE", "KeyFilePath", "Server", "TokenUrl"}) {
    CHECK_FALSE(is_secret_odbc_key(key));
  }
}

}  // namespace emsync
