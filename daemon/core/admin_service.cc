#include "daemon/core/admin_service.h"

namespace sparkd {
namespace {

Status RequireAdmin(const Caller& caller) {
  if (caller.admin) return Status::Ok();
  return PermissionDenied("only admins manage teams and tokens");
}

}  // namespace

StatusOr<Team> AdminService::CreateTeam(const Caller& caller, const Team& team) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  RETURN_IF_ERROR(ValidateTeamName(team.name));
  RETURN_IF_ERROR(teams_->CreateTeam(team));
  return team;
}

StatusOr<IssuedToken> AdminService::CreateToken(const Caller& caller, const std::string& team,
                                                Role role) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  if (team.empty()) return InvalidArgument("team: required");
  return teams_->CreateToken(team, role);
}

}  // namespace sparkd
