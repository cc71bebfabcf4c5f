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
  // The token's plaintext is in the result and nowhere else; callers must not log it.
  StatusOr<IssuedToken> CreateToken(const Caller& caller, const std::string& team, Role role);

 private:
  TeamStore* teams_;
};

}  // namespace sparkd
