#include "daemon/core/job_json.h"

#include <cstdio>
#include <ctime>

#include "daemon/core/preset/request_json.h"

namespace sparkd {
namespace {

using nlohmann::json;

json ResourcesToJson(const Resources& r) {
  json j = json::object();
  if (!r.memory.empty()) j["memory"] = r.memory;
  if (r.cores) j["cores"] = *r.cores;
  if (!r.memory_overhead.empty()) j["memory_overhead"] = r.memory_overhead;
  return j;
}

std::string_view LocalModeName(LocalMode mode) {
  switch (mode) {
    case LocalMode::kThreads:
      return "threads";
    case LocalMode::kCluster:
      return "cluster";
    case LocalMode::kDefault:
      break;
  }
  return "";
}

template <typename T>
void SetIf(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

}  // namespace

std::string FormatRfc3339(TimePoint t) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis % 1000));
  return buf;
}

json JobRequestToJson(const JobRequest& r) {
  json j = {{"file", r.file}};
  if (!r.name.empty()) j["name"] = r.name;
  if (!r.job_type.empty()) j["job_type"] = r.job_type;
  if (!r.class_name.empty()) j["class_name"] = r.class_name;
  if (!r.args.empty()) j["args"] = r.args;
  if (auto d = ResourcesToJson(r.driver); !d.empty()) j["driver"] = d;
  if (auto e = ResourcesToJson(r.executor); !e.empty()) j["executor"] = e;
  SetIf(j, "executor_instances", r.executor_instances);
  const auto& da = r.dynamic_allocation;
  if (da.enabled || da.min_executors || da.max_executors || da.initial_executors) {
    json d = {{"enabled", da.enabled}};
    SetIf(d, "min_executors", da.min_executors);
    SetIf(d, "max_executors", da.max_executors);
    SetIf(d, "initial_executors", da.initial_executors);
    j["dynamic_allocation"] = d;
  }
  if (!r.conf.empty()) j["conf"] = r.conf;
  if (!r.env.empty()) j["env"] = r.env;
  for (const auto& [name, ref] : r.secret_env) {
    j["secret_env"][name] = {{"name", ref.name}, {"key", ref.key}};
  }
  if (!r.labels.empty()) j["labels"] = r.labels;
  if (!r.py_files.empty()) j["py_files"] = r.py_files;
  if (!r.jars.empty()) j["jars"] = r.jars;
  if (!r.files.empty()) j["files"] = r.files;
  if (r.local_mode != LocalMode::kDefault) j["local_mode"] = LocalModeName(r.local_mode);
  return j;
}

StatusOr<std::string> RequestFingerprint(const JobRequest& request) {
  try {
    return JobRequestToJson(request).dump();
  } catch (const json::type_error&) {
    return InvalidArgument("job: a text is not valid UTF-8");
  }
}

StatusOr<JobRequest> JobRequestFromJson(const json& j) {
  auto request = ParseRequestJson(j, UnknownKeys::kIgnore);
  if (!request.ok()) return request.status().WithContext("stored job request");
  return request;
}

json JobReportToJson(const JobReport& report) {
  json counts = json::object();
  for (const auto& [reason, count] : report.executors_by_reason) {
    counts[std::string(ExitReasonName(reason))] = count;
  }
  json j = {{"executors_by_reason", counts},
            {"first_fatal_cause", report.first_fatal_cause},
            {"driver_log_tail", report.driver_log_tail}};
  if (report.first_fatal_reason != ExitReason::kUnspecified) {
    j["first_fatal_reason"] = ExitReasonName(report.first_fatal_reason);
  }
  return j;
}

StatusOr<JobReport> JobReportFromJson(const json& j) {
  try {
    JobReport report;
    const json counts = j.value("executors_by_reason", json::object());
    for (const auto& [name, count] : counts.items()) {
      if (auto reason = ParseExitReason(name))
        report.executors_by_reason[*reason] = count.get<int>();
    }
    if (auto reason = ParseExitReason(j.value("first_fatal_reason", ""))) {
      report.first_fatal_reason = *reason;
    }
    report.first_fatal_cause = j.value("first_fatal_cause", "");
    report.driver_log_tail = j.value("driver_log_tail", std::vector<std::string>{});
    return report;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("job report JSON: ") + e.what());
  }
}

json JobToJson(const Job& job) {
  json j = {{"id", job.id},
            {"team", job.team},
            {"idempotency_key", job.idempotency_key},
            {"state", JobStateName(job.state)},
            {"state_message", job.state_message},
            {"request", JobRequestToJson(job.request)},
            {"backend", job.backend},
            {"backend_ref", job.backend_ref},
            {"spark_app_id", job.spark_app_id},
            {"created_at", FormatRfc3339(job.created_at)},
            {"updated_at", FormatRfc3339(job.updated_at)},
            {"report", JobReportToJson(job.report)}};
  if (job.driver_exit_code) j["driver_exit_code"] = *job.driver_exit_code;
  if (job.started_at) j["started_at"] = FormatRfc3339(*job.started_at);
  if (job.finished_at) j["finished_at"] = FormatRfc3339(*job.finished_at);
  json events = json::array();
  for (const auto& e : job.events) {
    events.push_back({{"seq", e.seq},
                      {"from", e.from ? JobStateName(*e.from) : ""},
                      {"to", JobStateName(e.to)},
                      {"at", FormatRfc3339(e.at)},
                      {"message", e.message}});
  }
  j["events"] = events;
  json executors = json::array();
  for (const auto& x : job.executors) {
    json e = {{"executor_id", x.executor_id},       {"pod_name", x.pod_name}, {"host", x.host},
              {"reason", ExitReasonName(x.reason)}, {"evidence", x.evidence}, {"advice", x.advice}};
    if (x.exit_code) e["exit_code"] = *x.exit_code;
    if (x.started_at) e["started_at"] = FormatRfc3339(*x.started_at);
    if (x.ended_at) e["ended_at"] = FormatRfc3339(*x.ended_at);
    executors.push_back(e);
  }
  j["executors"] = executors;
  return j;
}

}  // namespace sparkd
