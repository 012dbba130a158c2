#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "store/write_probe.hpp"
#include "temp_db.hpp"

namespace emsync::store {
namespace {

TEST_CASE("the write probe writes its row and measures the state DB", "[store][probe]") {
  test::TempDb temp;
  auto store = open_state_store(temp.path());
  REQUIRE(store);
  WriteProbe probe(temp.path());
  REQUIRE(probe.check(1234));
  REQUIRE(probe.check(5678));  // the same row, rewritten
  auto db = Db::open(temp.path(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  auto row = db->prepare("SELECT count(*), max(probed_at) FROM health_probe");
  REQUIRE(row);
  REQUIRE(row->step().value());
  CHECK(row->get_int64(0) == 1);
  CHECK(row->get_int64(1) == 5678);
  CHECK(probe.size_bytes() > 0);
}

TEST_CASE("the write probe names the state DB it cannot write", "[store][probe]") {
  test::TempDb temp;
  {
    std::ofstream junk(temp.path());
    junk << "not a database, just text that is long enough to be read as a header........\n";
  }
  WriteProbe probe(temp.path());
  const auto checked = probe.check(1);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == Errc::state_error);
  CHECK_THAT(checked.error().message,
             Catch::Contains(temp.path()) && Catch::Contains("cannot be written"));

  WriteProbe nowhere("/nonexistent-emsync-dir/state.db");
  const auto missing = nowhere.check(1);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("/nonexistent-emsync-dir/state.db"));
}

}  // namespace
}  // namespace emsync::store
