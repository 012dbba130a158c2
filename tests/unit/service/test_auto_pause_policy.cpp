// The auto-pause policy and the auto-resume rounds in virtual time.
#include <catch2/catch.hpp>

#include "service/auto_pause_policy.hpp"

namespace {

using emsync::ManualClock;
using emsync::service::auto_pause_reason;
using emsync::service::AutoResumeRounds;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("a failure streak that reaches the limit auto-pauses, with the streak and the error",
          "[auto_pause]") {
  const std::optional<std::string> error = "relation \"people_view\" does not exist";
  CHECK_FALSE(auto_pause_reason(1, 3, error));
  CHECK_FALSE(auto_pause_reason(2, 3, error));
  CHECK(auto_pause_reason(3, 3, error) ==
        "3 runs in a row failed; last error: relation \"people_view\" does not exist");
  CHECK(auto_pause_reason(4, 3, error) ==
        "4 runs in a row failed; last error: relation \"people_view\" does not exist");
  CHECK(auto_pause_reason(1, 1, "boom") == "1 runs in a row failed; last error: boom");
  // A run that does not need attention (succeeded, or a passing fault) never pauses.
  CHECK_FALSE(auto_pause_reason(5, 3, std::nullopt));
}

TEST_CASE("auto-resume rounds come every auto_resume_check after the previous round ends",
          "[auto_pause]") {
  ManualClock clock;
  AutoResumeRounds rounds(clock);
  CHECK(rounds.until_due(3600s) == 3600s);
  clock.advance(3599s);
  CHECK(rounds.until_due(3600s) == 1s);
  clock.advance(1s);
  CHECK(rounds.until_due(3600s) == 0ms);
  clock.advance(2min);  // the round's checks take time
  CHECK(rounds.until_due(3600s) == 0ms);
  rounds.round_done();
  CHECK(rounds.until_due(3600s) == 3600s);
  clock.advance(1500ms);
  CHECK(rounds.until_due(3600s) == 3598500ms);
}

TEST_CASE("a reload that shortens auto_resume_check applies at the next question", "[auto_pause]") {
  ManualClock clock;
  AutoResumeRounds rounds(clock);
  clock.advance(10min);
  CHECK(rounds.until_due(3600s) == 50min);
  CHECK(rounds.until_due(60s) == 0ms);
  CHECK(rounds.until_due(15min) == 5min);
}

TEST_CASE("a round checks the auto-paused activations that are not running", "[auto_pause]") {
  emsync::store::ActivationRecord record;
  record.name = "crm";
  CHECK_FALSE(AutoResumeRounds::needs_check(record, false));
  record.paused = true;  // paused by hand: a person resumes it
  CHECK_FALSE(AutoResumeRounds::needs_check(record, false));
  record.paused = false;
  record.auto_paused_reason = "3 runs in a row failed; last error: boom";
  CHECK(AutoResumeRounds::needs_check(record, false));
  CHECK_FALSE(AutoResumeRounds::needs_check(record, true));  // a run by hand: its outcome decides
}
