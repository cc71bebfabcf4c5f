#include "daemon/cli/preset_plan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "daemon/cli/client_common.h"
#include "daemon/cli/job_printer.h"
#include "daemon/cli/terminal_text.h"
#include "sparkd/v1/presets.grpc.pb.h"

namespace sparkd::cli {
namespace {

namespace fs = std::filesystem;

StatusOr<std::map<std::string, std::string>> ReadPresetFiles(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return InvalidArgument(dir + ": not a directory");
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
    std::string job_type = entry.path().stem().string();
    if (files.contains(job_type)) {
      return InvalidArgument(dir + ": two files for job type " + job_type);
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    files[job_type] = text.str();
  }
  if (error) return InvalidArgument(dir + ": " + error.message());
  return files;
}

const char* ActionName(PlanStep::Action action) {
  switch (action) {
    case PlanStep::Action::kCreate:
      return "create";
    case PlanStep::Action::kUpdate:
      return "update";
    case PlanStep::Action::kUnchanged:
      return "unchanged";
    case PlanStep::Action::kDelete:
      return "delete";
    case PlanStep::Action::kDeleteNotDone:
      return "delete-not-done";
  }
  return "?";
}

}  // namespace

StatusOr<Preset> PresetFromStored(const v1::Preset& stored) {
  if (stored.deleted()) return Preset{};
  auto body = nlohmann::json::parse(stored.body_json(), nullptr, false);
  return PresetFromJson(body);
}

StatusOr<std::vector<PlanStep>> MakePlan(const std::string& dir,
                                         const std::vector<v1::Preset>& remote, bool prune) {
  ASSIGN_OR_RETURN(auto files, ReadPresetFiles(dir));
  std::map<std::string, const v1::Preset*> by_type;
  for (const auto& p : remote) by_type[p.ref().job_type()] = &p;
  std::vector<PlanStep> writes;
  for (const auto& [job_type, yaml] : files) {
    PlanStep step;
    step.job_type = job_type;
    step.yaml = yaml;
    auto parsed = ParsePreset(yaml);
    if (!parsed.ok()) return parsed.status().WithContext(job_type + ".yaml");
    step.preset = std::move(*parsed);
    if (auto it = by_type.find(job_type); it != by_type.end()) {
      step.current_version = it->second->ref().version();
      ASSIGN_OR_RETURN(Preset current, PresetFromStored(*it->second));
      step.changes = DiffPresets(current, step.preset);
      step.action = step.changes.empty() && current == step.preset ? PlanStep::Action::kUnchanged
                                                                   : PlanStep::Action::kUpdate;
    }
    if (prune && !step.preset.extends.empty() && !files.contains(step.preset.extends) &&
        by_type.contains(step.preset.extends)) {
      return InvalidArgument(job_type + ".yaml: extends " + step.preset.extends +
                             ", which has no file, so --prune would delete it");
    }
    writes.push_back(std::move(step));
  }
  std::vector<PlanStep> deletes;
  for (const auto& p : remote) {
    if (files.contains(p.ref().job_type())) continue;
    PlanStep step;
    step.action = prune ? PlanStep::Action::kDelete : PlanStep::Action::kDeleteNotDone;
    step.job_type = p.ref().job_type();
    step.current_version = p.ref().version();
    ASSIGN_OR_RETURN(step.preset, PresetFromStored(p));
    deletes.push_back(std::move(step));
  }
  // The daemon checks that a written preset's base exists and refuses to delete a base that
  // another preset extends.
  auto extends_nothing = [](const PlanStep& step) { return step.preset.extends.empty(); };
  std::stable_partition(writes.begin(), writes.end(), extends_nothing);
  std::stable_partition(deletes.begin(), deletes.end(), std::not_fn(extends_nothing));
  writes.insert(writes.end(), std::make_move_iterator(deletes.begin()),
                std::make_move_iterator(deletes.end()));
  return writes;
}

std::string FormatPlan(const std::vector<PlanStep>& plan) {
  std::ostringstream out;
  for (const auto& step : plan) {
    out << ActionName(step.action) << "\t" << step.job_type;
    if (step.current_version > 0) out << "\tv" << step.current_version;
    if (step.action == PlanStep::Action::kUpdate) out << " -> v" << step.current_version + 1;
    if (step.action == PlanStep::Action::kDeleteNotDone) {
      out << "\t(no file; --prune or `sparkd presets delete` removes it)";
    }
    out << "\n";
    if (step.action == PlanStep::Action::kUpdate) {
      std::istringstream lines(FormatChanges(step.changes));
      for (std::string line; std::getline(lines, line);) out << "    " << line << "\n";
    }
  }
  return out.str();
}

StatusOr<std::string> FormatHistory(const std::vector<v1::Preset>& versions) {
  std::ostringstream out;
  out << std::left << std::setw(9) << "VERSION" << std::setw(22) << "CREATED" << std::setw(24)
      << "AUTHOR"
      << "CHANGES\n";
  for (size_t i = 0; i < versions.size(); ++i) {
    const v1::Preset& version = versions[i];
    std::string changes;
    bool after_nothing = i + 1 == versions.size() || versions[i + 1].deleted();
    if (version.deleted()) {
      changes = "deleted";
    } else if (after_nothing) {
      changes = "created";
    } else {
      ASSIGN_OR_RETURN(Preset before, PresetFromStored(versions[i + 1]));
      ASSIGN_OR_RETURN(Preset after, PresetFromStored(version));
      for (const auto& change : DiffPresets(before, after)) {
        changes += (changes.empty() ? "" : ", ") + change.path;
      }
      if (changes.empty()) changes = "no field changed";
    }
    out << std::left << std::setw(9) << "v" + std::to_string(version.ref().version())
        << std::setw(22) << TimeText(version.created_at()) << std::setw(24) << version.author()
        << changes << "\n";
  }
  return out.str();
}

namespace {

bool Writes(const PlanStep& step) {
  return step.action == PlanStep::Action::kCreate || step.action == PlanStep::Action::kUpdate ||
         step.action == PlanStep::Action::kDelete;
}

// Sends one step of the plan: a put or a delete, or with `validate_only` its rehearsal. On a
// write, `version` gets the version written ("4", "5 (deleted)").
grpc::Status SendStep(v1::PresetService::Stub& stub, const std::string& team, const PlanStep& step,
                      bool validate_only, std::string* version) {
  if (step.action == PlanStep::Action::kDelete) {
    v1::DeletePresetRequest del;
    del.set_team(team);
    del.set_job_type(step.job_type);
    del.set_expected_version(step.current_version);
    del.set_validate_only(validate_only);
    v1::DeletePresetResponse deleted;
    grpc::Status status = stub.DeletePreset(AuthorizedContext().get(), del, &deleted);
    if (version) *version = std::to_string(deleted.preset().ref().version()) + " (deleted)";
    return status;
  }
  if (!Writes(step)) return grpc::Status::OK;
  v1::PutPresetRequest put;
  put.set_team(team);
  put.set_job_type(step.job_type);
  put.set_yaml(step.yaml);
  put.set_expected_version(step.current_version);
  put.set_validate_only(validate_only);
  v1::PutPresetResponse written;
  grpc::Status status = stub.PutPreset(AuthorizedContext().get(), put, &written);
  if (version) *version = std::to_string(written.preset().ref().version());
  return status;
}

}  // namespace

int RunPresetsApply(const std::vector<std::string>& args, const char* usage) {
  auto flags = ParseCommandFlags(args, FlagSpec{{"team"}, {"dry-run", "prune"}, {}}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("DIR: required"), usage);
  auto stub = v1::PresetService::NewStub(DaemonChannel(*flags));
  const std::string team = flags->Get("team").value_or("");
  v1::ListPresetsRequest list;
  list.set_team(team);
  v1::ListPresetsResponse listed;
  auto status = stub->ListPresets(AuthorizedContext().get(), list, &listed);
  if (!status.ok()) return ReportError(status, *flags);
  auto plan = MakePlan(flags->positional[0], {listed.presets().begin(), listed.presets().end()},
                       flags->Has("prune"));
  if (!plan.ok()) {
    std::cerr << "sparkd: " << TerminalText(plan.status().message(), Newlines::kKeep) << "\n";
    return kExitUsage;
  }
  // Every write is rehearsed first (the daemon's own checks, nothing written), so a token that
  // may not write these presets, or a preset the daemon would refuse, is said before the plan,
  // with --dry-run too.
  for (const auto& step : *plan) {
    status = SendStep(*stub, team, step, /*validate_only=*/true, nullptr);
    if (!status.ok()) {
      std::cerr << "sparkd: " << TerminalText(step.job_type)
                << ": would be refused; nothing applied\n";
      return ReportError(status, *flags);
    }
  }
  std::cout << TerminalText(FormatPlan(*plan), Newlines::kKeep);
  if (flags->Has("dry-run")) return 0;
  for (const auto& step : *plan) {
    std::string version;
    if (!Writes(step)) continue;
    status = SendStep(*stub, team, step, /*validate_only=*/false, &version);
    if (!status.ok()) {
      std::cerr << "sparkd: " << TerminalText(step.job_type) << ": not applied\n";
      return ReportError(status, *flags);
    }
    std::cout << "applied\t" << TerminalText(step.job_type) << "\tv" << version << "\n";
  }
  return 0;
}

}  // namespace sparkd::cli
