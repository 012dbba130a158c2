#include <catch2/catch.hpp>

#include "source/conninfo.hpp"

namespace emsync::source {
namespace {

TEST_CASE("the password is added to the connection string but not to the description", "[source]") {
  auto info = make_connect_info("host=/run/pg port=5433 dbname=dw user=etl", "s3cr'et");
  REQUIRE(info);
  CHECK_THAT(info->connect_string, Catch::Contains("password='s3cr\\'et'"));
  CHECK_THAT(info->connect_string, Catch::Contains("connect_timeout='10'"));
  CHECK(info->description == "host=/run/pg port=5433 dbname=dw user=etl");
}

TEST_CASE("a URI conninfo is accepted and settings given keep their value", "[source]") {
  auto info =
      make_connect_info("postgresql://etl@db.example.com/dw?connect_timeout=3", std::nullopt);
  REQUIRE(info);
  CHECK_THAT(info->connect_string, Catch::Contains("connect_timeout='3'"));
  CHECK_THAT(info->connect_string, !Catch::Contains("connect_timeout='10'"));
  CHECK(info->description == "host=db.example.com dbname=dw user=etl");
}

TEST_CASE("a password given separately replaces one in the conninfo", "[source]") {
  auto info = make_connect_info("host=h password=old", "new");
  REQUIRE(info);
  CHECK_THAT(info->connect_string, !Catch::Contains("old"));
  CHECK_THAT(info->description, !Catch::Contains("old"));
}

TEST_CASE("an invalid conninfo is an input error", "[source]") {
  auto info = make_connect_info("host=h nonsense=1", std::nullopt);
  REQUIRE_FALSE(info);
  CHECK(info.error().code == Errc::invalid_input);
  CHECK_THAT(info.error().message, Catch::Contains("nonsense"));
}

}  // namespace
}  // namespace emsync::source
