#include "daemon/cli/preset_commands.h"

#include <charconv>
#include <iostream>

#include "daemon/cli/client_common.h"
#include "daemon/cli/preset_plan.h"
#include "daemon/cli/terminal_text.h"
#include "daemon/core/preset/diff.h"
#include "sparkd/v1/presets.grpc.pb.h"

namespace sparkd::cli {
namespace {

const char* kPresetsUsage =
    "usage: sparkd presets COMMAND  (token in SPARKD_TOKEN)\n\n"
    "  apply DIR [--team T] [--dry-run] [--prune]\n"
    "                                     sync DIR/JOB_TYPE.yaml files to the daemon: prints\n"
    "                                     the plan, then writes changed presets (admins);\n"
    "                                     --prune also deletes presets that have no file\n"
    "  list [TEAM]                        latest version of each preset\n"
    "  get TEAM JOB_TYPE [--version N]    a preset's YAML (default: the latest version)\n"
    "  history TEAM JOB_TYPE              every version: when, by whom, what it changed\n"
    "  diff TEAM JOB_TYPE V1 V2           what changed between two versions\n"
    "  delete TEAM JOB_TYPE --expected-version N   write a tombstone version (admin)\n"
    "  --server HOST:PORT  the daemon (env SPARKD_SERVER, default 127.0.0.1:9741)\n";

std::unique_ptr<v1::PresetService::Stub> Stub(const ParsedFlags& flags) {
  return v1::PresetService::NewStub(DaemonChannel(flags));
}

StatusOr<int64_t> ParseVersion(const std::string& text, const std::string& what) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    return InvalidArgument(what + ": \"" + text + "\" is not a version number");
  }
  return value;
}

int List(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, {}, kPresetsUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kPresetsUsage);
  v1::ListPresetsRequest request;
  if (!flags->positional.empty()) request.set_team(flags->positional[0]);
  v1::ListPresetsResponse response;
  auto status = Stub(*flags)->ListPresets(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  for (const auto& p : response.presets()) {
    std::cout << TerminalText(p.ref().team()) << "\t" << TerminalText(p.ref().job_type()) << "\tv"
              << p.ref().version() << "\t" << TerminalText(p.author()) << "\n";
  }
  return 0;
}

StatusOr<v1::Preset> Fetch(const ParsedFlags& flags, const std::string& team,
                           const std::string& job_type, int64_t version) {
  v1::GetPresetRequest request;
  request.set_team(team);
  request.set_job_type(job_type);
  request.set_version(version);
  v1::GetPresetResponse response;
  auto status = Stub(flags)->GetPreset(AuthorizedContext().get(), request, &response);
  if (!status.ok())
    return Status(static_cast<StatusCode>(status.error_code()), status.error_message());
  return response.preset();
}

int Get(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, FlagSpec{{"version"}, {}, {}}, kPresetsUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kPresetsUsage);
  if (flags->positional.size() != 2) {
    return UsageExit(InvalidArgument("TEAM and JOB_TYPE: required"), kPresetsUsage);
  }
  auto version = ParseVersion(flags->Get("version").value_or("0"), "--version");
  if (!version.ok()) return UsageExit(version.status(), kPresetsUsage);
  auto preset = Fetch(*flags, flags->positional[0], flags->positional[1], *version);
  if (!preset.ok())
    return ReportError(grpc::Status(static_cast<grpc::StatusCode>(preset.status().code()),
                                    preset.status().message()),
                       *flags);
  std::cerr << "# " << TerminalText(preset->ref().team()) << "/"
            << TerminalText(preset->ref().job_type()) << " v" << preset->ref().version() << " by "
            << TerminalText(preset->author()) << (preset->deleted() ? " (deleted)" : "") << "\n";
  // The YAML is data: raw into a file, as `presets apply` reads it back; escaped on a screen.
  std::cout << (StdoutIsTerminal() ? TerminalText(preset->yaml(), Newlines::kKeep)
                                   : preset->yaml());
  return 0;
}

int Diff(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, {}, kPresetsUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kPresetsUsage);
  if (flags->positional.size() != 4) {
    return UsageExit(InvalidArgument("TEAM JOB_TYPE V1 V2: required"), kPresetsUsage);
  }
  const auto& p = flags->positional;
  std::vector<Preset> sides;
  for (const std::string& text : {p[2], p[3]}) {
    auto version = ParseVersion(text, "version");
    if (!version.ok()) return UsageExit(version.status(), kPresetsUsage);
    auto fetched = Fetch(*flags, p[0], p[1], *version);
    StatusOr<Preset> parsed = fetched.ok() ? PresetFromStored(*fetched) : fetched.status();
    if (!parsed.ok()) {
      std::cerr << "sparkd: v" << TerminalText(text) << ": "
                << TerminalText(parsed.status().message(), Newlines::kKeep) << "\n";
      return 1;
    }
    sides.push_back(std::move(*parsed));
  }
  auto changes = DiffPresets(sides[0], sides[1]);
  if (changes.empty()) std::cout << "no changes\n";
  std::cout << TerminalText(FormatChanges(changes), Newlines::kKeep);
  return 0;
}

int History(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, {}, kPresetsUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kPresetsUsage);
  if (flags->positional.size() != 2) {
    return UsageExit(InvalidArgument("TEAM and JOB_TYPE: required"), kPresetsUsage);
  }
  v1::ListPresetVersionsRequest request;
  request.set_team(flags->positional[0]);
  request.set_job_type(flags->positional[1]);
  v1::ListPresetVersionsResponse response;
  auto status = Stub(*flags)->ListPresetVersions(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  auto table = FormatHistory({response.versions().begin(), response.versions().end()});
  if (!table.ok()) {
    std::cerr << "sparkd: " << TerminalText(table.status().message(), Newlines::kKeep) << "\n";
    return 1;
  }
  std::cout << TerminalText(*table, Newlines::kKeep);
  return 0;
}

int Delete(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, FlagSpec{{"expected-version"}, {}, {}}, kPresetsUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kPresetsUsage);
  if (flags->positional.size() != 2 || !flags->Get("expected-version")) {
    return UsageExit(InvalidArgument("TEAM JOB_TYPE --expected-version N: required"),
                     kPresetsUsage);
  }
  auto version = ParseVersion(*flags->Get("expected-version"), "--expected-version");
  if (!version.ok()) return UsageExit(version.status(), kPresetsUsage);
  v1::DeletePresetRequest request;
  request.set_team(flags->positional[0]);
  request.set_job_type(flags->positional[1]);
  request.set_expected_version(*version);
  v1::DeletePresetResponse response;
  auto status = Stub(*flags)->DeletePreset(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  std::cout << "deleted " << TerminalText(request.job_type()) << " (tombstone v"
            << response.preset().ref().version() << ")\n";
  return 0;
}

}  // namespace

int RunPresets(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << kPresetsUsage;
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "apply") return RunPresetsApply(rest, kPresetsUsage);
  if (args[0] == "list") return List(rest);
  if (args[0] == "get") return Get(rest);
  if (args[0] == "diff") return Diff(rest);
  if (args[0] == "history") return History(rest);
  if (args[0] == "delete") return Delete(rest);
  if (args[0] == "--help" || args[0] == "help") {
    std::cout << kPresetsUsage;
    return 0;
  }
  return UsageExit(InvalidArgument("unknown presets command \"" + args[0] + "\""), kPresetsUsage);
}

}  // namespace sparkd::cli
