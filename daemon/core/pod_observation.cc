#include "daemon/core/pod_observation.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace sparkd {
namespace {

using nlohmann::json;

const json& Null() {
  static const json* const kNull = new json();
  return *kNull;
}

const json& Field(const json& j, const char* key) {
  if (!j.is_object()) return Null();
  auto it = j.find(key);
  return it == j.end() ? Null() : *it;
}

std::string Text(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::optional<TimePoint> TimeField(const json& j, const char* key) {
  return ParseKubeTime(Text(j, key));
}

// The status of the Spark container (by name, else the first that is not a sidecar); null
// when the kubelet has reported none yet.
const json* MainContainerStatus(const json& pod) {
  const json& statuses = Field(Field(pod, "status"), "containerStatuses");
  if (!statuses.is_array() || statuses.empty()) return nullptr;
  // The spec's order, not the status list's (sorted by name), decides which is first.
  std::vector<std::string> names;
  const json& spec_containers = Field(Field(pod, "spec"), "containers");
  if (spec_containers.is_array()) {
    for (const json& c : spec_containers) names.push_back(Text(c, "name"));
  }
  for (const json& s : statuses) {
    if (std::find(names.begin(), names.end(), Text(s, "name")) == names.end()) {
      names.push_back(Text(s, "name"));
    }
  }
  std::string main = classify::MainContainerName(names);
  for (const json& s : statuses) {
    if (Text(s, "name") == main) return &s;
  }
  return nullptr;
}

const json& Terminated(const json* status) {
  return status ? Field(Field(*status, "state"), "terminated") : Null();
}

// Waiting reasons of every container (init containers too): any one keeps the pod from
// running.
std::vector<std::pair<std::string, std::string>> WaitingReasons(const json& pod) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* key : {"initContainerStatuses", "containerStatuses"}) {
    const json& list = Field(Field(pod, "status"), key);
    if (!list.is_array()) continue;
    for (const json& s : list) {
      const json& waiting = Field(Field(s, "state"), "waiting");
      if (waiting.is_object()) out.emplace_back(Text(waiting, "reason"), Text(waiting, "message"));
    }
  }
  return out;
}

const json* Condition(const json& pod, std::string_view type) {
  const json& conditions = Field(Field(pod, "status"), "conditions");
  if (!conditions.is_array()) return nullptr;
  for (const json& c : conditions) {
    if (Text(c, "type") == type) return &c;
  }
  return nullptr;
}

std::string Duration(std::chrono::seconds s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s.count() / 60),
                static_cast<long long>(s.count() % 60));
  return buf;
}

// Why a pod that has not started may never start, and since when.
struct Stuck {
  ExitReason reason = ExitReason::kUnspecified;
  std::chrono::seconds deadline{0};
  std::optional<TimePoint> since;
  std::string what;  // "unschedulable", "cannot pull its image", ...
};

std::optional<TimePoint> ScheduledAt(const json& pod) {
  if (const json* c = Condition(pod, "PodScheduled"); c && Text(*c, "status") == "True") {
    if (auto t = TimeField(*c, "lastTransitionTime")) return t;
  }
  if (auto t = TimeField(Field(pod, "status"), "startTime")) return t;
  return TimeField(Field(pod, "metadata"), "creationTimestamp");
}

std::optional<Stuck> StuckState(const json& pod, const classify::Diagnosis& d,
                                const StuckDeadlines& deadlines) {
  for (const auto& [reason, message] : WaitingReasons(pod)) {
    if (reason == "InvalidImageName" || reason == "ErrImageNeverPull") {
      return Stuck{ExitReason::kImagePullFailed, std::chrono::seconds(0), ScheduledAt(pod),
                   "cannot pull its image"};
    }
  }
  if (d.reason == ExitReason::kCrashLoop) {
    // Back-off after several failed starts: it has failed already, more than once.
    return Stuck{d.reason, std::chrono::seconds(0), ScheduledAt(pod), "keeps crashing"};
  }
  if (d.reason == ExitReason::kImagePullFailed) {
    return Stuck{d.reason, deadlines.image_pull, ScheduledAt(pod), "cannot pull its image"};
  }
  if (d.reason == ExitReason::kConfigError) {
    return Stuck{d.reason, deadlines.config_error, ScheduledAt(pod), "cannot start its container"};
  }
  if (d.reason == ExitReason::kUnschedulable) {
    std::optional<TimePoint> since;
    if (const json* c = Condition(pod, "PodScheduled")) since = TimeField(*c, "lastTransitionTime");
    if (!since) since = TimeField(Field(pod, "metadata"), "creationTimestamp");
    return Stuck{d.reason, deadlines.unschedulable, since, "unschedulable"};
  }
  return std::nullopt;
}

bool PastDeadline(const Stuck& stuck, TimePoint now) {
  if (stuck.deadline.count() == 0) return true;
  return stuck.since && now - *stuck.since >= stuck.deadline;
}

std::string PodRef(const PodIdentity& id) { return id.namespace_name + "/" + id.name; }

// The record of the pod's Spark container, with the classifier's reason.
ExecutorRecord RecordOf(const json& pod, const PodIdentity& id, const classify::Diagnosis& d,
                        TimePoint now) {
  ExecutorRecord r;
  r.executor_id = id.role == PodRole::kDriver ? "driver" : id.executor_id;
  r.pod_name = id.name;
  r.host = id.node;
  const json* main = MainContainerStatus(pod);
  const json& terminated = Terminated(main);
  const json& running = main ? Field(Field(*main, "state"), "running") : Null();
  r.started_at = TimeField(terminated, "startedAt");
  if (!r.started_at) r.started_at = TimeField(running, "startedAt");
  if (!r.started_at) r.started_at = TimeField(Field(pod, "status"), "startTime");
  r.ended_at = TimeField(terminated, "finishedAt");
  if (!r.ended_at) r.ended_at = TimeField(Field(pod, "metadata"), "deletionTimestamp");
  if (!r.ended_at) r.ended_at = now;
  r.exit_code = d.exit_code;
  if (!r.exit_code && Field(terminated, "exitCode").is_number_integer()) {
    r.exit_code = Field(terminated, "exitCode").get<int>();
  }
  r.reason = d.reason;
  r.evidence = d.evidence;
  r.advice = d.advice;
  return r;
}

// "Killed by the driver" means an executor the driver removed; a driver pod deleted without
// any other evidence was deleted by someone other than sparkd (which cancels the job first),
// and nothing recorded why.
bool DeletedByOthers(ExecutorRecord* driver) {
  if (driver->reason != ExitReason::kKilledByDriver) return false;
  driver->reason = ExitReason::kUnknown;
  driver->evidence += " by someone other than sparkd; nothing recorded why";
  driver->advice = classify::AdviceFor(ExitReason::kUnknown);
  return true;
}

}  // namespace

std::optional<TimePoint> ParseKubeTime(std::string_view text) {
  int y, mo, d, h, mi, s;
  int used = 0;
  std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(t).substr(static_cast<size_t>(used));
  int64_t micros = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    int64_t scale = 100000;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i, scale /= 10) {
      if (scale > 0) micros += (rest[i] - '0') * scale;
    }
    rest.remove_prefix(i);
  }
  int offset_seconds = 0;
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
    int om = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset_seconds = (rest[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  time_t epoch = timegm(&tm);
  return TimePoint(std::chrono::seconds(epoch - offset_seconds)) +
         std::chrono::microseconds(micros);
}

PodIdentity IdentifyPod(const json& pod) {
  PodIdentity id;
  const json& meta = Field(pod, "metadata");
  const json& labels = Field(meta, "labels");
  id.job_id = Text(labels, kJobIdLabel);
  std::string role = Text(labels, kSparkRoleLabel);
  id.role = role == "driver"     ? PodRole::kDriver
            : role == "executor" ? PodRole::kExecutor
                                 : PodRole::kOther;
  id.namespace_name = Text(meta, "namespace");
  id.name = Text(meta, "name");
  id.uid = Text(meta, "uid");
  id.executor_id = Text(labels, kExecutorIdLabel);
  if (id.executor_id.empty()) id.executor_id = id.name;
  id.node = Text(Field(pod, "spec"), "nodeName");
  return id;
}

bool WaitingToStart(const json& pod) {
  std::string phase = Text(Field(pod, "status"), "phase");
  if (phase != "Pending" && !phase.empty()) return false;
  return !Terminated(MainContainerStatus(pod)).is_object();
}

Observation ObserveDriverPod(const json& pod, const classify::PodContext& context, TimePoint now,
                             const StuckDeadlines& deadlines) {
  PodIdentity id = IdentifyPod(pod);
  Observation o;
  o.spark_app_id = Text(Field(Field(pod, "metadata"), "labels"), kAppIdLabel);
  std::string phase = Text(Field(pod, "status"), "phase");
  const json* main = MainContainerStatus(pod);
  const json& terminated = Terminated(main);
  classify::Diagnosis d = classify::DiagnosePodObject(pod, context);
  bool ended = terminated.is_object() || phase == "Succeeded" || phase == "Failed";
  if (ended) {
    o.phase = Observation::Phase::kExited;
    o.driver = RecordOf(pod, id, d, now);
    o.exit_code = o.driver->exit_code;
    if (!o.exit_code && phase == "Succeeded") o.exit_code = 0;
    if (!o.exit_code) o.message = "driver pod " + PodRef(id) + " failed: " + d.evidence;
    if (DeletedByOthers(&*o.driver)) o.message = "driver pod " + PodRef(id) + " was deleted";
    return o;
  }
  if (context.vanished) {
    o.phase = Observation::Phase::kLost;
    o.driver = RecordOf(pod, id, d, now);
    o.message = "driver pod " + PodRef(id) + " was deleted before the driver ended";
    if (context.node_gone) o.message += ", with its node " + id.node;
    DeletedByOthers(&*o.driver);
    return o;
  }
  if (phase == "Running" && main && Field(Field(*main, "state"), "running").is_object()) {
    o.phase = Observation::Phase::kRunning;
    return o;
  }
  o.phase = Observation::Phase::kStarting;
  if (auto stuck = StuckState(pod, d, deadlines)) {
    o.message = "driver pod " + PodRef(id) + " " + stuck->what + ": " + d.evidence;
    if (PastDeadline(*stuck, now)) {
      o.phase = Observation::Phase::kFailed;
      o.driver = RecordOf(pod, id, d, now);
      o.driver->reason = stuck->reason;
      if (stuck->deadline.count() > 0) {
        o.message = "driver pod " + PodRef(id) + " " + stuck->what + " for more than " +
                    Duration(stuck->deadline) + ": " + d.evidence;
      }
    }
  }
  return o;
}

std::optional<ExecutorRecord> ExecutorPodEnd(const json& pod, const classify::PodContext& context,
                                             TimePoint now, const StuckDeadlines& deadlines) {
  PodIdentity id = IdentifyPod(pod);
  std::string phase = Text(Field(pod, "status"), "phase");
  bool ended = Terminated(MainContainerStatus(pod)).is_object() || phase == "Succeeded" ||
               phase == "Failed" || context.vanished ||
               !Text(Field(pod, "metadata"), "deletionTimestamp").empty();
  classify::Diagnosis d = classify::DiagnosePodObject(pod, context);
  if (!ended) {
    auto stuck = StuckState(pod, d, deadlines);
    if (!stuck || !PastDeadline(*stuck, now)) return std::nullopt;
  }
  return RecordOf(pod, id, d, now);
}

}  // namespace sparkd
