#include <catch2/catch.hpp>

#include "service/params.hpp"

using emsync::admin::Request;
using emsync::service::param_or;
using nlohmann::json;

namespace {

Request request_with(json params) { return Request{"runs", std::move(params)}; }

}  // namespace

TEST_CASE("param_or reads a parameter or falls back when it is absent or null", "[params]") {
  CHECK(param_or(request_with({{"limit", 5}}), "limit", 20) == 5);
  CHECK(param_or(request_with(json::object()), "limit", 20) == 20);
  CHECK(param_or(request_with({{"limit", nullptr}}), "limit", 20) == 20);
  CHECK(param_or(request_with({{"wait", true}}), "wait", false));
}

TEST_CASE("param_or refuses a fraction for an integer parameter (fuzz: \"limit\": 1e300)",
          "[params]") {
  // nlohmann would cast the double: undefined behaviour beyond the range of int.
  CHECK_THROWS_AS(param_or(request_with({{"limit", 1e300}}), "limit", 20), json::type_error);
  CHECK_THROWS_AS(param_or(request_with({{"run_id", -1e300}}), "run_id", std::int64_t{0}),
                  json::type_error);
  CHECK_THROWS_WITH(param_or(request_with({{"limit", 2.5}}), "limit", 20),
                    Catch::Contains("'limit' must be an integer, not 2.5"));
  CHECK_THROWS_AS(param_or(request_with({{"limit", "10"}}), "limit", 20), json::type_error);
}
