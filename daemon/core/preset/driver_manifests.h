// The k8s-native backend's driver objects: the driver Pod, the ConfigMap holding its
// spark.properties, the headless Service the executors reach it through, and (when the spec
// needs one) the ConfigMap with the executors' pod template: what `spark-submit --master k8s://
// --deploy-mode cluster` of Spark 3.5.8 would create for the same job, rendered without a JVM.
//
// Rendering is pure: the job and the backend's settings in, JSON objects out. It runs in two
// stages, as spark-submit does:
//   1. the submission: the conf a `spark-submit` of the job would be given (the spec rendered by
//      RenderSparkConf, the daemon's own conf, sparkd's names and labels) and its pod templates;
//   2. what Spark's KubernetesDriverBuilder and submit Client make of that submission.
// The differential test (tests/k8s/test_render_vs_spark_submit.py) runs the real spark-submit
// with stage 1 and compares its objects with stage 2; docs/k8s-native-rendering.md lists where
// the two differ on purpose (names and Spark's random parts, sorted maps, sparkd's labels).
//
// Every name is a function of the job id, so a create repeated after a crash answers 409
// AlreadyExists and the job still runs once. The pod is created first; the other objects carry an
// ownerReference to it (DependentsOwnedBy, from the created pod's uid), so deleting the pod
// collects them.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/preset/job_spec.h"
#include "daemon/core/status.h"

namespace sparkd {

// The names of one job's driver objects.
struct DriverObjectNames {
  std::string app_id;                   // spark-<32 hex>: spark.app.id, spark-app-selector
  std::string resource_prefix;          // sparkd-<job id>: executor pod names start with it
  std::string driver_pod;               // <prefix>-driver
  std::string service;                  // <prefix>-driver-svc; spark.driver.host names it
  std::string conf_config_map;          // spark-drv-<16 hex>-conf-map: spark.properties
  std::string pod_template_config_map;  // <prefix>-driver-podspec-conf-map
  std::string local_dir;                // /var/data/spark-<uuid>: the default local dir
  bool operator==(const DriverObjectNames&) const = default;
};

// Derives every name from the job id. A job id that is not a short DNS label already
// ([a-z0-9-], at most 40 characters) is replaced by a hash of it in the names.
DriverObjectNames DriverObjectNamesForJob(std::string_view job_id);

// What the k8s-native backend adds to every job.
struct NativeBackendSettings {
  std::string default_namespace = "default";  // when the spec names none
  std::string default_image;                  // when the spec names none
  // The API server as the driver sees it; spark.master is "k8s://" + this.
  std::string master_url = "https://kubernetes.default.svc";
  std::string spark_user;  // SPARK_USER in the driver; "" = the job's team
  // Conf the daemon owns (event log dir, UI proxy base, ...): wins over the spec's conf.
  std::map<std::string, std::string> daemon_conf;
};

// The job as the backend gets it.
struct DriverJob {
  std::string job_id;
  std::string team;
  std::string job_type;
  std::string idempotency_key;
  int64_t submit_time_ms = 0;  // spark.app.submitTime and the date line of spark.properties
  JobSpec spec;                // resolved
};

// What `spark-submit --deploy-mode cluster` of the job would be given (stage 1).
struct SparkSubmission {
  std::string master;                       // --master k8s://...
  std::map<std::string, std::string> conf;  // --conf KEY=VALUE, every one
  std::string primary_resource;             // the jar or .py file (local:// or a remote URL)
  std::string main_class;                   // --class; "" for a Python app
  std::vector<std::string> args;            // the application's arguments
  bool python = false;
  // Pod templates as the text of spark.kubernetes.{driver,executor}.podTemplateFile; "" = none.
  std::string driver_pod_template;
  std::string executor_pod_template;
};

// One object to create: POST /api/v1/namespaces/{namespace}/{resource}.
struct DriverObject {
  std::string resource;  // "pods", "services" or "configmaps"
  nlohmann::json object;
};

struct DriverManifests {
  std::string namespace_name;
  DriverObjectNames names;
  SparkSubmission submission;
  nlohmann::json pod;  // create this first
  // Then these, in this order (Spark's: the service, the executors' pod template, then
  // spark.properties), each with an ownerReference to the pod: see DependentsOwnedBy.
  std::vector<DriverObject> dependents;
  std::map<std::string, std::string> properties;  // the content of spark.properties
};

// Renders the job's driver objects with DriverObjectNamesForJob(job.job_id).
// INVALID_ARGUMENT (naming the field or conf key) for what Spark would refuse (a reserved label,
// spark.driver.host, a malformed secretKeyRef, ...) and for what needs a submitting JVM's
// machine: local files to upload, pod template files, credential files, Kerberos and Hadoop conf
// dirs, custom feature steps.
StatusOr<DriverManifests> RenderDriverManifests(const DriverJob& job,
                                                const NativeBackendSettings& settings);
StatusOr<DriverManifests> RenderDriverManifests(const DriverJob& job,
                                                const NativeBackendSettings& settings,
                                                const DriverObjectNames& names);

// The dependents with an ownerReference to the created driver pod (its uid from the API
// server's answer to the pod's create), ready to POST.
std::vector<DriverObject> DependentsOwnedBy(const DriverManifests& manifests,
                                            std::string_view pod_uid);

// JSON forms (camelCase keys) for dry runs, the Python binding and the tests. The readers name
// the field that is wrong: "job.submitTimeMs: expected a whole number".
nlohmann::json DriverManifestsToJson(const DriverManifests& manifests);
nlohmann::json DriverObjectNamesToJson(const DriverObjectNames& names);
StatusOr<DriverObjectNames> DriverObjectNamesFromJson(const nlohmann::json& json);
// {"jobId", "team", "jobType", "idempotencyKey", "submitTimeMs", "spec": <SpecToJson>}
StatusOr<DriverJob> DriverJobFromJson(const nlohmann::json& json);
// {"defaultNamespace", "defaultImage", "masterUrl", "sparkUser", "daemonConf": {...}}
StatusOr<NativeBackendSettings> NativeBackendSettingsFromJson(const nlohmann::json& json);

}  // namespace sparkd
