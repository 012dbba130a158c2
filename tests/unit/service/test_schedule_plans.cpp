// SchedulePlans in virtual time: which activation is due, and when each runs next.
#include <catch2/catch.hpp>

#include "service/schedule_plans.hpp"

namespace {

using emsync::ManualClock;
using emsync::UnixMillis;
using emsync::service::SchedulePlans;
using namespace std::chrono_literals;

constexpr UnixMillis k_minute = 60'000;
constexpr UnixMillis k_hour = 60 * k_minute;
// 2026-01-01T10:00:00Z
constexpr UnixMillis k_ten_am = 1'767'225'600'000 + 10 * k_hour;

emsync::schedule::Schedule parsed(const char* text) {
  auto schedule = emsync::schedule::parse_schedule(text);
  REQUIRE(schedule);
  return *schedule;
}

SchedulePlans::Activation activation(std::string name, const char* schedule,
                                     std::optional<UnixMillis> last_start = std::nullopt,
                                     bool paused = false) {
  return {std::move(name), parsed(schedule), paused, last_start};
}

const auto always_idle = [](const std::string&) { return true; };

std::optional<std::string> due_name(SchedulePlans& plans) {
  auto due = plans.take_due(always_idle);
  return due ? std::optional(due->activation) : std::nullopt;
}

}  // namespace

TEST_CASE("manual, paused and auto-paused activations have no plan", "[schedule_plans]") {
  ManualClock clock(k_ten_am);
  CHECK_FALSE(SchedulePlans::is_planned(parsed("manual"), false));
  CHECK_FALSE(SchedulePlans::is_planned(parsed("every 1m"), true));
  CHECK(SchedulePlans::is_planned(parsed("every 1m"), false));

  SchedulePlans plans(clock);
  plans.replace({activation("by-hand", "manual"), activation("paused", "every 1m", {}, true),
                 activation("hourly", "every 1h")});
  CHECK(plans.size() == 1);
  CHECK_FALSE(plans.next_run("by-hand"));
  CHECK_FALSE(plans.next_run("paused"));
  CHECK_FALSE(plans.next_run("unknown"));
  clock.advance(24h);
  CHECK(due_name(plans) == "hourly");
  CHECK_FALSE(due_name(plans));
}

TEST_CASE("an activation that never ran is due at once; its interval counts from that start",
          "[schedule_plans]") {
  ManualClock clock(k_ten_am);
  SchedulePlans plans(clock);
  plans.replace({activation("crm", "every 10s")});
  CHECK(plans.next_run("crm") == k_ten_am);
  const auto due = plans.take_due(always_idle);
  REQUIRE(due);
  CHECK(due->activation == "crm");
  CHECK(due->schedule_text == "every 10s");
  CHECK(plans.next_run("crm") == k_ten_am + 10'000);

  clock.advance(9s);
  CHECK_FALSE(due_name(plans));
  clock.advance(1s);
  CHECK(due_name(plans) == "crm");
  CHECK_FALSE(due_name(plans));
}

TEST_CASE("intervals count from the latest start, whoever started it", "[schedule_plans]") {
  ManualClock clock(k_ten_am);
  SchedulePlans plans(clock);
  plans.replace({activation("crm", "every 1h", k_ten_am - 10 * k_minute)});
  CHECK(plans.next_run("crm") == k_ten_am + 50 * k_minute);
  clock.advance(20min);
  plans.note_start("crm", clock.wall());  // `emsyncctl run crm`
  CHECK(plans.next_run("crm") == k_ten_am + 80 * k_minute);
  clock.advance(59min);
  CHECK_FALSE(due_name(plans));
  clock.advance(1min);
  CHECK(due_name(plans) == "crm");

  plans.note_start("not-planned", clock.wall());  // a manual activation: nothing to note
  CHECK(plans.size() == 1);
}

TEST_CASE("schedules missed while the daemon was down run once at start-up", "[schedule_plans]") {
  ManualClock clock(k_ten_am);
  SchedulePlans plans(clock);
  // Down since yesterday 06:00: the 07:00 slots of yesterday and today were
  // missed, and six hours of an hourly interval.
  const UnixMillis yesterday_six = k_ten_am - 28 * k_hour;
  plans.replace({activation("daily", "daily 07:00", yesterday_six),
                 activation("hourly", "every 1h", yesterday_six)});
  CHECK(plans.next_run("daily") == k_ten_am);
  CHECK(plans.next_run("hourly") == k_ten_am);

  CHECK(due_name(plans) == "daily");  // one per call, by name
  CHECK(due_name(plans) == "hourly");
  CHECK_FALSE(due_name(plans));
  CHECK(plans.next_run("daily") == k_ten_am + 21 * k_hour);  // tomorrow 07:00
  CHECK(plans.next_run("hourly") == k_ten_am + k_hour);
}

TEST_CASE("one due while it runs is skipped, then runs once after", "[schedule_plans]") {
  ManualClock clock(k_ten_am);
  SchedulePlans plans(clock);
  plans.replace(
      {activation("slow", "every 1m", k_ten_am), activation("quick", "every 1m", k_ten_am)});
  bool slow_running = true;
  const auto idle = [&](const std::string& name) { return name != "slow" || !slow_running; };

  // Five minutes of a run that lasts: four slots pass, nothing starts it again.
  for (int second = 0; second < 300; ++second) {
    clock.advance(1s);
    if (auto due = plans.take_due(idle)) {
      CHECK(due->activation == "quick");
    }
  }
  slow_running = false;
  auto due = plans.take_due(idle);
  REQUIRE(due);
  CHECK(due->activation == "slow");
  CHECK_FALSE(plans.take_due(idle));  // one run for the missed slots
  CHECK(plans.next_run("slow") == clock.wall() + k_minute);
}

TEST_CASE("replace() takes the latest starts the caller remembers", "[schedule_plans]") {
  ManualClock clock(k_ten_am);
  SchedulePlans plans(clock);
  plans.replace({activation("crm", "every 1h")});
  REQUIRE(due_name(plans) == "crm");
  // Paused, then resumed: rebuilt from the store, which has that run's start.
  plans.replace({activation("crm", "every 1h", k_ten_am, true)});
  CHECK(plans.size() == 0);
  clock.advance(30min);
  plans.replace({activation("crm", "every 1h", k_ten_am)});
  CHECK(plans.next_run("crm") == k_ten_am + k_hour);
}
