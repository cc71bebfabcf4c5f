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

StatusOr<std::vector<Team>> AdminService::ListTeams(const Caller& caller) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  return teams_->ListTeams();
}

StatusOr<IssuedToken> AdminService::CreateToken(const Caller& caller, const std::string& team,
                                                Role role, const std::string& description) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  if (team.empty()) return InvalidArgument("team: required");
  RETURN_IF_ERROR(ValidateTokenDescription(description));
  return teams_->CreateToken(team, role, description);
}

StatusOr<std::vector<TokenInfo>> AdminService::ListTokens(const Caller& caller,
                                                          const std::string& team) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  ASSIGN_OR_RETURN(auto tokens, teams_->ListTokens(team));
  // An empty list for a misspelt team would read as "no tokens": say the team is unknown.
  if (tokens.empty() && !team.empty()) RETURN_IF_ERROR(teams_->GetTeam(team).status());
  return tokens;
}

StatusOr<TokenInfo> AdminService::RevokeToken(const Caller& caller, const std::string& token_id) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  if (token_id.empty()) return InvalidArgument("token_id: required");
  return teams_->RevokeToken(token_id);
}

}  // namespace sparkd
