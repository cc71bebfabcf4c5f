// AdminService: teams and tokens.
//
// Access (PERMISSION_DENIED otherwise):
// - a platform admin does everything, for every team;
// - a team admin lists its own team, and creates, lists and revokes its own team's member and
//   team-admin tokens; it cannot create teams, mint a platform admin or touch another team's
//   tokens (another team's token is NOT_FOUND to it, as if it did not exist);
// - a member does nothing here.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/caller.h"
#include "daemon/core/status.h"
#include "daemon/core/team_store.h"

namespace sparkd {

class AdminService {
 public:
  // `teams` must outlive the service.
  explicit AdminService(TeamStore* teams) : teams_(teams) {}

  // Platform admins only. The namespaces are validated (ValidateTeamNamespaces) and must
  // belong to no other team (FAILED_PRECONDITION naming the namespace and its team).
  StatusOr<Team> CreateTeam(const Caller& caller, const Team& team);
  // Every team for a platform admin; a team admin's own team.
  StatusOr<std::vector<Team>> ListTeams(const Caller& caller);

  // The token's plaintext is in the result and nowhere else; callers must not log it.
  // `description` is optional; see ValidateTokenDescription.
  StatusOr<IssuedToken> CreateToken(const Caller& caller, const std::string& team, Role role,
                                    const std::string& description);
  // The tokens of `team` ("" = every team for a platform admin, the caller's own for a team
  // admin), revoked ones included; never a secret or its hash. NOT_FOUND for a team that does
  // not exist.
  StatusOr<std::vector<TokenInfo>> ListTokens(const Caller& caller, const std::string& team);
  // Idempotent (see TeamStore::RevokeToken); NOT_FOUND for an unknown id.
  StatusOr<TokenInfo> RevokeToken(const Caller& caller, const std::string& token_id);

 private:
  TeamStore* teams_;
};

}  // namespace sparkd
