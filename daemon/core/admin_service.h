// AdminService: teams and tokens, for admins only (PERMISSION_DENIED for members).
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

  StatusOr<Team> CreateTeam(const Caller& caller, const Team& team);
  StatusOr<std::vector<Team>> ListTeams(const Caller& caller);

  // The token's plaintext is in the result and nowhere else; callers must not log it.
  // `description` is optional; see ValidateTokenDescription.
  StatusOr<IssuedToken> CreateToken(const Caller& caller, const std::string& team, Role role,
                                    const std::string& description);
  // The tokens of `team` ("" = every team), revoked ones included; never a secret or its hash.
  // NOT_FOUND for a team that does not exist.
  StatusOr<std::vector<TokenInfo>> ListTokens(const Caller& caller, const std::string& team);
  // Idempotent (see TeamStore::RevokeToken); NOT_FOUND for an unknown id.
  StatusOr<TokenInfo> RevokeToken(const Caller& caller, const std::string& token_id);

 private:
  TeamStore* teams_;
};

}  // namespace sparkd
