#include "daemon/cli/admin_commands.h"

#include <iostream>

#include "daemon/cli/admin_printer.h"
#include "daemon/cli/client_common.h"
#include "daemon/cli/job_printer.h"
#include "sparkd/v1/presets.grpc.pb.h"

namespace sparkd::cli {
namespace {

const char* kAdminUsage =
    "usage: sparkd admin COMMAND  (with an admin token in SPARKD_TOKEN)\n\n"
    "  create-team NAME [--namespace NS]...    a team, with the namespaces its jobs may use\n"
    "  list-teams                              every team and its namespaces\n"
    "  create-token TEAM [--role member|admin] [--description TEXT]\n"
    "                                          a token for TEAM, printed once on stdout;\n"
    "                                          TEXT says what it is for (200 characters)\n"
    "  list-tokens [--team T]                  tokens (revoked ones too), never their secret\n"
    "  revoke-token ID                         the token stops working at once (within 5 s\n"
    "                                          on other replicas); revoking twice is fine\n"
    "  --server HOST:PORT  the daemon (env SPARKD_SERVER, default 127.0.0.1:9741)\n";

std::unique_ptr<v1::AdminService::Stub> Stub(const ParsedFlags& flags) {
  return v1::AdminService::NewStub(DaemonChannel(flags));
}

int CreateTeam(const std::vector<std::string>& args) {
  FlagSpec spec;
  spec.valued = {"namespace"};
  spec.repeated = {"namespace"};
  auto flags = ParseCommandFlags(args, spec, kAdminUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kAdminUsage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("NAME: required"), kAdminUsage);
  v1::CreateTeamRequest request;
  request.set_name(flags->positional[0]);
  if (auto it = flags->values.find("namespace"); it != flags->values.end()) {
    for (const auto& ns : it->second) request.add_namespaces(ns);
  }
  v1::CreateTeamResponse response;
  auto status = Stub(*flags)->CreateTeam(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  std::cout << "team " << response.name() << " created\n";
  return 0;
}

int ListTeams(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, {}, kAdminUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kAdminUsage);
  if (!flags->positional.empty()) {
    return UsageExit(InvalidArgument("unexpected argument \"" + flags->positional[0] + "\""),
                     kAdminUsage);
  }
  v1::ListTeamsResponse response;
  auto status = Stub(*flags)->ListTeams(AuthorizedContext().get(), {}, &response);
  if (!status.ok()) return ReportError(status, *flags);
  PrintTeamTable(response.teams(), std::cout);
  return 0;
}

int CreateToken(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, FlagSpec{{"role", "description"}, {}, {}}, kAdminUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kAdminUsage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("TEAM: required"), kAdminUsage);
  std::string role = flags->Get("role").value_or("member");
  if (role != "member" && role != "admin") {
    return UsageExit(InvalidArgument("--role: \"" + role + "\" is not member or admin"),
                     kAdminUsage);
  }
  v1::CreateTokenRequest request;
  request.set_team(flags->positional[0]);
  request.set_role(role == "admin" ? v1::ROLE_ADMIN : v1::ROLE_MEMBER);
  request.set_description(flags->Get("description").value_or(""));
  v1::CreateTokenResponse response;
  auto status = Stub(*flags)->CreateToken(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  // The token alone on stdout, so `TOKEN=$(sparkd admin create-token blue)` works; the rest
  // on stderr.
  std::cerr << "token " << response.token_id() << " (" << role << " of team "
            << response.team() << "); it is shown only this once:\n";
  std::cout << response.token() << "\n";
  return 0;
}

int ListTokens(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, FlagSpec{{"team"}, {}, {}}, kAdminUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kAdminUsage);
  if (!flags->positional.empty()) {
    return UsageExit(InvalidArgument("unexpected argument \"" + flags->positional[0] +
                                     "\"; filter by team with --team"),
                     kAdminUsage);
  }
  v1::ListTokensRequest request;
  request.set_team(flags->Get("team").value_or(""));
  v1::ListTokensResponse response;
  auto status = Stub(*flags)->ListTokens(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  PrintTokenTable(response.tokens(), std::cout);
  return 0;
}

int RevokeToken(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, {}, kAdminUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kAdminUsage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("ID: required"), kAdminUsage);
  v1::RevokeTokenRequest request;
  request.set_token_id(flags->positional[0]);
  v1::RevokeTokenResponse response;
  auto status = Stub(*flags)->RevokeToken(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  const auto& token = response.token();
  std::cout << "token " << token.id() << " (" << RoleText(token.role()) << " of team "
            << token.team() << ") revoked at " << TimeText(token.revoked_at()) << "\n";
  return 0;
}

}  // namespace

int RunAdmin(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << kAdminUsage;
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "create-team") return CreateTeam(rest);
  if (args[0] == "list-teams") return ListTeams(rest);
  if (args[0] == "create-token") return CreateToken(rest);
  if (args[0] == "list-tokens") return ListTokens(rest);
  if (args[0] == "revoke-token") return RevokeToken(rest);
  if (args[0] == "--help" || args[0] == "help") {
    std::cout << kAdminUsage;
    return 0;
  }
  return UsageExit(InvalidArgument("unknown admin command \"" + args[0] + "\""), kAdminUsage);
}

}  // namespace sparkd::cli
