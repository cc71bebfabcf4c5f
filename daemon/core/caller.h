// Who is calling: the team and role of the caller's token, set by the API edge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sparkd {

// What a token may do. Each role can do everything the one before it can, within its reach.
enum class Role {
  // Submits, sees and cancels its own team's jobs; reads its own team's presets.
  kMember,
  // A member that also manages its own team's presets and tokens (member and team-admin
  // tokens of its own team). It cannot create teams, choose namespaces or act on another team.
  kTeamAdmin,
  // Manages teams and every team's tokens and presets, and sees every team's jobs. The
  // bootstrap admin token is one.
  kPlatformAdmin,
};

struct Caller {
  std::string team;
  Role role = Role::kMember;
  std::string principal;  // the token's id: recorded as the author of what the caller writes
  // The team's Kubernetes namespaces; its jobs run in one of them, the first by default.
  // Empty: the team is not held to any.
  std::vector<std::string> namespaces;

  bool IsPlatformAdmin() const { return role == Role::kPlatformAdmin; }
  // Manages `other`'s presets and tokens: a platform admin, or a team admin of `other`.
  bool Administers(std::string_view other) const {
    return IsPlatformAdmin() || (role == Role::kTeamAdmin && other == team);
  }
};

}  // namespace sparkd
