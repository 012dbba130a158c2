// Who may call which admin method (PROTOCOL.md, "Transport"): two tiers, decided
// by the peer's credentials as the kernel reported them when it connected
// (SO_PEERCRED, SO_PEERGROUPS), never by anything the client sends.
//
//   Tier::read_only  ping, status, list, show, runs, errors, audit: every
//                    user who can open the socket.
//   Tier::operators  everything else, unknown methods included (default
//                    deny): root, the daemon's own uid, and members of the
//                    operators group (primary or supplementary group).
//
// Pure, except load_access_policy (getgrnam_r).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "admin/protocol.hpp"

namespace emsync::admin {

enum class Tier { read_only, operators };

// The one method -> tier table: the read-only methods are listed, any other
// name needs an operator.
Tier tier_of(std::string_view method);

struct AccessPolicy {
  int daemon_uid = 0;
  std::string operators_group;       // its name, for messages
  std::optional<int> operators_gid;  // nullopt: the group could not be resolved
  std::string unresolved_reason;     // why, when operators_gid is nullopt
};

// Root, the daemon's uid, or a member of the operators group.
bool is_operator(const Peer& peer, const AccessPolicy& policy);
bool may_call(std::string_view method, const Peer& peer, const AccessPolicy& policy);
// The reply message of a refused call, naming who may make it.
std::string denial_message(std::string_view method, const AccessPolicy& policy);
// A warning when the operators group could not be resolved (only root and
// the daemon's user are operators then); nullopt otherwise.
std::optional<std::string> policy_warning(const AccessPolicy& policy);

// The policy of this process (its effective uid) with `operators_group`
// resolved now. Never fails: a group that does not exist, or a lookup that
// fails, leaves operators_gid empty with the reason.
AccessPolicy load_access_policy(const std::string& operators_group);

}  // namespace emsync::admin
