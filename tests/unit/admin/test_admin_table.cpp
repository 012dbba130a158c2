#include <catch2/catch.hpp>

#include "admin/table.hpp"

using namespace emsync::admin;

TEST_CASE("a table aligns columns two spaces apart without trailing spaces", "[admin]") {
  Table table({"RUN", "STATUS", "ERROR"});
  table.add_row({"12", "succeeded", "-"});
  table.add_row({"9", "failed", "auth refused"});
  CHECK(table.render() ==
        "RUN  STATUS     ERROR\n"
        "12   succeeded  -\n"
        "9    failed     auth refused\n");
}

TEST_CASE("a table counts UTF-8 code points, not bytes", "[admin]") {
  Table table({"NAME", "X"});
  table.add_row({"m\xC3\xBCller", "1"});  // "müller": 6 code points, 7 bytes
  CHECK(table.render() ==
        "NAME    X\n"
        "m\xC3\xBCller  1\n");
}

TEST_CASE("fields align their values after the longest key", "[admin]") {
  CHECK(render_fields({{"run_id", "12"}, {"status", "partial"}, {"started_at", "-"}}) ==
        "run_id:     12\n"
        "status:     partial\n"
        "started_at: -\n");
}
