// Row digests in a run (row_digest.hpp): a stored contact hash that is no
// digest of the row (a state from an emsync without row digests, new
// conversion rules) makes that row converted and diffed once, sending
// nothing that did not change and storing the contact again.
#include <catch2/catch.hpp>

#include "run_fixture.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

namespace {

// The stored contacts whose contact hash is `hash`.
std::int64_t stored_with_hash(RunFixture& run, std::uint64_t hash) {
  store::StateStore& state = *run.store;  // the default argument is on StateStore
  auto digests = state.load_contact_digests(run.activation_id);
  REQUIRE(digests);
  std::int64_t count = 0;
  for (const auto& digest : *digests) {
    count += digest.contact_hash == hash ? 1 : 0;
  }
  return count;
}

// Sets every stored contact hash to 0, as an older emsync (or other
// conversion rules) would have stored them: a hash no row's digest is. The
// store is opened again, as by the daemon's restart after an upgrade.
void store_under_zero_hashes(RunFixture& run) {
  run.exec("ATTACH '" + run.state_path() + "' AS state");
  run.exec("UPDATE state.contact_state SET state = zeroblob(8) || substr(state, 9)");
  run.exec("UPDATE state.contact_log SET state = zeroblob(8) || substr(state, 9)");
  run.exec("DETACH state");
  run.reopen_store();
}

}  // namespace

TEST_CASE("contacts stored under another hash are diffed once, sent only for what changed",
          "[sync][run][row_digest]") {
  RunFixture run;
  run.add_people(1500);
  REQUIRE(run.run().status == RunStatus::succeeded);
  const std::size_t sent = run.emarsys.requests.size();
  store_under_zero_hashes(run);
  REQUIRE(stored_with_hash(run, 0) == 1500);
  // One of them changed meanwhile.
  run.exec("UPDATE people SET city = 'Lyon' WHERE email = '" + RunFixture::email(9) + "'");

  const RunOutcome again = run.run();
  CHECK(again.status == RunStatus::succeeded);
  CHECK(again.counts.unchanged == 1499);
  CHECK(again.counts.updated == 1);
  REQUIRE(run.emarsys.requests.size() == sent + 1);
  CHECK(run.emarsys.requests.back().contacts ==
        std::vector<json>{json({{"3", RunFixture::email(9)}, {"4", "Lyon"}})});
  // Every contact is stored again, under its row's digest.
  CHECK(stored_with_hash(run, 0) == 0);
  CHECK(run.stored_contacts() == 1500);

  const RunOutcome third = run.run();
  CHECK(third.counts.unchanged == 1500);
  CHECK(run.emarsys.requests.size() == sent + 1);
}

TEST_CASE("a stored state refreshed without a request survives a crash as it was",
          "[sync][run][row_digest]") {
  RunFixture run;
  run.add_people(10);
  REQUIRE(run.run().status == RunStatus::succeeded);
  store_under_zero_hashes(run);
  // The refreshing commit fails: the run fails, nothing is sent, and the
  // next run refreshes them.
  run.store->fail_commits = true;
  const std::size_t sent = run.emarsys.requests.size();
  CHECK(run.run().status != RunStatus::succeeded);
  CHECK(run.emarsys.requests.size() == sent);
  CHECK(stored_with_hash(run, 0) == 10);
  run.store->fail_commits = false;
  CHECK(run.run().counts.unchanged == 10);
  CHECK(stored_with_hash(run, 0) == 0);
  CHECK(run.emarsys.requests.size() == sent);
}
