#include <catch2/catch.hpp>
#include <chrono>

#include "source/conninfo.hpp"

namespace emsync::source {
namespace {

constexpr std::chrono::milliseconds k_timeout{1500};

TEST_CASE("the password is added to the connection string but not to the description", "[source]") {
  auto info = make_connect_info("host=/run/pg port=5433 dbname=dw user=etl", "s3cr'et", k_timeout);
  REQUIRE(info);
  CHECK_THAT(info->connect_string, Catch::Contains("password='s3cr\\'et'"));
  CHECK_THAT(info->connect_string, Catch::Contains("connect_timeout='10'"));
  CHECK(info->description == "host=/run/pg port=5433 dbname=dw user=etl");
}

TEST_CASE("a URI conninfo is accepted and settings given keep their value", "[source]") {
  auto info = make_connect_info("postgresql://etl@db.example.com/dw?connect_timeout=3",
                                std::nullopt, k_timeout);
  REQUIRE(info);
  CHECK_THAT(info->connect_string, Catch::Contains("connect_timeout='3'"));
  CHECK_THAT(info->connect_string, !Catch::Contains("connect_timeout='10'"));
  CHECK(info->description == "host=db.example.com dbname=dw user=etl");
}

TEST_CASE("a password given separately replaces one in the conninfo", "[source]") {
  auto info = make_connect_info("host=h password=old", "new", k_timeout);
  REQUIRE(info);
  CHECK_THAT(info->connect_string, !Catch::Contains("old"));
  CHECK_THAT(info->description, !Catch::Contains("old"));
}

TEST_CASE("an invalid conninfo is an input error", "[source]") {
  auto info = make_connect_info("host=h nonsense=1", std::nullopt, k_timeout);
  REQUIRE_FALSE(info);
  CHECK(info.error().code == Errc::invalid_input);
  CHECK_THAT(info.error().message, Catch::Contains("nonsense"));
}

TEST_CASE("every session starts read only with the statement timeout, after the user's options",
          "[source]") {
  auto plain = make_connect_info("host=/run/pg dbname=dw", std::nullopt, k_timeout);
  REQUIRE(plain);
  CHECK_THAT(
      plain->connect_string,
      Catch::Contains("options='-c default_transaction_read_only=on -c statement_timeout=1500'"));
  // Later -c settings win: the user's cannot lift read-only or the timeout.
  auto merged = make_connect_info(
      "host=/run/pg options='-c search_path=mart -c default_transaction_read_only=off'",
      std::nullopt, k_timeout);
  REQUIRE(merged);
  CHECK_THAT(merged->connect_string,
             Catch::Contains("options='-c search_path=mart -c default_transaction_read_only=off "
                             "-c default_transaction_read_only=on -c statement_timeout=1500'"));
}

PgTarget target(std::string host, std::string hostaddr = "",
                std::optional<std::string> sslmode = std::nullopt, bool service = false) {
  return PgTarget{std::move(host), std::move(hostaddr), std::move(sslmode), service};
}

TEST_CASE("a local target keeps libpq's sslmode", "[source]") {
  for (const char* host :
       {"", "/run/postgresql", "@abstract", "localhost", "LocalHost", "127.0.0.1", "127.12.0.9",
        "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "/run/pg,localhost,127.0.0.2"}) {
    INFO(host);
    CHECK(ssl_verdict(target(host)) == SslVerdict::keep);
    CHECK(ssl_verdict(target(host, "", "disable")) == SslVerdict::keep);
  }
  CHECK(ssl_verdict(target("", "127.0.0.1")) == SslVerdict::keep);
  CHECK(ssl_verdict(target("/run/pg", "::1", "require")) == SslVerdict::keep);
}

TEST_CASE("a remote target gets verify-full unless it names an sslmode", "[source]") {
  for (const char* host : {"db.example.com", "10.0.0.5", "128.0.0.1", "::2", "localhost.evil.com",
                           "fe80::1", "126.255.255.255", "localhost,db.example.com"}) {
    INFO(host);
    CHECK(ssl_verdict(target(host)) == SslVerdict::add_verify_full);
    CHECK(ssl_verdict(target(host, "", "verify-full")) == SslVerdict::keep);
    for (const char* weak : {"disable", "allow", "prefer", "require", "verify-ca"}) {
      CHECK(ssl_verdict(target(host, "", weak)) == SslVerdict::weak);
    }
  }
  // hostaddr is where the connection goes; a remote one counts even with a local name.
  CHECK(ssl_verdict(target("localhost", "192.0.2.7")) == SslVerdict::add_verify_full);
  CHECK(ssl_verdict(target("", "192.0.2.7", "require")) == SslVerdict::weak);
  // A service file may set sslmode: it decides.
  CHECK(ssl_verdict(target("db.example.com", "", std::nullopt, true)) == SslVerdict::keep);
  CHECK(ssl_verdict(target("db.example.com", "", "prefer", true)) == SslVerdict::weak);
}

TEST_CASE("the connection string carries the sslmode decision", "[source]") {
  auto remote = make_connect_info("host=db.example.com dbname=dw", std::nullopt, k_timeout);
  REQUIRE(remote);
  CHECK_THAT(remote->connect_string, Catch::Contains("sslmode='verify-full'"));
  auto uri = make_connect_info("postgresql://etl@10.1.2.3/dw", std::nullopt, k_timeout);
  REQUIRE(uri);
  CHECK_THAT(uri->connect_string, Catch::Contains("sslmode='verify-full'"));
  auto chosen =
      make_connect_info("host=db.example.com sslmode=require dbname=dw", std::nullopt, k_timeout);
  REQUIRE(chosen);
  CHECK_THAT(chosen->connect_string,
             Catch::Contains("sslmode='require'") && !Catch::Contains("verify-full"));
  auto local = make_connect_info("host=/run/postgresql dbname=dw", std::nullopt, k_timeout);
  REQUIRE(local);
  CHECK_THAT(local->connect_string, !Catch::Contains("sslmode"));
}

TEST_CASE("check-config warns about a weak sslmode on a remote host only", "[source]") {
  auto weak = sslmode_warning("host=db.example.com sslmode=require dbname=dw");
  REQUIRE(weak);
  CHECK_THAT(*weak, Catch::Contains("sslmode=require") && Catch::Contains("db.example.com") &&
                        Catch::Contains("verify-full"));
  CHECK(sslmode_warning("postgresql://etl@db.example.com/dw?sslmode=prefer"));
  CHECK_FALSE(sslmode_warning("host=db.example.com dbname=dw"));
  CHECK_FALSE(sslmode_warning("host=db.example.com sslmode=verify-full"));
  CHECK_FALSE(sslmode_warning("host=localhost sslmode=disable"));
  CHECK_FALSE(sslmode_warning("host=/run/postgresql sslmode=disable"));
  CHECK_FALSE(sslmode_warning("host=h nonsense=1"));
}

}  // namespace
}  // namespace emsync::source
