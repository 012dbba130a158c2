#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "sync/spool.hpp"

using emsync::sync::SpooledRow;
using emsync::sync::SpoolReader;
using emsync::sync::SpoolWriter;

TEST_CASE("the spool reads back exactly what was written, NULLs and empty strings apart",
          "[sync][spool]") {
  const auto path = (std::filesystem::temp_directory_path() / "emsync-test.spool").string();
  const std::vector<SpooledRow> rows = {
      {1, "a@example.com", {std::string("Ann"), std::nullopt, std::string("")}},
      {3, "b@example.com", {std::string("tab\there\nnew line"), std::string("x"), std::nullopt}},
      {4, "c@example.com", {}},
  };
  {
    auto writer = SpoolWriter::create(path);
    REQUIRE(writer);
    for (const auto& row : rows) {
      REQUIRE(writer->write(row));
    }
    REQUIRE(writer->finish());
  }
  auto reader = SpoolReader::open(path);
  REQUIRE(reader);
  SpooledRow row;
  for (const auto& expected : rows) {
    auto more = reader->next(row);
    REQUIRE(more);
    REQUIRE(*more);
    CHECK(row.row_number == expected.row_number);
    CHECK(row.email == expected.email);
    CHECK(row.values == expected.values);
  }
  auto end = reader->next(row);
  REQUIRE(end);
  CHECK_FALSE(*end);
  std::remove(path.c_str());
}

TEST_CASE("a truncated spool is an error, not a short read", "[sync][spool]") {
  const auto path = (std::filesystem::temp_directory_path() / "emsync-trunc.spool").string();
  {
    auto writer = SpoolWriter::create(path);
    REQUIRE(writer);
    REQUIRE(writer->write({1, "a@example.com", {std::string("value")}}));
    REQUIRE(writer->finish());
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 2);
  auto reader = SpoolReader::open(path);
  REQUIRE(reader);
  SpooledRow row;
  auto next = reader->next(row);
  REQUIRE_FALSE(next);
  CHECK_THAT(next.error().message, Catch::Contains("truncated"));
  std::remove(path.c_str());
}

TEST_CASE("the spool passes over the rows it is told to, and only those", "[sync][spool]") {
  const auto path = (std::filesystem::temp_directory_path() / "emsync-test-passed.spool").string();
  {
    auto writer = SpoolWriter::create(path);
    REQUIRE(writer);
    for (const std::int64_t row_number : {2, 3, 5, 8, 9, 12}) {
      REQUIRE(writer->write({row_number, "x@example.com", {}}));
    }
    REQUIRE(writer->finish());
  }
  // 1 and 7 were never spooled (rows found unchanged at once); 12 is last.
  const std::vector<std::int64_t> passed_over = {1, 3, 7, 8, 12};
  auto reader = SpoolReader::open(path, passed_over);
  REQUIRE(reader);
  std::vector<std::int64_t> read;
  SpooledRow row;
  for (;;) {
    auto more = reader->next(row);
    REQUIRE(more);
    if (!*more) {
      break;
    }
    read.push_back(row.row_number);
  }
  CHECK(read == std::vector<std::int64_t>{2, 5, 9});
  std::remove(path.c_str());
}
