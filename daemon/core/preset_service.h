// PresetService: the domain operations behind the PresetService API, and resolving a job
// against its team's presets (used by JobService for SubmitJob and ResolveJob).
//
// Access: reads are for the preset's own team (another team's presets are NOT_FOUND, as if
// they did not exist) and for platform admins. Writes (put, delete) are for platform admins
// and for a team admin on its own team (PERMISSION_DENIED otherwise), because a preset can
// grant sandbox keys (namespace, service account) that a member must not choose for itself.
// What would take a job out of its team's sandbox stays a platform admin's: a team admin's
// preset may name only one of its team's namespaces, and no sandbox Spark conf key (pod
// templates, credentials, host paths) nor hostPath volume.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/core/caller.h"
#include "daemon/core/clock.h"
#include "daemon/core/preset/resolve.h"
#include "daemon/core/preset_store.h"
#include "daemon/core/status.h"
#include "daemon/core/team_store.h"

namespace sparkd {

// The preset a request without a job_type gets, when its team has one.
inline constexpr const char* kDefaultJobType = "platform_default";

// Job types: 1-63 characters of [A-Za-z0-9_-]; they name files in `sparkd presets apply`.
Status ValidateJobType(std::string_view job_type);

class PresetService {
 public:
  // `store`, `teams` and `clock` must outlive the service. `defaults` (may be null) is the
  // daemon's defaults layer, applied under every preset.
  PresetService(PresetStore* store, TeamStore* teams, Clock* clock,
                std::shared_ptr<const Preset> defaults)
      : store_(store), teams_(teams), clock_(clock), defaults_(std::move(defaults)) {}

  // team "" = the caller's team. authorize → parse and validate the YAML → check that a
  // `namespace` is one of the team's (for a team created without namespaces: any that no other
  // team owns, set by a platform admin) → the store writes a new version, checking `extends`
  // (one level, same team) atomically with it.
  StatusOr<StoredPresetPtr> Put(const Caller& caller, const std::string& team,
                                const std::string& job_type, const std::string& yaml,
                                int64_t expected_version);
  // Every check Put makes before the store (authorization, YAML, sandbox keys, namespaces):
  // what a write would answer, without writing. Returns the team it would write.
  StatusOr<std::string> CheckPut(const Caller& caller, const std::string& team,
                                 const std::string& job_type, const std::string& yaml,
                                 int64_t expected_version, Preset* parsed = nullptr);
  StatusOr<StoredPresetPtr> Get(const Caller& caller, const std::string& team,
                                const std::string& job_type, int64_t version);
  StatusOr<std::vector<StoredPresetPtr>> List(const Caller& caller, const std::string& team);
  // Every version of `job_type`, newest first; NOT_FOUND when it was never written.
  StatusOr<std::vector<StoredPresetPtr>> History(const Caller& caller, const std::string& team,
                                                 const std::string& job_type);
  // FAILED_PRECONDITION while another preset of the team extends it.
  StatusOr<StoredPresetPtr> Delete(const Caller& caller, const std::string& team,
                                   const std::string& job_type, int64_t expected_version);
  // The checks Delete makes before the store. Returns the team it would write.
  StatusOr<std::string> CheckDelete(const Caller& caller, const std::string& team,
                                    const std::string& job_type, int64_t expected_version);

  // Resolves `request` against the caller's team's latest presets. An empty job_type uses
  // platform_default when the team has one, else the defaults only. The job runs in one of the
  // team's namespaces: the first unless a preset (or the defaults) chose another of them;
  // FAILED_PRECONDITION naming the layer when a layer chose one outside the team's.
  StatusOr<ResolvedJob> Resolve(const Caller& caller, const JobRequest& request);

 private:
  // The team a call acts on; NOT_FOUND for a member naming another team.
  StatusOr<std::string> ReadScope(const Caller& caller, const std::string& team) const;
  StatusOr<std::string> WriteScope(const Caller& caller, const std::string& team) const;
  Status CheckTeamNamespace(const Caller& caller, const std::string& team,
                            const JobSpec& spec) const;

  PresetStore* store_;
  TeamStore* teams_;
  Clock* clock_;
  std::shared_ptr<const Preset> defaults_;
};

}  // namespace sparkd
