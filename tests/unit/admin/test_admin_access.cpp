// The two tiers of the admin socket: the method table and the operator test.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "admin/access.hpp"

using namespace emsync::admin;

namespace {

constexpr int k_daemon_uid = 998;
constexpr int k_operators_gid = 1500;

AccessPolicy policy_with_group() { return {k_daemon_uid, "emsyncd-admin", k_operators_gid, {}}; }

AccessPolicy policy_without_group() {
  return {k_daemon_uid, "emsyncd-admin", std::nullopt,
          "the operators group 'emsyncd-admin' does not exist"};
}

Peer user(int uid, int gid, std::vector<int> groups = {}) { return {uid, gid, 4711, groups}; }

}  // namespace

TEST_CASE("the read-only methods are the listed seven; any other needs an operator", "[admin]") {
  for (const char* method : {"ping", "status", "list", "show", "runs", "errors", "audit"}) {
    CAPTURE(method);
    CHECK(tier_of(method) == Tier::read_only);
  }
  for (const char* method : {"apply", "delete", "run", "cancel", "pause", "resume", "retry",
                             "reload", "explain", "export", "", "PING", "list "}) {
    CAPTURE(method);
    CHECK(tier_of(method) == Tier::operators);
  }
}

TEST_CASE("operators are root, the daemon's uid and members of the group", "[admin]") {
  const AccessPolicy policy = policy_with_group();
  CHECK(is_operator(user(0, 0), policy));
  CHECK(is_operator(user(k_daemon_uid, 100), policy));
  CHECK(is_operator(user(1000, k_operators_gid), policy));                   // primary group
  CHECK(is_operator(user(1000, 1000, {27, k_operators_gid, 100}), policy));  // supplementary
  CHECK_FALSE(is_operator(user(1000, 1000, {27, 100}), policy));
  CHECK_FALSE(is_operator(user(1000, 1000), policy));
  CHECK_FALSE(is_operator(Peer{}, policy));  // credentials unknown: not even uid -1 == -1
}

TEST_CASE("without its group, only root and the daemon's uid are operators", "[admin]") {
  const AccessPolicy policy = policy_without_group();
  CHECK(is_operator(user(0, 0), policy));
  CHECK(is_operator(user(k_daemon_uid, k_daemon_uid), policy));
  CHECK_FALSE(is_operator(user(1000, k_operators_gid, {k_operators_gid}), policy));
  // A peer with unknown groups is not taken for a member of a missing group.
  CHECK_FALSE(is_operator(user(1000, -1, {-1}), policy));
}

TEST_CASE("may_call: read-only methods for everyone, the rest for operators", "[admin]") {
  const AccessPolicy policy = policy_with_group();
  const Peer outsider = user(1000, 1000, {50});
  const Peer member = user(1001, 1001, {k_operators_gid});
  CHECK(may_call("list", outsider, policy));
  CHECK(may_call("status", Peer{}, policy));
  for (const char* method : {"apply", "run", "delete", "reload", "no-such-method"}) {
    CAPTURE(method);
    CHECK_FALSE(may_call(method, outsider, policy));
    CHECK(may_call(method, member, policy));
  }
}

TEST_CASE("a refusal names the method and the group; a missing group warns", "[admin]") {
  const AccessPolicy policy = policy_with_group();
  CHECK(denial_message("apply", policy) ==
        "'apply' needs root, the daemon's user or membership of group 'emsyncd-admin'; every user "
        "of the socket may use ping, status, list, show, runs, errors and audit");
  CHECK_FALSE(policy_warning(policy));
  const auto warning = policy_warning(policy_without_group());
  REQUIRE(warning);
  CHECK(*warning ==
        "the operators group 'emsyncd-admin' does not exist: only root and the daemon's user (uid "
        "998) may use the commands that change state; create the group or set "
        "admin.operators_group");
}

TEST_CASE("load_access_policy resolves a group by name, and reports a missing one", "[admin]") {
  const AccessPolicy root_group = load_access_policy("root");  // gid 0 on every Linux
  CHECK(root_group.daemon_uid == static_cast<int>(::geteuid()));
  CHECK(root_group.operators_group == "root");
  CHECK(root_group.operators_gid == 0);
  CHECK_FALSE(policy_warning(root_group));

  const AccessPolicy missing = load_access_policy("emsync-no-such-group");
  CHECK_FALSE(missing.operators_gid);
  CHECK(missing.unresolved_reason == "the operators group 'emsync-no-such-group' does not exist");
}
