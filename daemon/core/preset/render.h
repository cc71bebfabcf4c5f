// Rendering a resolved spec into what the backends consume: the Spark conf of the submission
// and, for what Spark conf cannot say (tolerations, affinity, priority class, volumes), a pod
// template per role, plus the job's link URLs.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/core/preset/job_spec.h"

namespace sparkd {

// Values for the placeholders of link templates and affinity terms: {job_id} {app_id}
// {namespace} {driver_pod} {team}. Affinity terms use them to pack one app's executors
// together (a labelSelector on spark-app-selector: "{app_id}").
struct RenderContext {
  std::string job_id;
  std::string app_id;
  std::string namespace_name;
  std::string driver_pod;
  std::string team;
  std::string pod_prefix;  // every pod of the app is <prefix>-driver or <prefix>-exec-<n>
};

std::string ExpandPlaceholders(std::string_view text, const RenderContext& context);

inline constexpr std::string_view kRedactionRegexKey = "spark.redaction.regex";

// spark.* keys: resources, dynamic allocation, image, namespace, service account, node
// selector, labels, annotations, env (plain and secretKeyRef: only the reference), pull
// secrets, dependencies, and the spec's own conf. Typed fields win over a conf entry with the
// same key, and spark.redaction.regex is the daemon's (SparkRedactionRegex) whatever the spec
// says: a job cannot make Spark show what the daemon hides.
std::map<std::string, std::string> RenderSparkConf(const JobSpec& spec);

// A Pod manifest to use as spark.kubernetes.{driver,executor}.podTemplateFile, or null when
// the spec needs none. `role` is "driver" or "executor".
nlohmann::json RenderPodTemplate(const JobSpec& spec, std::string_view role,
                                 const RenderContext& context);

// {"logs": url, "dashboard": url} for the templates the spec has.
std::map<std::string, std::string> RenderLinks(const JobSpec& spec, const RenderContext& context);

}  // namespace sparkd
