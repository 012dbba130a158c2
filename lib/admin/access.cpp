#include "admin/access.hpp"

#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace emsync::admin {

namespace {

constexpr std::array<std::string_view, 7> k_read_only_methods = {"ping", "status", "list", "show",
                                                                 "runs", "errors", "audit"};

// getgrnam_r grows its buffer to this at most (NSS entries with many members).
constexpr std::size_t k_max_group_buffer = 1 << 20;

}  // namespace

Tier tier_of(std::string_view method) {
  return std::find(k_read_only_methods.begin(), k_read_only_methods.end(), method) !=
                 k_read_only_methods.end()
             ? Tier::read_only
             : Tier::operators;
}

bool is_operator(const Peer& peer, const AccessPolicy& policy) {
  if (peer.uid < 0) {
    return false;  // credentials unknown
  }
  if (peer.uid == 0 || peer.uid == policy.daemon_uid) {
    return true;
  }
  if (!policy.operators_gid) {
    return false;
  }
  const int gid = *policy.operators_gid;
  return peer.gid == gid ||
         std::find(peer.groups.begin(), peer.groups.end(), gid) != peer.groups.end();
}

bool may_call(std::string_view method, const Peer& peer, const AccessPolicy& policy) {
  return tier_of(method) == Tier::read_only || is_operator(peer, policy);
}

std::string denial_message(std::string_view method, const AccessPolicy& policy) {
  return "'" + std::string(method) + "' needs root, the daemon's user or membership of group '" +
         policy.operators_group +
         "'; every user of the socket may use ping, status, list, show, runs, errors and audit";
}

std::optional<std::string> policy_warning(const AccessPolicy& policy) {
  if (policy.operators_gid) {
    return std::nullopt;
  }
  return policy.unresolved_reason + ": only root and the daemon's user (uid " +
         std::to_string(policy.daemon_uid) +
         ") may use the commands that change state; create the group or set "
         "admin.operators_group";
}

AccessPolicy load_access_policy(const std::string& operators_group) {
  AccessPolicy policy{static_cast<int>(::geteuid()), operators_group, std::nullopt, {}};
  std::vector<char> buffer(4096);
  group entry{};
  group* found = nullptr;
  int error = 0;
  while ((error = ::getgrnam_r(operators_group.c_str(), &entry, buffer.data(), buffer.size(),
                               &found)) == ERANGE &&
         buffer.size() < k_max_group_buffer) {
    buffer.resize(buffer.size() * 2);
  }
  if (found != nullptr) {
    policy.operators_gid = static_cast<int>(found->gr_gid);
  } else if (error == 0 || error == ENOENT || error == ESRCH) {
    policy.unresolved_reason = "the operators group '" + operators_group + "' does not exist";
  } else {
    policy.unresolved_reason =
        "cannot look up the operators group '" + operators_group + "': " + std::strerror(error);
  }
  return policy;
}

}  // namespace emsync::admin
