#include "daemon/core/preset/render.h"

#include "daemon/core/preset/spark_conf.h"
#include "daemon/core/preset/spec_parts.h"
#include "daemon/core/redact.h"
#include "daemon/core/secret_env.h"

namespace sparkd {
namespace {

using nlohmann::json;

std::string Text(const std::string& v) { return v; }
std::string Text(int v) { return std::to_string(v); }
std::string Text(bool v) { return v ? "true" : "false"; }
std::string Text(double v) { return json(v).dump(); }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

void PutPerRole(std::map<std::string, std::string>& conf, std::string_view driver_prefix,
                std::string_view executor_prefix, const std::string& key,
                const std::string& value) {
  conf[std::string(driver_prefix) + key] = value;
  conf[std::string(executor_prefix) + key] = value;
}

json ExpandAll(const json& value, const RenderContext& context) {
  if (value.is_string()) return ExpandPlaceholders(value.get<std::string>(), context);
  if (!value.is_structured()) return value;
  json out = value;
  for (auto& item : out) item = ExpandAll(item, context);
  return out;
}

json RenderAffinity(const AffinitySpec& a, const RenderContext& context) {
  constexpr const char* kReq = "requiredDuringSchedulingIgnoredDuringExecution";
  constexpr const char* kPref = "preferredDuringSchedulingIgnoredDuringExecution";
  json out = json::object();
  auto put = [&](const char* kind, const std::vector<json>& required,
                 const std::vector<json>& preferred, bool node) {
    if (!required.empty()) {
      json terms = ExpandAll(json(required), context);
      out[kind][kReq] = node ? json{{"nodeSelectorTerms", terms}} : terms;
    }
    if (!preferred.empty()) out[kind][kPref] = ExpandAll(json(preferred), context);
  };
  put("nodeAffinity", a.node_required, a.node_preferred, true);
  put("podAffinity", a.pod_required, a.pod_preferred, false);
  put("podAntiAffinity", a.anti_required, a.anti_preferred, false);
  return out;
}

}  // namespace

std::string ExpandPlaceholders(std::string_view text, const RenderContext& context) {
  const std::pair<std::string_view, const std::string*> vars[] = {
      {"{job_id}", &context.job_id},
      {"{app_id}", &context.app_id},
      {"{namespace}", &context.namespace_name},
      {"{driver_pod}", &context.driver_pod},
      {"{team}", &context.team},
      {"{pod_prefix}", &context.pod_prefix}};
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : vars) {
        if (text.substr(i, name.size()) == name) {
          out += *value;
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

std::map<std::string, std::string> RenderSparkConf(const JobSpec& spec) {
  std::map<std::string, std::string> conf = spec.conf;
  bool dynamic = spec.dynamic_allocation.enabled.value_or(false);
  ForEachScalar(spec, spec, [&](std::string_view path, const auto& value, const auto&) {
    std::string_view key = ConfKeyForField(path);
    if (!value || key.empty()) return;
    // Spark starts max(instances, initialExecutors) executors; the spec says initialExecutors.
    if (dynamic && path == "executor.instances") return;
    conf[std::string(key)] = Text(*value);
  });
  for (const auto& [k, v] : spec.node_selector) conf["spark.kubernetes.node.selector." + k] = v;
  for (const auto& [k, v] : spec.labels) {
    PutPerRole(conf, "spark.kubernetes.driver.label.", "spark.kubernetes.executor.label.", k, v);
  }
  for (const auto& [k, v] : spec.annotations) {
    PutPerRole(conf, "spark.kubernetes.driver.annotation.", "spark.kubernetes.executor.annotation.",
               k, v);
  }
  for (const auto& var : spec.env) {
    if (var.secret_key_ref) {
      // Only the reference: the cluster resolves it in the pods.
      PutPerRole(conf, "spark.kubernetes.driver.secretKeyRef.",
                 "spark.kubernetes.executor.secretKeyRef.", var.name,
                 SecretRefText(*var.secret_key_ref));
    } else {
      PutPerRole(conf, "spark.kubernetes.driverEnv.", "spark.executorEnv.", var.name,
                 var.value.value_or(""));
    }
  }
  if (!spec.image_pull_secrets.empty()) {
    conf["spark.kubernetes.container.image.pullSecrets"] = Join(spec.image_pull_secrets);
  }
  if (!spec.jars.empty()) conf["spark.jars"] = Join(spec.jars);
  if (!spec.py_files.empty()) conf["spark.submit.pyFiles"] = Join(spec.py_files);
  if (!spec.files.empty()) conf["spark.files"] = Join(spec.files);
  // Daemon-owned: Spark's UI and event log hide what the daemon's API hides.
  conf[std::string(kRedactionRegexKey)] = SparkRedactionRegex();
  return conf;
}

json RenderPodTemplate(const JobSpec& spec, std::string_view role, const RenderContext& context) {
  json pod_spec = json::object();
  if (spec.priority_class_name) pod_spec["priorityClassName"] = *spec.priority_class_name;
  if (!spec.tolerations.empty()) pod_spec["tolerations"] = TolerationsToJson(spec.tolerations);
  if (!spec.affinity.empty()) pod_spec["affinity"] = RenderAffinity(spec.affinity, context);
  if (!spec.volumes.empty()) pod_spec["volumes"] = VolumesToJson(spec.volumes);
  if (!spec.volume_mounts.empty()) {
    // Spark takes the first container of a template as its own unless told otherwise.
    pod_spec["containers"] =
        json::array({{{"name", "spark-kubernetes-" + std::string(role)},
                      {"volumeMounts", VolumeMountsToJson(spec.volume_mounts)}}});
  }
  if (pod_spec.empty()) return nullptr;
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"spec", std::move(pod_spec)}};
}

std::map<std::string, std::string> RenderLinks(const JobSpec& spec, const RenderContext& context) {
  std::map<std::string, std::string> links;
  if (spec.links.logs) links["logs"] = ExpandPlaceholders(*spec.links.logs, context);
  if (spec.links.dashboard) {
    links["dashboard"] = ExpandPlaceholders(*spec.links.dashboard, context);
  }
  return links;
}

}  // namespace sparkd
