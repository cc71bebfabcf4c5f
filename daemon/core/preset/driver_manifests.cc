// Stage 1 (the submission a spark-submit of the job would get), what spark-submit itself adds
// to the conf (SparkSubmit and KubernetesClientApplication), and the objects the submit Client
// creates from the feature steps' pod: see driver_manifests.h.
#include "daemon/core/preset/driver_manifests.h"

#include <cctype>
#include <cstdio>

#include "daemon/core/preset/driver_manifests_internal.h"
#include "daemon/core/preset/render.h"
#include "daemon/core/preset/validate.h"

namespace sparkd {
namespace {

using driver_internal::Conf;
using driver_internal::DriverConf;
using driver_internal::Get;
using nlohmann::json;

constexpr char kSparkVersion[] = "3.5.8";
constexpr char kIdempotencyAnnotation[] = "sparkd.io/idempotency-key";

std::string Hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::string HashHex(std::string_view salt, std::string_view job_id) {
  return Hex16(driver_internal::Fnv1a64(std::string(salt) + ":" + std::string(job_id)));
}

bool IsShortDnsLabel(std::string_view id) { return id.size() <= 40 && CheckDnsLabel(id).empty(); }

// Why a conf key cannot be rendered without a submitting JVM on the daemon's machine, or "".
std::string UnsupportedReason(std::string_view key) {
  struct Rule {
    std::string_view key;
    bool prefix;
    std::string_view reason;
  };
  static constexpr Rule kRules[] = {
      {"spark.kubernetes.driver.podTemplateFile", false,
       "a pod template file is read on the submitting machine; k8s-native renders the driver's "
       "template from the spec's fields"},
      {"spark.kubernetes.executor.podTemplateFile", false,
       "a pod template file is read on the submitting machine; k8s-native renders the "
       "executors' template from the spec's fields"},
      {"spark.kubernetes.driver.pod.featureSteps", false,
       "driver feature steps are JVM code run by spark-submit"},
      {"spark.kubernetes.authenticate.submission.", true,
       "k8s-native has no submission client to authenticate"},
      {"spark.kubernetes.authenticate.driver.caCertFile", false,
       "credential files are read on the submitting machine"},
      {"spark.kubernetes.authenticate.driver.clientKeyFile", false,
       "credential files are read on the submitting machine"},
      {"spark.kubernetes.authenticate.driver.clientCertFile", false,
       "credential files are read on the submitting machine"},
      {"spark.kubernetes.authenticate.driver.oauthTokenFile", false,
       "credential files are read on the submitting machine"},
      {"spark.kubernetes.authenticate.driver.oauthToken", false,
       "use a service account (serviceAccount) instead of a token in the conf"},
      {"spark.kubernetes.hadoop.configMapName", false,
       "Hadoop and Kerberos set-up is not rendered by k8s-native"},
      {"spark.kubernetes.kerberos.", true,
       "Hadoop and Kerberos set-up is not rendered by k8s-native"},
      {"spark.driver.host", false,
       "not supported in Kubernetes mode: the driver's host name is its service's"},
      {"spark.driver.bindAddress", false,
       "not supported in Kubernetes mode: the driver binds to its pod's IP address"},
  };
  for (const Rule& rule : kRules) {
    if (rule.prefix ? key.starts_with(rule.key) : key == rule.key) return std::string(rule.reason);
  }
  return "";
}

// Spark resolves a path without a scheme to file:, and uploads local files from the
// submitting machine; k8s-native has no machine to upload from.
bool IsLocalFile(std::string_view uri) {
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(uri[0])))
    return true;
  for (char c : uri.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return true;
    }
  }
  return uri.substr(0, colon) == "file";
}

Status CheckDependencies(const Conf& conf, const std::string& primary) {
  if (IsLocalFile(primary)) {
    return InvalidArgument("file: \"" + primary +
                           "\" is a local file; k8s-native needs local:// (in the image) or a "
                           "remote URL");
  }
  for (const char* key : {"spark.jars", "spark.files", "spark.archives", "spark.submit.pyFiles"}) {
    for (const std::string& uri : driver_internal::ConfList(Get(conf, key).value_or(""))) {
      if (IsLocalFile(uri)) {
        return InvalidArgument("conf.\"" + std::string(key) + "\": \"" + uri +
                               "\" is a local file; k8s-native needs local:// or a remote URL");
      }
    }
  }
  return Status::Ok();
}

StatusOr<std::map<std::string, std::string>> SparkdLabels(const DriverJob& job) {
  std::map<std::string, std::string> labels = {{"sparkd.io/job-id", job.job_id},
                                               {"sparkd.io/team", job.team},
                                               {"sparkd.io/job-type", job.job_type}};
  for (const auto& [key, value] : labels) {
    std::string error = CheckLabelValue(value);
    if (!error.empty()) return InvalidArgument(key + ": \"" + value + "\" " + error);
  }
  return labels;
}

StatusOr<SparkSubmission> BuildSubmission(const DriverJob& job,
                                          const NativeBackendSettings& settings,
                                          const DriverObjectNames& names) {
  const JobSpec& spec = job.spec;
  SparkSubmission s;
  s.master = "k8s://" + settings.master_url;
  s.conf = RenderSparkConf(spec);
  for (const auto& [key, value] : settings.daemon_conf) s.conf[key] = value;
  for (const auto& [key, value] : s.conf) {
    std::string reason = UnsupportedReason(key);
    if (!reason.empty()) return InvalidArgument("conf.\"" + key + "\": " + reason);
  }
  s.conf.emplace("spark.kubernetes.namespace", settings.default_namespace);
  if (!s.conf.contains("spark.kubernetes.container.image")) {
    if (settings.default_image.empty()) {
      return InvalidArgument("image: required (the k8s-native backend has no default image)");
    }
    s.conf["spark.kubernetes.container.image"] = settings.default_image;
  }
  // Forced: another value would let a job take another job's names.
  s.conf["spark.kubernetes.driver.pod.name"] = names.driver_pod;
  s.conf["spark.kubernetes.executor.podNamePrefix"] = names.resource_prefix;
  ASSIGN_OR_RETURN(auto labels, SparkdLabels(job));
  for (const auto& [key, value] : labels) {
    s.conf["spark.kubernetes.driver.label." + key] = value;
    s.conf["spark.kubernetes.executor.label." + key] = value;
  }
  if (!spec.file || spec.file->empty()) return InvalidArgument("file: required");
  s.primary_resource = *spec.file;
  s.python = s.primary_resource.ends_with(".py");
  if (s.primary_resource.ends_with(".R") || s.primary_resource.ends_with(".r")) {
    return InvalidArgument("file: R applications are not supported by k8s-native");
  }
  if (!s.python) {
    if (!spec.class_name || spec.class_name->empty()) {
      return InvalidArgument("className: required for a JVM application");
    }
    s.main_class = *spec.class_name;
  }
  s.args = spec.args;
  RETURN_IF_ERROR(CheckDependencies(s.conf, s.primary_resource));
  RenderContext context{job.job_id,       names.app_id, s.conf.at("spark.kubernetes.namespace"),
                        names.driver_pod, job.team,     names.resource_prefix};
  json driver_template = RenderPodTemplate(spec, "driver", context);
  json executor_template = RenderPodTemplate(spec, "executor", context);
  if (!driver_template.is_null()) s.driver_pod_template = driver_template.dump();
  if (!executor_template.is_null()) s.executor_pod_template = executor_template.dump();
  return s;
}

std::string JoinList(std::string_view text) {
  std::string out;
  for (const std::string& item : driver_internal::ConfList(text)) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

// What SparkSubmit and KubernetesClientApplication add before the feature steps run.
StatusOr<DriverConf> SubmitConf(const SparkSubmission& s, const DriverJob& job,
                                const NativeBackendSettings& settings,
                                const DriverObjectNames& names) {
  DriverConf d;
  d.conf = s.conf;
  d.conf["spark.master"] = s.master;
  d.conf["spark.submit.deployMode"] = "cluster";
  std::string base_name = s.primary_resource.substr(s.primary_resource.rfind('/') + 1);
  d.conf.emplace("spark.app.name", s.python ? base_name : s.main_class);
  d.conf["spark.app.submitTime"] = std::to_string(job.submit_time_ms);
  d.conf["spark.submit.pyFiles"] = JoinList(Get(d.conf, "spark.submit.pyFiles").value_or(""));
  if (!s.python) {
    std::string jars = JoinList(Get(d.conf, "spark.jars").value_or(""));
    d.conf["spark.jars"] = jars + (jars.empty() ? "" : ",") + s.primary_resource;
  }
  d.app_id = names.app_id;
  d.app_name = d.conf.at("spark.app.name");
  d.namespace_name = d.conf.at("spark.kubernetes.namespace");
  d.names = names;
  d.primary_resource = s.primary_resource;
  d.main_class = s.main_class;
  d.args = s.args;
  d.python = s.python;
  d.spark_user = settings.spark_user.empty() ? job.team : settings.spark_user;
  if (!s.driver_pod_template.empty()) d.driver_template = json::parse(s.driver_pod_template);
  d.executor_template = s.executor_pod_template;
  d.labels = driver_internal::WithPrefix(d.conf, "spark.kubernetes.driver.label.");
  const std::pair<const char*, std::string> spark_labels[] = {
      {"spark-version", kSparkVersion},
      {"spark-app-selector", d.app_id},
      {"spark-app-name", driver_internal::AppNameLabel(d.app_name)},
      {"spark-role", "driver"}};
  for (const auto& [key, value] : spark_labels) {
    if (d.labels.contains(key)) {
      return InvalidArgument(std::string("conf.\"spark.kubernetes.driver.label.") + key +
                             "\": the label " + key + " is reserved for Spark");
    }
    d.labels[key] = value;
  }
  return d;
}

void AddSparkdMetadata(json& object, const std::map<std::string, std::string>& labels,
                       const std::string& idempotency_key) {
  json& metadata = object["metadata"];
  for (const auto& [key, value] : labels) metadata["labels"][key] = value;
  metadata["annotations"][kIdempotencyAnnotation] = idempotency_key;
}

}  // namespace

DriverObjectNames DriverObjectNamesForJob(std::string_view job_id) {
  DriverObjectNames n;
  std::string id = IsShortDnsLabel(job_id) ? std::string(job_id) : HashHex("name", job_id);
  std::string app = HashHex("app", job_id) + HashHex("app2", job_id);
  std::string dir = HashHex("dir", job_id) + HashHex("dir2", job_id);
  n.app_id = "spark-" + app;
  n.resource_prefix = "sparkd-" + id;
  n.driver_pod = n.resource_prefix + "-driver";
  n.service = n.resource_prefix + "-driver-svc";
  n.conf_config_map = "spark-drv-" + HashHex("conf", job_id) + "-conf-map";
  n.pod_template_config_map = n.resource_prefix + "-driver-podspec-conf-map";
  n.local_dir = "/var/data/spark-" + dir.substr(0, 8) + "-" + dir.substr(8, 4) + "-" +
                dir.substr(12, 4) + "-" + dir.substr(16, 4) + "-" + dir.substr(20, 12);
  return n;
}

StatusOr<DriverManifests> RenderDriverManifests(const DriverJob& job,
                                                const NativeBackendSettings& settings) {
  return RenderDriverManifests(job, settings, DriverObjectNamesForJob(job.job_id));
}

StatusOr<DriverManifests> RenderDriverManifests(const DriverJob& job,
                                                const NativeBackendSettings& settings,
                                                const DriverObjectNames& names) {
  if (names.service.size() > 63) {
    return InvalidArgument("names.service: \"" + names.service + "\" is longer than 63");
  }
  DriverManifests m;
  m.names = names;
  ASSIGN_OR_RETURN(m.submission, BuildSubmission(job, settings, names));
  ASSIGN_OR_RETURN(DriverConf driver, SubmitConf(m.submission, job, settings, names));
  ASSIGN_OR_RETURN(driver_internal::DriverBuild build, driver_internal::BuildDriverPod(driver));
  m.namespace_name = driver.namespace_name;
  m.properties = driver.conf;
  for (const auto& [key, value] : build.system_properties) m.properties[key] = value;
  std::string text = driver_internal::JavaPropertiesText(
      m.properties,
      "Java properties built from Kubernetes config map with name: " + names.conf_config_map,
      job.submit_time_ms);
  m.pod = std::move(build.pod);
  m.pod["metadata"]["annotations"][kIdempotencyAnnotation] = job.idempotency_key;
  m.dependents = std::move(build.resources);
  m.dependents.push_back(
      {"configmaps",
       {{"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", {{"name", names.conf_config_map}, {"namespace", m.namespace_name}}},
        // Spark also writes the namespace as a data key of its own.
        {"data", {{"spark.properties", text}, {"spark.kubernetes.namespace", m.namespace_name}}},
        {"immutable", true}}});
  ASSIGN_OR_RETURN(auto labels, SparkdLabels(job));
  for (DriverObject& dependent : m.dependents) {
    AddSparkdMetadata(dependent.object, labels, job.idempotency_key);
  }
  return m;
}

std::vector<DriverObject> DependentsOwnedBy(const DriverManifests& manifests,
                                            std::string_view pod_uid) {
  json owner = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"controller", true},
                {"name", manifests.names.driver_pod},
                {"uid", pod_uid}};
  std::vector<DriverObject> out = manifests.dependents;
  for (DriverObject& dependent : out) {
    dependent.object["metadata"]["ownerReferences"] = json::array({owner});
  }
  return out;
}

}  // namespace sparkd
