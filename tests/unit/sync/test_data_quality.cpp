// The data-quality rules (sync/data_quality.hpp), with plain values.
#include <catch2/catch.hpp>

#include "sync/data_quality.hpp"

using namespace emsync;
using namespace emsync::sync;

namespace {

config::Activation activation(double max_rejected_percent, bool insert = false) {
  config::Activation a;
  a.name = "crm";
  a.max_rejected_percent = max_rejected_percent;
  a.insert_new_contacts = insert;
  return a;
}

RejectionTally tally_of(const std::string& code, int count) {
  RejectionTally tally;
  for (int i = 1; i <= count; ++i) {
    tally.add(code, "row " + std::to_string(i));
  }
  return tally;
}

}  // namespace

TEST_CASE("a tally counts by reason, most first, and keeps the first keys of data rejections",
          "[sync][data_quality]") {
  RejectionTally tally;
  tally.add("parked", "p@x.com");
  tally.add("invalid_email", "row 2");
  tally.add("duplicate_email", "a@x.com");
  tally.add("duplicate_email", "a@x.com");
  RejectionTally more = tally_of("invalid_value", 6);
  tally.merge(more);
  CHECK(tally.total() == 10);
  CHECK(tally.of_data() == 9);  // parked contacts are not the model's fault
  CHECK(tally.summary() == "6 invalid_value, 2 duplicate_email, 1 invalid_email, 1 parked");
  CHECK(tally.first_keys() ==
        std::vector<std::string>{"row 2", "a@x.com", "a@x.com", "row 1", "row 2"});
  CHECK(tally.by_code().at("invalid_value") == 6);
}

TEST_CASE("max_rejected_percent stops a run over the share, not at it", "[sync][data_quality]") {
  CHECK_FALSE(rejected_share_stop(tally_of("invalid_email", 4), 100, activation(5)));
  CHECK_FALSE(rejected_share_stop(tally_of("invalid_email", 5), 100, activation(5)));
  const auto stop = rejected_share_stop(tally_of("invalid_email", 6), 100, activation(5));
  REQUIRE(stop);
  CHECK(*stop ==
        "data quality: 6 of 100 rows read were rejected (6%, over max_rejected_percent 5%): 6 "
        "invalid_email; first: row 1, row 2, row 3, row 4, row 5; nothing was sent. Fix the "
        "model (`emsyncctl errors crm` lists the rows), raise max_rejected_percent, or send the "
        "rest anyway with `emsyncctl run crm --force`");
  // Fractions, 0 and 100.
  CHECK(rejected_share_stop(tally_of("invalid_email", 1), 100, activation(0.5)));
  CHECK_FALSE(rejected_share_stop(tally_of("invalid_email", 1), 1000, activation(0.5)));
  CHECK(rejected_share_stop(tally_of("invalid_email", 1), 1'000'000, activation(0)));
  CHECK_FALSE(rejected_share_stop(RejectionTally(), 100, activation(0)));
  CHECK_FALSE(rejected_share_stop(tally_of("invalid_email", 100), 100, activation(100)));
  // Parked contacts do not count.
  CHECK_FALSE(rejected_share_stop(tally_of("parked", 50), 100, activation(5)));
}

TEST_CASE("rows that may still be rejected are counted only when they could break the rule",
          "[sync][data_quality]") {
  CHECK_FALSE(may_reject_too_many(2, 3, 100, 5));
  CHECK(may_reject_too_many(2, 4, 100, 5));
  CHECK_FALSE(may_reject_too_many(0, 0, 0, 0));
  CHECK(may_reject_too_many(0, 1, 1000, 0));
}

TEST_CASE("a run's warnings: its rejections by reason, and all not_found without insert",
          "[sync][data_quality]") {
  store::RunCounts counts{.rows_read = 200, .unchanged = 190, .rejected = 3};
  const auto warnings = run_warnings(tally_of("invalid_email", 3), counts, activation(5));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "3 of 200 rows read were rejected (1.5%; max_rejected_percent 5%): 3 "
                       "invalid_email; `emsyncctl errors crm` lists them");
  CHECK(run_warnings({}, counts, activation(5)).empty());

  const store::RunCounts lost{.rows_read = 4, .not_found = 4};
  const auto not_found = run_warnings({}, lost, activation(5));
  REQUIRE(not_found.size() == 1);
  CHECK_THAT(not_found[0], Catch::StartsWith("none of the 4 contacts sent exists in Emarsys") &&
                               Catch::Contains("set \"insert_new_contacts\": true in activation "
                                               "'crm' and apply it again"));
  // Not when some were updated, nor when new contacts are created anyway.
  CHECK(run_warnings({}, {.rows_read = 4, .updated = 1, .not_found = 3}, activation(5)).empty());
  CHECK(run_warnings({}, lost, activation(5, true)).empty());
}

TEST_CASE("percent_text writes a share as a person would", "[sync][data_quality]") {
  CHECK(percent_text(6, 100) == "6%");
  CHECK(percent_text(1, 3) == "33.3%");
  CHECK(percent_text(1, 1000) == "0.1%");
  CHECK(percent_text(0, 0) == "0%");
}
