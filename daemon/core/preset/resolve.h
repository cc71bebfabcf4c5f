// Layered resolution of a job's effective spec (DESIGN.md "Options and presets"):
//   1. daemon defaults   2. the preset the team preset `extends` (one level)
//   3. the team preset for the request's job_type   4. the request's own fields
//   5. enforced keys: a request that changes one is refused, naming the key and the preset.
// Sandbox keys (namespace, service account, authentication, pod templates, host paths, custom
// pod feature steps) are accepted from presets and defaults only; daemon-owned keys (master,
// deploy mode, event log, UI and driver addresses, ...: conf_policy.h) from no layer. A
// request carrying one gets INVALID_ARGUMENT naming the key. INVALID_ARGUMENT rather than
// PERMISSION_DENIED because no caller, admin or not, may put them in a request: it is the
// request that is wrong, not the credentials, and clients treat the two differently.
//
// Pure functions; thread-safe. Presets are immutable per version, so the store can cache parsed
// Presets and call ResolveJob without reparsing YAML (parsing costs far more than resolving).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/job.h"
#include "daemon/core/preset/job_spec.h"
#include "daemon/core/preset/merge.h"
#include "daemon/core/preset/preset.h"
#include "daemon/core/status.h"

namespace sparkd {

struct ResolvedJob {
  JobSpec spec;
  Provenance provenance;  // field path → layer: "defaults", "preset x v3", "request",
                          // "preset x v3 (enforced)"
  std::vector<std::string> warnings;
  std::vector<PresetRef> presets_used;  // base first
};

// Non-owning; any may be null. `base` must be the preset `preset` extends.
struct ResolveLayers {
  const Preset* defaults = nullptr;
  const PresetLayer* base = nullptr;
  const PresetLayer* preset = nullptr;
};

// Errors: INVALID_ARGUMENT for a bad request, an enforced key changed or a sandbox key in the
// request; FAILED_PRECONDITION when the layers do not fit together (wrong base, two levels of
// extends) — a store bug or a preset deleted under a job type.
StatusOr<ResolvedJob> ResolveJob(const ResolveLayers& layers, const JobRequest& request);

// Returns the stored preset for a job_type of the caller's team, or null when there is none.
using PresetLookup = std::function<const PresetLayer*(std::string_view job_type)>;

// The preset for `job_type` and the one it extends, found through `lookup`. A job_type with no
// preset is NOT_FOUND; an empty job_type means the defaults only.
StatusOr<ResolveLayers> FindLayers(const Preset* defaults, const PresetLookup& lookup,
                                   std::string_view job_type);

// FindLayers for request.job_type, then ResolveJob.
StatusOr<ResolvedJob> ResolveJob(const Preset* defaults, const PresetLookup& lookup,
                                 const JobRequest& request);

// Layers 1-3 merged without a request: what every job of the job type starts from, enforced
// paths marked "(enforced)" in the provenance, validated as a resolved spec.
StatusOr<ResolvedJob> MergeLayers(const ResolveLayers& layers);

// The request as a spec layer: sandbox keys refused, typed conf keys folded into their fields.
// Values are checked later, on the resolved spec (or by ValidateRequest).
// executor_instances without dynamic allocation means static allocation, so it also sets
// dynamicAllocation.enabled=false; dynamic_allocation.enabled=false is otherwise "not said"
// (the proto cannot tell the two apart).
StatusOr<JobSpec> SpecFromRequest(const JobRequest& request);

// ValidateJobRequest plus the checks a request layer gets during resolution, without presets:
// what the Airflow provider runs at DAG parse time. Returns the warnings.
StatusOr<std::vector<std::string>> ValidateRequest(const JobRequest& request);

// {"spec": ..., "provenance": {...}, "warnings": [...], "presetsUsed": [{team, jobType, version}]}
nlohmann::json ResolvedJobToJson(const ResolvedJob& resolved);

}  // namespace sparkd
