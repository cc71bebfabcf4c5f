#include "daemon/core/preset_service.h"

#include <algorithm>
#include <deque>

#include "daemon/core/preset/spark_conf.h"

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
  if (caller.IsPlatformAdmin()) return team;
  // Not PERMISSION_DENIED: a member must not learn which other teams exist.
  return NotFound("team " + team + " not found");
}

StatusOr<std::string> PresetService::WriteScope(const Caller& caller,
                                                const std::string& team) const {
  if (caller.role == Role::kMember) {
    return PermissionDenied("only admins may write presets; this is a member token");
  }
  std::string scope = team.empty() ? caller.team : team;
  // The same answer whether `scope` exists or not: a team admin learns no other team's name.
  if (!caller.Administers(scope)) {
    return PermissionDenied("a team admin writes only its own team's presets (team " + caller.team +
                            ")");
  }
  return scope;
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

Status PresetService::CheckTeamNamespace(const Caller& caller, const std::string& team,
                                         const JobSpec& spec) const {
  if (!spec.namespace_name) return Status::Ok();
  const std::string& name = *spec.namespace_name;
  ASSIGN_OR_RETURN(Team found, teams_->GetTeam(team));
  if (!found.namespaces.empty()) {
    std::string refusal = NamespaceRefusal(name, team, found.namespaces);
    if (refusal.empty()) return Status::Ok();
    return InvalidArgument("namespace: " + refusal);
  }
  if (!caller.IsPlatformAdmin()) {
    return PermissionDenied("namespace: team " + team +
                            " has no namespaces of its own; only a platform admin may choose one");
  }
  ASSIGN_OR_RETURN(std::string owner, teams_->NamespaceOwner(name));
  if (!owner.empty() && owner != team) {
    return FailedPrecondition("namespace: \"" + name + "\" belongs to team " + owner);
  }
  return Status::Ok();
}

namespace {

// What only a platform admin may put in a preset: the keys and volumes that would let the
// team's jobs leave its sandbox.
Status CheckSandboxKeys(const Caller& caller, const Preset& preset) {
  if (caller.IsPlatformAdmin()) return Status::Ok();
  for (const auto& [key, value] : preset.spec.conf) {
    if (auto reason = SandboxReason(key)) {
      return PermissionDenied(MapEntryPath("conf", key) + ": " + *reason +
                              "; only a platform admin may set it in a preset");
    }
  }
  for (size_t i = 0; i < preset.spec.volumes.size(); ++i) {
    if (preset.spec.volumes[i].source.contains("hostPath")) {
      return PermissionDenied("volumes[" + std::to_string(i) +
                              "]: a hostPath volume mounts a path of the node; only a platform "
                              "admin may set it in a preset");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> PresetService::CheckPut(const Caller& caller, const std::string& team,
                                              const std::string& job_type, const std::string& yaml,
                                              int64_t expected_version, Preset* parsed) {
  ASSIGN_OR_RETURN(std::string scope, WriteScope(caller, team));
  RETURN_IF_ERROR(ValidateJobType(job_type));
  if (expected_version < 0) return InvalidArgument("expected_version: must not be negative");
  ASSIGN_OR_RETURN(Preset preset, ParsePreset(yaml));
  if (preset.extends == job_type) return InvalidArgument("extends: a preset cannot extend itself");
  RETURN_IF_ERROR(CheckSandboxKeys(caller, preset));
  RETURN_IF_ERROR(CheckTeamNamespace(caller, scope, preset.spec));
  if (parsed) *parsed = std::move(preset);
  return scope;
}

StatusOr<StoredPresetPtr> PresetService::Put(const Caller& caller, const std::string& team,
                                             const std::string& job_type, const std::string& yaml,
                                             int64_t expected_version) {
  Preset preset;
  ASSIGN_OR_RETURN(std::string scope,
                   CheckPut(caller, team, job_type, yaml, expected_version, &preset));
  PresetWrite write{
      scope, job_type, expected_version, caller.principal, clock_->Now(), std::move(preset), yaml};
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

StatusOr<std::string> PresetService::CheckDelete(const Caller& caller, const std::string& team,
                                                 const std::string& job_type,
                                                 int64_t expected_version) {
  ASSIGN_OR_RETURN(std::string scope, WriteScope(caller, team));
  RETURN_IF_ERROR(ValidateJobType(job_type));
  if (expected_version <= 0) return InvalidArgument("expected_version: the version to delete");
  return scope;
}

StatusOr<StoredPresetPtr> PresetService::Delete(const Caller& caller, const std::string& team,
                                                const std::string& job_type,
                                                int64_t expected_version) {
  ASSIGN_OR_RETURN(std::string scope, CheckDelete(caller, team, job_type, expected_version));
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
  if (caller.namespaces.empty() && resolved->spec.namespace_name) {
    // A team held to no namespace still may not run in one that another team owns (it may
    // have been claimed after the preset naming it was written).
    ASSIGN_OR_RETURN(std::string owner, teams_->NamespaceOwner(*resolved->spec.namespace_name));
    if (!owner.empty() && owner != team) {
      return FailedPrecondition("namespace: \"" + *resolved->spec.namespace_name +
                                "\" belongs to another team, set by " +
                                resolved->provenance["namespace"]);
    }
  }
  return resolved;
}

}  // namespace sparkd
