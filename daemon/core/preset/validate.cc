#include "daemon/core/preset/validate.h"

#include <algorithm>
#include <set>

#include "daemon/core/preset/spark_conf.h"
#include "daemon/core/preset/suggest.h"
#include "daemon/core/secret_env.h"
#include "daemon/core/spark_size.h"
#include "daemon/core/text_rules.h"

namespace sparkd {
namespace {

Status Error(std::string_view path, std::string_view message) {
  return InvalidArgument(std::string(path) + ": " + std::string(message));
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status CheckName(std::string_view path, const std::optional<std::string>& value,
                 std::string (*check)(std::string_view)) {
  if (!value) return Status::Ok();
  std::string why = check(*value);
  if (why.empty()) return Status::Ok();
  return Error(path, Quoted(*value) + " " + why);
}

Status CheckOneOf(std::string_view path, const std::string& value,
                  std::span<const std::string_view> allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return Status::Ok();
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return Error(path, Quoted(value) + " is not one of " + list + DidYouMean(value, allowed));
}

Status CheckRole(std::string_view role, const RoleResources& r) {
  std::string p(role);
  for (const auto& [name, size] :
       {std::pair{".memory", &r.memory}, std::pair{".memoryOverhead", &r.memory_overhead}}) {
    if (!*size) continue;
    auto parsed = ParseSparkSize(**size);
    if (!parsed.ok()) return parsed.status().WithContext(p + name);
  }
  if (r.memory_overhead_factor &&
      (*r.memory_overhead_factor <= 0 || *r.memory_overhead_factor > 1)) {
    return Error(p + ".memoryOverheadFactor", "must be above 0 and at most 1");
  }
  if (r.cores && *r.cores < 1) return Error(p + ".cores", "must be at least 1");
  if (r.instances && *r.instances < 0) return Error(p + ".instances", "must not be negative");
  std::optional<double> request, limit;
  for (const auto& [name, text, out] : {std::tuple{".cpuRequest", &r.cpu_request, &request},
                                        std::tuple{".cpuLimit", &r.cpu_limit, &limit}}) {
    if (!*text) continue;
    auto parsed = ParseK8sQuantity(**text);
    if (!parsed.ok()) return parsed.status().WithContext(p + name);
    if (*parsed <= 0) return Error(p + name, "must be above 0");
    *out = *parsed;
  }
  if (request && limit && *request > *limit) {
    return Error(p + ".cpuRequest",
                 Quoted(*r.cpu_request) + " exceeds " + p + ".cpuLimit " + Quoted(*r.cpu_limit));
  }
  return Status::Ok();
}

Status CheckDynamicAllocation(const DynamicAllocationSpec& d) {
  const std::pair<const char*, const std::optional<int>*> counts[] = {
      {"dynamicAllocation.minExecutors", &d.min_executors},
      {"dynamicAllocation.initialExecutors", &d.initial_executors},
      {"dynamicAllocation.maxExecutors", &d.max_executors},
  };
  for (const auto& [path, value] : counts) {
    if (*value && **value < 0) return Error(path, "must not be negative");
  }
  // min ≤ initial ≤ max, checked pairwise so a layer that sets two of them is checked too.
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = i + 1; j < 3; ++j) {
      const auto& [low_path, low] = counts[i];
      const auto& [high_path, high] = counts[j];
      if (*low && *high && **low > **high) {
        return Error(low_path, std::to_string(**low) + " is above " + high_path + " (" +
                                   std::to_string(**high) + ")");
      }
    }
  }
  if (d.max_executors && *d.max_executors == 0) {
    return Error("dynamicAllocation.maxExecutors", "must be at least 1");
  }
  if (d.executor_allocation_ratio &&
      (*d.executor_allocation_ratio <= 0 || *d.executor_allocation_ratio > 1)) {
    return Error("dynamicAllocation.executorAllocationRatio", "must be above 0 and at most 1");
  }
  return Status::Ok();
}

Status CheckStringMap(std::string_view field, const std::map<std::string, std::string>& map,
                      bool check_values) {
  // Spark and sparkd set these on every pod; a preset or request must not take them over.
  static constexpr std::string_view kReserved[] = {"spark-role", "spark-app-selector",
                                                   "spark-exec-id", "spark-app-name",
                                                   "spark-exec-resourceprofile-id"};
  for (const auto& [key, value] : map) {
    std::string path = MapEntryPath(field, key);
    std::string why = CheckQualifiedName(key);
    if (!why.empty()) return Error(path, "key " + Quoted(key) + " " + why);
    if (field != "annotations" &&
        (key.starts_with("sparkd.io/") ||
         std::find(std::begin(kReserved), std::end(kReserved), key) != std::end(kReserved))) {
      return Error(path, "is set by sparkd and Spark on every pod and cannot be changed");
    }
    if (!check_values) continue;
    why = CheckLabelValue(value);
    if (!why.empty()) return Error(path, "value " + Quoted(value) + " " + why);
  }
  return Status::Ok();
}

Status CheckToleration(const Toleration& t, size_t index) {
  static constexpr std::string_view kOperators[] = {"Exists", "Equal"};
  static constexpr std::string_view kEffects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
  std::string path = "tolerations[" + std::to_string(index) + "]";
  if (!t.op.empty()) RETURN_IF_ERROR(CheckOneOf(path + ".operator", t.op, kOperators));
  if (!t.effect.empty()) RETURN_IF_ERROR(CheckOneOf(path + ".effect", t.effect, kEffects));
  if (t.key.empty() && t.op != "Exists") {
    return Error(path + ".operator", "must be Exists when key is empty (tolerate every taint)");
  }
  if (!t.key.empty()) {
    std::string why = CheckQualifiedName(t.key);
    if (!why.empty()) return Error(path + ".key", Quoted(t.key) + " " + why);
  }
  if (t.op == "Exists" && !t.value.empty()) {
    return Error(path + ".value", "must be empty when operator is Exists");
  }
  if (t.toleration_seconds && t.effect != "NoExecute") {
    return Error(path + ".tolerationSeconds", "only applies to effect NoExecute");
  }
  return Status::Ok();
}

Status CheckAffinityTerms(std::string_view path, const std::vector<nlohmann::json>& terms,
                          bool preferred, bool pod) {
  for (size_t i = 0; i < terms.size(); ++i) {
    std::string term_path = std::string(path) + "[" + std::to_string(i) + "]";
    const nlohmann::json& term = terms[i];
    if (!term.is_object()) return Error(term_path, "expected a mapping");
    const nlohmann::json* body = &term;
    if (preferred) {
      auto weight = term.find("weight");
      if (weight == term.end() || !weight->is_number_integer() || *weight < 1 || *weight > 100) {
        return Error(term_path + ".weight", "required, a whole number from 1 to 100");
      }
      const char* inner = pod ? "podAffinityTerm" : "preference";
      if (!term.contains(inner) || !term[inner].is_object()) {
        return Error(term_path + "." + inner, "required");
      }
      body = &term[inner];
    }
    if (pod && (!body->contains("topologyKey") || !(*body)["topologyKey"].is_string())) {
      return Error(term_path + ".topologyKey", "required (e.g. kubernetes.io/hostname)");
    }
  }
  return Status::Ok();
}

Status CheckAffinity(const AffinitySpec& a) {
  constexpr std::string_view kReq = "requiredDuringSchedulingIgnoredDuringExecution";
  constexpr std::string_view kPref = "preferredDuringSchedulingIgnoredDuringExecution";
  std::string node = "affinity.nodeAffinity.";
  RETURN_IF_ERROR(CheckAffinityTerms(node + std::string(kReq) + ".nodeSelectorTerms",
                                     a.node_required, false, false));
  RETURN_IF_ERROR(CheckAffinityTerms(node + std::string(kPref), a.node_preferred, true, false));
  for (const auto& [kind, required, preferred] :
       {std::tuple{"podAffinity", &a.pod_required, &a.pod_preferred},
        std::tuple{"podAntiAffinity", &a.anti_required, &a.anti_preferred}}) {
    std::string base = std::string("affinity.") + kind + ".";
    RETURN_IF_ERROR(CheckAffinityTerms(base + std::string(kReq), *required, false, true));
    RETURN_IF_ERROR(CheckAffinityTerms(base + std::string(kPref), *preferred, true, true));
  }
  return Status::Ok();
}

Status CheckEnvAndVolumes(const JobSpec& spec, SpecScope scope) {
  for (const auto& var : spec.env) {
    std::string path = MapEntryPath("env", var.name);
    if (auto why = EnvNameReason(var.name)) {
      return Error(path, "the environment variable " + Quoted(var.name) + " " + *why);
    }
    if (var.value) {
      std::string problem = TextProblem(*var.value, TextKind::kValue);
      if (!problem.empty()) return Error(path, "value " + problem);
    }
    if (var.secret_key_ref) {
      std::string why = CheckDnsSubdomain(var.secret_key_ref->name);
      if (!why.empty()) return Error(path + ".valueFrom.secretKeyRef.name", why);
      why = CheckSecretKey(var.secret_key_ref->key);
      if (!why.empty()) return Error(path + ".valueFrom.secretKeyRef.key", why);
    }
  }
  std::set<std::string> names;
  for (const auto& volume : spec.volumes) {
    std::string path = MapEntryPath("volumes", volume.name);
    std::string why = CheckDnsLabel(volume.name);
    if (!why.empty()) return Error(path, "name " + Quoted(volume.name) + " " + why);
    names.insert(volume.name);
    const auto& source = volume.source;
    if (source.contains("emptyDir") && source["emptyDir"].contains("sizeLimit")) {
      auto limit = ParseK8sQuantity(source["emptyDir"]["sizeLimit"].is_string()
                                        ? source["emptyDir"]["sizeLimit"].get<std::string>()
                                        : source["emptyDir"]["sizeLimit"].dump());
      if (!limit.ok()) return limit.status().WithContext(path + ".emptyDir.sizeLimit");
    }
  }
  for (const auto& mount : spec.volume_mounts) {
    std::string path = MapEntryPath("volumeMounts", mount.mount_path);
    if (!mount.mount_path.starts_with('/')) return Error(path, "mountPath must be absolute");
    if (scope == SpecScope::kResolved && !names.contains(mount.name)) {
      std::vector<std::string_view> known(names.begin(), names.end());
      return Error(path + ".name",
                   "no volume named " + Quoted(mount.name) + DidYouMean(mount.name, known));
    }
  }
  return Status::Ok();
}

Status CheckLinks(const LinkTemplates& links) {
  static constexpr std::string_view kPlaceholders[] = {
      "job_id", "app_id",   "namespace", "driver_pod", "pod_prefix",
      "team",   "start_ms", "end_ms",    "start",      "end"};
  for (const auto& [path, value] :
       {std::pair{"links.logs", &links.logs}, std::pair{"links.dashboard", &links.dashboard}}) {
    if (!*value) continue;
    const std::string& t = **value;
    for (size_t open = t.find('{'); open != std::string::npos; open = t.find('{', open + 1)) {
      size_t close = t.find('}', open);
      if (close == std::string::npos) return Error(path, "unclosed '{'");
      std::string name = t.substr(open + 1, close - open - 1);
      if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) ==
          std::end(kPlaceholders)) {
        return Error(path, "unknown placeholder {" + name + "}" + DidYouMean(name, kPlaceholders));
      }
    }
  }
  return Status::Ok();
}

Status CheckPodFields(const JobSpec& spec) {
  static constexpr std::string_view kPullPolicies[] = {"Always", "IfNotPresent", "Never"};
  if (spec.image_pull_policy) {
    RETURN_IF_ERROR(CheckOneOf("imagePullPolicy", *spec.image_pull_policy, kPullPolicies));
  }
  RETURN_IF_ERROR(CheckName("namespace", spec.namespace_name, CheckDnsLabel));
  RETURN_IF_ERROR(CheckName("serviceAccount", spec.service_account, CheckDnsSubdomain));
  RETURN_IF_ERROR(CheckName("priorityClassName", spec.priority_class_name, CheckDnsSubdomain));
  RETURN_IF_ERROR(CheckName("schedulerName", spec.scheduler_name, CheckDnsSubdomain));
  for (size_t i = 0; i < spec.image_pull_secrets.size(); ++i) {
    RETURN_IF_ERROR(CheckName("imagePullSecrets[" + std::to_string(i) + "]",
                              spec.image_pull_secrets[i], CheckDnsSubdomain));
  }
  if (spec.image && spec.image->empty()) return Error("image", "must not be empty");
  RETURN_IF_ERROR(CheckStringMap("labels", spec.labels, true));
  RETURN_IF_ERROR(CheckStringMap("nodeSelector", spec.node_selector, true));
  RETURN_IF_ERROR(CheckStringMap("annotations", spec.annotations, false));
  for (size_t i = 0; i < spec.tolerations.size(); ++i) {
    RETURN_IF_ERROR(CheckToleration(spec.tolerations[i], i));
  }
  return CheckAffinity(spec.affinity);
}

bool ConfIsTrue(const JobSpec& spec, const std::string& key) {
  auto it = spec.conf.find(key);
  return it != spec.conf.end() && it->second == "true";
}

// Spark's ExecutorAllocationManager refuses dynamic allocation without a shuffle service unless
// shuffle tracking or shuffle-block decommissioning keeps shuffle data reachable; Kubernetes has
// no external shuffle service, so one of the two must be on.
Status CheckResolvedCombinations(const JobSpec& spec) {
  const auto& d = spec.dynamic_allocation;
  if (d.enabled.value_or(false)) {
    bool decommission = ConfIsTrue(spec, "spark.decommission.enabled") &&
                        ConfIsTrue(spec, "spark.storage.decommission.shuffleBlocks.enabled");
    if (!d.shuffle_tracking.value_or(false) && !decommission) {
      return Error("dynamicAllocation.enabled",
                   "dynamic allocation on Kubernetes needs dynamicAllocation.shuffleTracking: "
                   "true (spark.dynamicAllocation.shuffleTracking.enabled) or decommissioning "
                   "(spark.decommission.enabled and "
                   "spark.storage.decommission.shuffleBlocks.enabled)");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateSpec(const JobSpec& spec, SpecScope scope, std::vector<std::string>& warnings) {
  RETURN_IF_ERROR(CheckRole("driver", spec.driver));
  RETURN_IF_ERROR(CheckRole("executor", spec.executor));
  RETURN_IF_ERROR(CheckDynamicAllocation(spec.dynamic_allocation));
  RETURN_IF_ERROR(CheckPodFields(spec));
  RETURN_IF_ERROR(CheckEnvAndVolumes(spec, scope));
  RETURN_IF_ERROR(CheckLinks(spec.links));
  for (const auto& [key, value] : spec.conf) {
    RETURN_IF_ERROR(ValidateConfEntry(key, value, warnings));
  }
  if (scope == SpecScope::kResolved) RETURN_IF_ERROR(CheckResolvedCombinations(spec));
  return Status::Ok();
}

}  // namespace sparkd
