#include "daemon/core/preset_service.h"

#include <algorithm>
#include <deque>

namespace sparkd {

Status ValidateJobType(std::string_view job_type) {
  if (job_type.empty() || job_type.size() > 63) {
    return InvalidArgument("job_type: must be 1 to 63 characters");
  }
  for (char c : job_type) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return InvalidArgument("job_type: \"" + std::string(job_type) +
                             "\" may contain only letters, digits, '_' and '-'");
    }
  }
  return Status::Ok();
}

StatusOr<std::string> PresetService::ReadScope(const Caller& caller,
                                               const std::string& team) const {
  if (team.empty() || team == caller.team) return caller.team;
  if (caller.admin) return team;
  // Not PERMISSION_DENIED: a member must not learn which other teams exist.
  return NotFound("team " + team + " not found");
}

StatusOr<std::string> PresetService::WriteScope(const Caller& caller,
                                                const std::string& team) const {
  if (!caller.admin) return PermissionDenied("only admins may write presets");
  return team.empty() ? caller.team : team;
}

namespace {

// Empty when `allowed` is empty (no restriction) or holds `name`; else why not.
std::string NamespaceRefusal(const std::string& name, const std::string& team,
                             const std::vector<std::string>& allowed) {
  if (allowed.empty() || std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
    return "";
  }
  std::string list;
  for (const auto& entry : allowed) list += (list.empty() ? "" : ", ") + entry;
  return "\"" + name + "\" is not a namespace of team " + team + " (it may use: " + list + ")";
}

Status PlaceInTeamNamespace(const Caller& caller, ResolvedJob& resolved) {
  if (caller.namespaces.empty()) return Status::Ok();
  auto& name = resolved.spec.namespace_name;
  if (!name) {
    name = caller.namespaces.front();
    resolved.provenance["namespace"] = "team " + caller.team;
    return Status::Ok();
  }
  std::string refusal = NamespaceRefusal(*name, caller.team, caller.namespaces);
  if (refusal.empty()) return Status::Ok();
  // A layer the team does not control (or the team's namespaces changed under a preset).
  return FailedPrecondition("namespace: " + refusal + ", set by " +
                            resolved.provenance["namespace"]);
}

}  // namespace

Status PresetService::CheckTeamNamespace(const std::string& team, const JobSpec& spec) const {
  if (!spec.namespace_name) return Status::Ok();
  ASSIGN_OR_RETURN(Team found, teams_->GetTeam(team));
  std::string refusal = NamespaceRefusal(*spec.namespace_name, team, found.namespaces);
  if (refusal.empty()) return Status::Ok();
  return InvalidArgument("namespace: " + refusal);
}

StatusOr<StoredPresetPtr> PresetService::Put(const Caller& caller, const std::string& team,
                                             const std::string& job_type,
                                             const std::string& yaml, int64_t expected_version) {
  ASSIGN_OR_RETURN(std::string scope, WriteScope(caller, team));
  RETURN_IF_ERROR(ValidateJobType(job_type));
  if (expected_version < 0) return InvalidArgument("expected_version: must not be negative");
  ASSIGN_OR_RETURN(Preset preset, ParsePreset(yaml));
  if (preset.extends == job_type) return InvalidArgument("extends: a preset cannot extend itself");
  RETURN_IF_ERROR(CheckTeamNamespace(scope, preset.spec));
  PresetWrite write{scope, job_type, expected_version, caller.principal, clock_->Now(),
                    std::move(preset), yaml};
  return store_->Put(write);
}

StatusOr<StoredPresetPtr> PresetService::Get(const Caller& caller, const std::string& team,
                                             const std::string& job_type, int64_t version) {
  ASSIGN_OR_RETURN(std::string scope, ReadScope(caller, team));
  RETURN_IF_ERROR(ValidateJobType(job_type));
  if (version < 0) return InvalidArgument("version: must not be negative");
  return store_->Get(scope, job_type, version);
}

StatusOr<std::vector<StoredPresetPtr>> PresetService::List(const Caller& caller,
                                                           const std::string& team) {
  ASSIGN_OR_RETURN(std::string scope, ReadScope(caller, team));
  return store_->List(scope);
}

StatusOr<std::vector<StoredPresetPtr>> PresetService::History(const Caller& caller,
                                                              const std::string& team,
                                                              const std::string& job_type) {
  ASSIGN_OR_RETURN(std::string scope, ReadScope(caller, team));
  RETURN_IF_ERROR(ValidateJobType(job_type));
  ASSIGN_OR_RETURN(auto versions, store_->History(scope, job_type));
  if (versions.empty()) return NotFound("preset " + job_type + " not found");
  return versions;
}

StatusOr<StoredPresetPtr> PresetService::Delete(const Caller& caller, const std::string& team,
                                                const std::string& job_type,
                                                int64_t expected_version) {
  ASSIGN_OR_RETURN(std::string scope, WriteScope(caller, team));
  RETURN_IF_ERROR(ValidateJobType(job_type));
  if (expected_version <= 0) return InvalidArgument("expected_version: the version to delete");
  PresetWrite write{scope, job_type, expected_version, caller.principal, clock_->Now(), {}, ""};
  return store_->Delete(write);
}

StatusOr<ResolvedJob> PresetService::Resolve(const Caller& caller, const JobRequest& request) {
  const std::string& team = caller.team;
  // The store hands out shared, immutable presets; `held` keeps them alive while the core
  // resolver looks at their layers.
  std::deque<StoredPresetPtr> held;
  Status lookup_error;
  PresetLookup lookup = [&](std::string_view job_type) -> const PresetLayer* {
    auto found = store_->Get(team, std::string(job_type), 0);
    if (!found.ok()) {
      if (found.status().code() != StatusCode::kNotFound) lookup_error = found.status();
      return nullptr;
    }
    held.push_back(*found);
    return &held.back()->layer;
  };
  JobRequest effective = request;
  if (effective.job_type.empty() && lookup(kDefaultJobType) != nullptr) {
    effective.job_type = kDefaultJobType;
  }
  auto resolved = ResolveJob(defaults_.get(), lookup, effective);
  if (!lookup_error.ok()) return lookup_error;  // a store failure is not a bad request
  if (!resolved.ok()) return resolved;
  RETURN_IF_ERROR(PlaceInTeamNamespace(caller, *resolved));
  return resolved;
}

}  // namespace sparkd
