// JobSpec: the effective options of a job, and also one layer of them (daemon defaults, a preset,
// a request). Every field is "unset" until a layer sets it, so merging can tell "not said" from
// "said the default". Field paths in errors, provenance and `enforce:` use the camelCase names of
// the YAML/JSON form: "executor.memory", "dynamicAllocation.maxExecutors", `conf."spark.x"`.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd {

struct RoleResources {
  std::optional<std::string> memory;           // Spark size: "4g"
  std::optional<std::string> memory_overhead;  // Spark size
  std::optional<double> memory_overhead_factor;
  std::optional<int> cores;                // JVM task slots (spark.*.cores)
  std::optional<std::string> cpu_request;  // Kubernetes quantity: "500m", "2"
  std::optional<std::string> cpu_limit;    // Kubernetes quantity
  std::optional<int> instances;            // executor only
  bool operator==(const RoleResources&) const = default;
};

struct DynamicAllocationSpec {
  std::optional<bool> enabled;
  std::optional<int> min_executors;
  std::optional<int> initial_executors;
  std::optional<int> max_executors;
  std::optional<bool> shuffle_tracking;
  std::optional<double> executor_allocation_ratio;
  bool operator==(const DynamicAllocationSpec&) const = default;
};

struct SecretKeyRef {
  std::string name;
  std::string key;
  bool operator==(const SecretKeyRef&) const = default;
};

// Identity: name. Exactly one of value / secret_key_ref is set.
struct EnvVar {
  std::string name;
  std::optional<std::string> value;
  std::optional<SecretKeyRef> secret_key_ref;
  bool operator==(const EnvVar&) const = default;
};

// Identity: (key, effect), the pair a taint is matched on.
struct Toleration {
  std::string key;
  std::string op;  // "operator" in YAML: Exists | Equal | "" (= Equal)
  std::string value;
  std::string effect;
  std::optional<int64_t> toleration_seconds;
  bool operator==(const Toleration&) const = default;
};

// Identity: name. The source ({"emptyDir": {...}}, {"persistentVolumeClaim": {...}}, ...) is kept
// as JSON: Kubernetes has dozens of volume types and sparkd only needs to look at a few.
struct Volume {
  std::string name;
  nlohmann::json source;
  bool operator==(const Volume&) const = default;
};

// Identity: mount_path. The same volume may be mounted twice (sub paths), a path only once.
struct VolumeMount {
  std::string name;
  std::string mount_path;
  std::string sub_path;
  std::optional<bool> read_only;
  bool operator==(const VolumeMount&) const = default;
};

// Affinity terms as Kubernetes JSON objects. Layers append terms; note that required node
// affinity terms are ORed by Kubernetes, so an appended required term widens placement.
struct AffinitySpec {
  std::vector<nlohmann::json> node_required;   // nodeSelectorTerms
  std::vector<nlohmann::json> node_preferred;  // weighted preferred terms
  std::vector<nlohmann::json> pod_required;
  std::vector<nlohmann::json> pod_preferred;
  std::vector<nlohmann::json> anti_required;
  std::vector<nlohmann::json> anti_preferred;
  bool operator==(const AffinitySpec&) const = default;
  bool empty() const {
    return node_required.empty() && node_preferred.empty() && pod_required.empty() &&
           pod_preferred.empty() && anti_required.empty() && anti_preferred.empty();
  }
};

// URL templates; placeholders {job_id} {app_id} {namespace} {driver_pod} {team}, and, filled
// by the backend, {pod_prefix} (every pod of the app is named <prefix>-driver or
// <prefix>-exec-<n>) and the job's time range as epoch milliseconds {start_ms} {end_ms} or
// RFC 3339 {start} {end}.
struct LinkTemplates {
  std::optional<std::string> logs;
  std::optional<std::string> dashboard;
  bool operator==(const LinkTemplates&) const = default;
};

struct JobSpec {
  // Set by the job request only.
  std::optional<std::string> name;
  std::optional<std::string> file;
  std::optional<std::string> class_name;
  std::vector<std::string> args;
  // Dependencies: a layer appends (without duplicates).
  std::vector<std::string> py_files;
  std::vector<std::string> jars;
  std::vector<std::string> files;

  RoleResources driver;
  RoleResources executor;
  DynamicAllocationSpec dynamic_allocation;

  std::optional<std::string> image;
  std::optional<std::string> image_pull_policy;
  std::vector<std::string> image_pull_secrets;  // union
  std::optional<std::string> namespace_name;
  std::optional<std::string> service_account;
  std::optional<std::string> priority_class_name;
  std::optional<std::string> scheduler_name;

  std::map<std::string, std::string> node_selector;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> conf;  // Spark conf not covered by a typed field above
  AffinitySpec affinity;
  std::vector<Toleration> tolerations;
  std::vector<EnvVar> env;
  std::vector<Volume> volumes;
  std::vector<VolumeMount> volume_mounts;
  LinkTemplates links;

  bool operator==(const JobSpec&) const = default;
};

// Calls f(path, a_field, b_field) for every scalar (std::optional) field of two specs, in a
// fixed order. Merge, enforcement, JSON and diff all walk the scalars through this one list, so
// a new scalar field is added here and nowhere else.
template <typename A, typename B, typename F>
void ForEachScalar(A& a, B& b, F&& f) {
  f("name", a.name, b.name);
  f("file", a.file, b.file);
  f("className", a.class_name, b.class_name);
  f("image", a.image, b.image);
  f("imagePullPolicy", a.image_pull_policy, b.image_pull_policy);
  f("namespace", a.namespace_name, b.namespace_name);
  f("serviceAccount", a.service_account, b.service_account);
  f("priorityClassName", a.priority_class_name, b.priority_class_name);
  f("schedulerName", a.scheduler_name, b.scheduler_name);
  f("driver.memory", a.driver.memory, b.driver.memory);
  f("driver.memoryOverhead", a.driver.memory_overhead, b.driver.memory_overhead);
  f("driver.memoryOverheadFactor", a.driver.memory_overhead_factor,
    b.driver.memory_overhead_factor);
  f("driver.cores", a.driver.cores, b.driver.cores);
  f("driver.cpuRequest", a.driver.cpu_request, b.driver.cpu_request);
  f("driver.cpuLimit", a.driver.cpu_limit, b.driver.cpu_limit);
  f("executor.memory", a.executor.memory, b.executor.memory);
  f("executor.memoryOverhead", a.executor.memory_overhead, b.executor.memory_overhead);
  f("executor.memoryOverheadFactor", a.executor.memory_overhead_factor,
    b.executor.memory_overhead_factor);
  f("executor.cores", a.executor.cores, b.executor.cores);
  f("executor.cpuRequest", a.executor.cpu_request, b.executor.cpu_request);
  f("executor.cpuLimit", a.executor.cpu_limit, b.executor.cpu_limit);
  f("executor.instances", a.executor.instances, b.executor.instances);
  f("dynamicAllocation.enabled", a.dynamic_allocation.enabled, b.dynamic_allocation.enabled);
  f("dynamicAllocation.minExecutors", a.dynamic_allocation.min_executors,
    b.dynamic_allocation.min_executors);
  f("dynamicAllocation.initialExecutors", a.dynamic_allocation.initial_executors,
    b.dynamic_allocation.initial_executors);
  f("dynamicAllocation.maxExecutors", a.dynamic_allocation.max_executors,
    b.dynamic_allocation.max_executors);
  f("dynamicAllocation.shuffleTracking", a.dynamic_allocation.shuffle_tracking,
    b.dynamic_allocation.shuffle_tracking);
  f("dynamicAllocation.executorAllocationRatio", a.dynamic_allocation.executor_allocation_ratio,
    b.dynamic_allocation.executor_allocation_ratio);
  f("links.logs", a.links.logs, b.links.logs);
  f("links.dashboard", a.links.dashboard, b.links.dashboard);
}

// The JSON (and YAML) form: camelCase keys as in Kubernetes. Unset fields are omitted.
nlohmann::json SpecToJson(const JobSpec& spec);

// Reads the JSON form. Unknown keys are an error naming the path, with a did-you-mean
// suggestion; scalars accept the loose typing of YAML ("2" for 2, 4096 for "4096").
StatusOr<JobSpec> SpecFromJson(const nlohmann::json& json);

// Reads the keys of `json` that belong to a spec into `spec`, ignoring `extra_keys` (the
// caller's own, such as a preset's `enforce`). Used by SpecFromJson and the preset parser.
Status ReadSpecFields(const nlohmann::json& json, const std::vector<std::string_view>& extra_keys,
                      JobSpec& spec);

// "conf" + "spark.x" → `conf."spark.x"`; keys made only of [A-Za-z0-9_-] stay bare: `env.FOO`.
std::string MapEntryPath(std::string_view field, std::string_view key);

// "dedicated:NoSchedule": the identity of a toleration in paths.
std::string TolerationId(const Toleration& t);

}  // namespace sparkd
