#include "daemon/cli/admin_commands.h"

#include <iostream>

#include "daemon/cli/admin_printer.h"
#include "daemon/cli/client_common.h"
#include "daemon/cli/job_printer.h"
#include "daemon/cli/link_key_commands.h"
#include "daemon/cli/terminal_text.h"
#include "sparkd/v1/presets.grpc.pb.h"

namespace sparkd::cli {
namespace {

const char* kAdminUsage =
    "usage: sparkd admin COMMAND  (with an admin token in SPARKD_TOKEN)\n\n"
    "  create-team NAME [--namespace NS]...    a team, with the namespaces its jobs may use\n"
    "                                          (a namespace belongs to one team; platform admin)\n"
    "  list-teams                              every team and its namespaces\n"
    "  create-token TEAM [--role ROLE] [--description TEXT]\n"
    "                                          a token for TEAM, printed once on stdout;\n"
    "                                          TEXT says what it is for (200 characters)\n"
    "      ROLE: member (default)  submits, sees and cancels the team's jobs, reads its presets\n"
    "            team-admin        also manages the team's presets and tokens\n"
    "            platform-admin    manages every team (only a platform admin may create one)\n"
    "  list-tokens [--team T]                  tokens (revoked ones too), never their secret\n"
    "  revoke-token ID                         the token stops working at once (within 5 s\n"
    "                                          on other replicas); revoking twice is fine\n"
    "  rotate-link-key [--retire-older-than DURATION]\n"
    "                                          a new key signs the job links from now on;\n"
    "                                          links signed by keys older than DURATION\n"
    "                                          (7d, 12h; 0s = every older key) stop working\n"
    "  list-link-keys                          link signing keys: ids, never the keys\n"
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
  if (flags->positional.size() != 1)
    return UsageExit(InvalidArgument("NAME: required"), kAdminUsage);
  v1::CreateTeamRequest request;
  request.set_name(flags->positional[0]);
  if (auto it = flags->values.find("namespace"); it != flags->values.end()) {
    for (const auto& ns : it->second) request.add_namespaces(ns);
  }
  v1::CreateTeamResponse response;
  auto status = Stub(*flags)->CreateTeam(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  std::cout << "team " << TerminalText(response.name()) << " created\n";
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
  if (flags->positional.size() != 1)
    return UsageExit(InvalidArgument("TEAM: required"), kAdminUsage);
  std::string role = flags->Get("role").value_or("member");
  std::optional<v1::Role> parsed;
  for (v1::Role known : {v1::ROLE_MEMBER, v1::ROLE_TEAM_ADMIN, v1::ROLE_PLATFORM_ADMIN}) {
    if (role == RoleText(known)) parsed = known;
  }
  if (!parsed) {
    // "admin" is refused rather than guessed: it used to mean every team.
    return UsageExit(
        InvalidArgument("--role: \"" + role + "\" is not member, team-admin or platform-admin"),
        kAdminUsage);
  }
  v1::CreateTokenRequest request;
  request.set_team(flags->positional[0]);
  request.set_role(*parsed);
  request.set_description(flags->Get("description").value_or(""));
  v1::CreateTokenResponse response;
  auto status = Stub(*flags)->CreateToken(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  // The token alone on stdout, so `TOKEN=$(sparkd admin create-token blue)` works; the rest
  // on stderr.
  // What the daemon granted, from its answer, not from the flag.
  std::cerr << "token " << TerminalText(response.token_id()) << ": "
            << TerminalText(RoleReach(response.role(), response.team()))
            << ". It is shown only this once:\n";
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
  std::cout << "token " << TerminalText(token.id()) << " (" << RoleText(token.role()) << ", team "
            << TerminalText(token.team()) << ") revoked at " << TimeText(token.revoked_at())
            << "\n";
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
  if (args[0] == "rotate-link-key") return RotateLinkKey(rest, kAdminUsage);
  if (args[0] == "list-link-keys") return ListLinkKeys(rest, kAdminUsage);
  if (args[0] == "--help" || args[0] == "help") {
    std::cout << kAdminUsage;
    return 0;
  }
  return UsageExit(InvalidArgument("unknown admin command \"" + args[0] + "\""), kAdminUsage);
}

}  // namespace sparkd::cli
