// JSON forms of the driver manifests' inputs and output (driver_manifests.h).
#include <set>

#include "daemon/core/preset/driver_manifests.h"

namespace sparkd {
namespace {

using nlohmann::json;

Status CheckKeys(const json& j, std::string_view path, const std::set<std::string>& known) {
  if (!j.is_object()) return InvalidArgument(std::string(path) + ": expected an object");
  for (const auto& [key, value] : j.items()) {
    if (!known.contains(key)) {
      return InvalidArgument(std::string(path) + "." + key + ": unknown field");
    }
  }
  return Status::Ok();
}

Status ReadText(const json& j, std::string_view path, const char* key, std::string& out) {
  if (!j.contains(key)) return Status::Ok();
  if (!j[key].is_string()) {
    return InvalidArgument(std::string(path) + "." + key + ": expected a string");
  }
  out = j[key].get<std::string>();
  return Status::Ok();
}

}  // namespace

json DriverObjectNamesToJson(const DriverObjectNames& n) {
  return {{"appId", n.app_id},
          {"resourcePrefix", n.resource_prefix},
          {"driverPod", n.driver_pod},
          {"service", n.service},
          {"confConfigMap", n.conf_config_map},
          {"podTemplateConfigMap", n.pod_template_config_map},
          {"localDir", n.local_dir}};
}

StatusOr<DriverObjectNames> DriverObjectNamesFromJson(const json& j) {
  RETURN_IF_ERROR(CheckKeys(j, "names",
                            {"appId", "resourcePrefix", "driverPod", "service", "confConfigMap",
                             "podTemplateConfigMap", "localDir"}));
  DriverObjectNames n;
  const std::pair<const char*, std::string*> fields[] = {
      {"appId", &n.app_id},
      {"resourcePrefix", &n.resource_prefix},
      {"driverPod", &n.driver_pod},
      {"service", &n.service},
      {"confConfigMap", &n.conf_config_map},
      {"podTemplateConfigMap", &n.pod_template_config_map},
      {"localDir", &n.local_dir}};
  for (const auto& [key, out] : fields) {
    RETURN_IF_ERROR(ReadText(j, "names", key, *out));
    if (out->empty()) return InvalidArgument(std::string("names.") + key + ": required");
  }
  return n;
}

StatusOr<DriverJob> DriverJobFromJson(const json& j) {
  RETURN_IF_ERROR(
      CheckKeys(j, "job", {"jobId", "team", "jobType", "idempotencyKey", "submitTimeMs", "spec"}));
  DriverJob job;
  RETURN_IF_ERROR(ReadText(j, "job", "jobId", job.job_id));
  RETURN_IF_ERROR(ReadText(j, "job", "team", job.team));
  RETURN_IF_ERROR(ReadText(j, "job", "jobType", job.job_type));
  RETURN_IF_ERROR(ReadText(j, "job", "idempotencyKey", job.idempotency_key));
  if (job.job_id.empty()) return InvalidArgument("job.jobId: required");
  if (j.contains("submitTimeMs")) {
    if (!j["submitTimeMs"].is_number_integer()) {
      return InvalidArgument("job.submitTimeMs: expected a whole number");
    }
    job.submit_time_ms = j["submitTimeMs"].get<int64_t>();
  }
  if (j.contains("spec")) {
    StatusOr<JobSpec> spec = SpecFromJson(j["spec"]);
    if (!spec.ok()) return spec.status().WithContext("job.spec");
    job.spec = std::move(*spec);
  }
  return job;
}

StatusOr<NativeBackendSettings> NativeBackendSettingsFromJson(const json& j) {
  RETURN_IF_ERROR(CheckKeys(
      j, "settings", {"defaultNamespace", "defaultImage", "masterUrl", "sparkUser", "daemonConf"}));
  NativeBackendSettings s;
  RETURN_IF_ERROR(ReadText(j, "settings", "defaultNamespace", s.default_namespace));
  RETURN_IF_ERROR(ReadText(j, "settings", "defaultImage", s.default_image));
  RETURN_IF_ERROR(ReadText(j, "settings", "masterUrl", s.master_url));
  RETURN_IF_ERROR(ReadText(j, "settings", "sparkUser", s.spark_user));
  if (j.contains("daemonConf")) {
    if (!j["daemonConf"].is_object()) {
      return InvalidArgument("settings.daemonConf: expected an object");
    }
    for (const auto& [key, value] : j["daemonConf"].items()) {
      if (!value.is_string()) {
        return InvalidArgument("settings.daemonConf.\"" + key + "\": expected a string");
      }
      s.daemon_conf[key] = value.get<std::string>();
    }
  }
  return s;
}

json DriverManifestsToJson(const DriverManifests& m) {
  const SparkSubmission& s = m.submission;
  json submission = {{"master", s.master},
                     {"conf", s.conf},
                     {"primaryResource", s.primary_resource},
                     {"mainClass", s.main_class},
                     {"args", s.args},
                     {"python", s.python},
                     {"driverPodTemplate", s.driver_pod_template},
                     {"executorPodTemplate", s.executor_pod_template}};
  json dependents = json::array();
  for (const DriverObject& d : m.dependents) {
    dependents.push_back({{"resource", d.resource}, {"object", d.object}});
  }
  return {{"namespace", m.namespace_name}, {"names", DriverObjectNamesToJson(m.names)},
          {"submission", submission},      {"pod", m.pod},
          {"dependents", dependents},      {"properties", m.properties}};
}

}  // namespace sparkd
