#include "daemon/core/admin_service.h"

namespace sparkd {
namespace {

Status RequirePlatformAdmin(const Caller& caller, std::string_view what) {
  if (caller.IsPlatformAdmin()) return Status::Ok();
  return PermissionDenied("only platform admins " + std::string(what));
}

Status RequireAnyAdmin(const Caller& caller) {
  if (caller.role != Role::kMember) return Status::Ok();
  return PermissionDenied("only admins manage teams and tokens; this is a member token");
}

// The same answer whether `team` exists or not, so a team admin learns no other team's name.
Status RequireOwnTeam(const Caller& caller, const std::string& team) {
  if (caller.Administers(team)) return Status::Ok();
  return PermissionDenied("a team admin manages only its own team's tokens (team " + caller.team +
                          ")");
}

}  // namespace

StatusOr<Team> AdminService::CreateTeam(const Caller& caller, const Team& team) {
  RETURN_IF_ERROR(RequirePlatformAdmin(caller, "create teams"));
  RETURN_IF_ERROR(ValidateTeamName(team.name));
  RETURN_IF_ERROR(ValidateTeamNamespaces(team.namespaces));
  RETURN_IF_ERROR(teams_->CreateTeam(team));
  return team;
}

StatusOr<std::vector<Team>> AdminService::ListTeams(const Caller& caller) {
  RETURN_IF_ERROR(RequireAnyAdmin(caller));
  if (caller.IsPlatformAdmin()) return teams_->ListTeams();
  ASSIGN_OR_RETURN(Team own, teams_->GetTeam(caller.team));
  return std::vector<Team>{std::move(own)};
}

StatusOr<IssuedToken> AdminService::CreateToken(const Caller& caller, const std::string& team,
                                                Role role, const std::string& description) {
  RETURN_IF_ERROR(RequireAnyAdmin(caller));
  if (team.empty()) return InvalidArgument("team: required");
  RETURN_IF_ERROR(RequireOwnTeam(caller, team));
  if (role == Role::kPlatformAdmin) {
    RETURN_IF_ERROR(RequirePlatformAdmin(caller, "create platform-admin tokens"));
  }
  RETURN_IF_ERROR(ValidateTokenDescription(description));
  return teams_->CreateToken(team, role, description);
}

StatusOr<std::vector<TokenInfo>> AdminService::ListTokens(const Caller& caller,
                                                          const std::string& team) {
  RETURN_IF_ERROR(RequireAnyAdmin(caller));
  const std::string scope = team.empty() && !caller.IsPlatformAdmin() ? caller.team : team;
  if (!scope.empty()) RETURN_IF_ERROR(RequireOwnTeam(caller, scope));
  ASSIGN_OR_RETURN(auto tokens, teams_->ListTokens(scope));
  // An empty list for a misspelt team would read as "no tokens": say the team is unknown.
  if (tokens.empty() && !scope.empty()) RETURN_IF_ERROR(teams_->GetTeam(scope).status());
  return tokens;
}

StatusOr<TokenInfo> AdminService::RevokeToken(const Caller& caller, const std::string& token_id) {
  RETURN_IF_ERROR(RequireAnyAdmin(caller));
  if (token_id.empty()) return InvalidArgument("token_id: required");
  if (!caller.IsPlatformAdmin()) {
    // Team and role of a token never change, so checking before revoking is not a race.
    auto token = teams_->GetToken(token_id);
    if (token.ok() && token->team != caller.team)
      token = NotFound("token " + token_id + " not found");
    if (!token.ok()) return token.status();
    if (token->role == Role::kPlatformAdmin) {
      return PermissionDenied("only platform admins revoke platform-admin tokens");
    }
  }
  return teams_->RevokeToken(token_id);
}

}  // namespace sparkd
