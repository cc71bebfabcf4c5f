#include "daemon/core/preset/resolve.h"

#include "daemon/core/preset/spark_conf.h"
#include "daemon/core/preset/validate.h"

namespace sparkd {
namespace {

constexpr std::string_view kDefaultsLayer = "defaults";
constexpr std::string_view kRequestLayer = "request";

std::optional<std::string> NonEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

void CopyResources(const Resources& from, RoleResources& to) {
  to.memory = NonEmpty(from.memory);
  to.memory_overhead = NonEmpty(from.memory_overhead);
  to.cores = from.cores;
}

// The rules of every layer first (conf_policy.h), so a daemon-owned key is named as such even
// when the request also breaks an enforced key; then the sandbox, which is the request's alone.
Status CheckSandbox(const JobRequest& request) {
  for (const auto& [key, value] : request.conf) {
    RETURN_IF_ERROR(CheckConfPolicy(key, value));
    if (auto reason = SandboxReason(key)) {
      return InvalidArgument(MapEntryPath("conf", key) + ": " + *reason +
                             ", so only a preset may set it, not a job request");
    }
  }
  return Status::Ok();
}

struct Enforced {
  std::string_view path;
  std::string layer;
};

void CollectEnforced(const Preset& preset, const std::string& layer, std::vector<Enforced>& out) {
  for (const auto& path : preset.enforce) out.push_back({path, layer});
}

Status CheckLayersFit(const ResolveLayers& layers) {
  if (layers.defaults && !layers.defaults->extends.empty()) {
    return FailedPrecondition("defaults: cannot extend a preset");
  }
  if (!layers.preset) {
    if (layers.base) return FailedPrecondition("a base preset was given without a preset");
    return Status::Ok();
  }
  const std::string& extends = layers.preset->preset.extends;
  if (extends.empty() != (layers.base == nullptr) ||
      (layers.base && layers.base->ref.job_type != extends)) {
    return FailedPrecondition(LayerName(layers.preset->ref) + " extends \"" + extends +
                              "\", which was not the base preset given");
  }
  if (layers.base && !layers.base->preset.extends.empty()) {
    return FailedPrecondition(LayerName(layers.base->ref) + " extends \"" +
                              layers.base->preset.extends +
                              "\"; presets extend one level deep at most");
  }
  return Status::Ok();
}

// Refuses a request that changed an enforced path; marks the path as held by its preset.
Status ApplyEnforced(const std::vector<Enforced>& enforced, const JobSpec& presets_only,
                     ResolvedJob& resolved) {
  for (const auto& e : enforced) {
    if (!SameAtPath(resolved.spec, presets_only, e.path)) {
      return InvalidArgument(std::string(e.path) + " is enforced by " + e.layer +
                             "; the request may not change it");
    }
    std::string held = e.layer + " (enforced)";
    for (auto it = resolved.provenance.lower_bound(std::string(e.path));
         it != resolved.provenance.end() && it->first.starts_with(e.path); ++it) {
      char next = it->first.size() > e.path.size() ? it->first[e.path.size()] : '\0';
      if (next == '\0' || next == '.' || next == '[') it->second = held;
    }
  }
  return Status::Ok();
}

// Layers 1-3 (defaults, base, preset) merged, and the keys they enforce.
ResolvedJob MergePresetLayers(const ResolveLayers& layers, std::vector<Enforced>& enforced) {
  ResolvedJob merged;
  if (layers.defaults) {
    MergeSpec(layers.defaults->spec, kDefaultsLayer, merged.spec, &merged.provenance);
    CollectEnforced(*layers.defaults, std::string(kDefaultsLayer), enforced);
  }
  for (const PresetLayer* layer : {layers.base, layers.preset}) {
    if (!layer) continue;
    std::string name = LayerName(layer->ref);
    MergeSpec(layer->preset.spec, name, merged.spec, &merged.provenance);
    CollectEnforced(layer->preset, name, enforced);
    merged.presets_used.push_back(layer->ref);
  }
  return merged;
}

}  // namespace

StatusOr<JobSpec> SpecFromRequest(const JobRequest& r) {
  RETURN_IF_ERROR(CheckSandbox(r));
  JobSpec spec;
  spec.name = NonEmpty(r.name);
  spec.file = NonEmpty(r.file);
  spec.class_name = NonEmpty(r.class_name);
  spec.args = r.args;
  CopyResources(r.driver, spec.driver);
  CopyResources(r.executor, spec.executor);
  spec.executor.instances = r.executor_instances;
  const DynamicAllocation& d = r.dynamic_allocation;
  if (d.enabled) {
    spec.dynamic_allocation.enabled = true;
  } else if (r.executor_instances) {
    spec.dynamic_allocation.enabled = false;
  }
  spec.dynamic_allocation.min_executors = d.min_executors;
  spec.dynamic_allocation.max_executors = d.max_executors;
  spec.dynamic_allocation.initial_executors = d.initial_executors;
  spec.conf = r.conf;
  spec.labels = r.labels;
  for (const auto& [name, value] : r.env) spec.env.push_back({name, value, std::nullopt});
  for (const auto& [name, ref] : r.secret_env) spec.env.push_back({name, std::nullopt, ref});
  spec.py_files = r.py_files;
  spec.jars = r.jars;
  spec.files = r.files;
  RETURN_IF_ERROR(FoldTypedConf(spec));
  return spec;
}

StatusOr<std::vector<std::string>> ValidateRequest(const JobRequest& request) {
  RETURN_IF_ERROR(ValidateJobRequest(request));
  ASSIGN_OR_RETURN(JobSpec spec, SpecFromRequest(request));
  std::vector<std::string> warnings;
  RETURN_IF_ERROR(ValidateSpec(spec, SpecScope::kLayer, warnings));
  return warnings;
}

StatusOr<ResolvedJob> ResolveJob(const ResolveLayers& layers, const JobRequest& request) {
  RETURN_IF_ERROR(CheckLayersFit(layers));
  RETURN_IF_ERROR(ValidateJobRequest(request));
  ASSIGN_OR_RETURN(JobSpec request_layer, SpecFromRequest(request));

  std::vector<Enforced> enforced;
  ResolvedJob resolved = MergePresetLayers(layers, enforced);
  JobSpec presets_only;
  if (!enforced.empty()) presets_only = resolved.spec;
  MergeSpec(request_layer, kRequestLayer, resolved.spec, &resolved.provenance);
  RETURN_IF_ERROR(ApplyEnforced(enforced, presets_only, resolved));
  RETURN_IF_ERROR(ValidateSpec(resolved.spec, SpecScope::kResolved, resolved.warnings));
  return resolved;
}

StatusOr<ResolvedJob> MergeLayers(const ResolveLayers& layers) {
  RETURN_IF_ERROR(CheckLayersFit(layers));
  std::vector<Enforced> enforced;
  ResolvedJob merged = MergePresetLayers(layers, enforced);
  RETURN_IF_ERROR(ApplyEnforced(enforced, merged.spec, merged));  // marks them "(enforced)"
  RETURN_IF_ERROR(ValidateSpec(merged.spec, SpecScope::kResolved, merged.warnings));
  return merged;
}

StatusOr<ResolveLayers> FindLayers(const Preset* defaults, const PresetLookup& lookup,
                                   std::string_view job_type) {
  ResolveLayers layers{defaults, nullptr, nullptr};
  if (job_type.empty()) return layers;
  layers.preset = lookup(job_type);
  if (!layers.preset) {
    return NotFound("job_type: no preset \"" + std::string(job_type) + "\" for this team");
  }
  const std::string& extends = layers.preset->preset.extends;
  if (!extends.empty()) {
    layers.base = lookup(extends);
    if (!layers.base) {
      return FailedPrecondition(LayerName(layers.preset->ref) + " extends \"" + extends +
                                "\", which does not exist");
    }
  }
  return layers;
}

StatusOr<ResolvedJob> ResolveJob(const Preset* defaults, const PresetLookup& lookup,
                                 const JobRequest& request) {
  ASSIGN_OR_RETURN(ResolveLayers layers, FindLayers(defaults, lookup, request.job_type));
  return ResolveJob(layers, request);
}

nlohmann::json ResolvedJobToJson(const ResolvedJob& resolved) {
  nlohmann::json presets = nlohmann::json::array();
  for (const auto& ref : resolved.presets_used) {
    presets.push_back({{"team", ref.team}, {"jobType", ref.job_type}, {"version", ref.version}});
  }
  return {{"spec", SpecToJson(resolved.spec)},
          {"provenance", resolved.provenance},
          {"warnings", resolved.warnings},
          {"presetsUsed", presets}};
}

}  // namespace sparkd
