// Folding diagnoses into the daemon's executor records and the job-level summary.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "daemon/core/classify/classify.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

// The supervisor records the driver among the executors under this id (DriverRecord). It is
// named as the driver in the cause and not counted among the executors: "1 executor APP_ERROR"
// for a driver that exited 3 sent people looking for an executor that never failed.
constexpr std::string_view kDriverId = "driver";

ExecutorRecord* FindRecord(const Diagnosis& d, std::vector<ExecutorRecord>* executors) {
  for (ExecutorRecord& r : *executors) {
    if ((d.id && (r.executor_id == *d.id || (!r.pod_name.empty() && r.pod_name == *d.id))) ||
        (!d.pod_name.empty() && r.pod_name == d.pod_name)) {
      return &r;
    }
  }
  return nullptr;
}

// "4505Mi" → "4.4Gi": the cause line is read by people.
std::string HumanQuantity(std::string_view q) {
  auto value = text::LeadingInt(q);
  if (!value || !text::Contains(q, "Mi") || *value < 1024) return std::string(q);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fGi", *value / 1024.0);
  return buf;
}

std::string Detail(const ExecutorRecord& r) {
  std::string_view ev = r.evidence;
  std::string_view limit = text::After(ev, "memory limit ");
  if (!limit.empty()) return "container memory limit " + HumanQuantity(text::Word(limit));
  if (r.reason == ExitReason::kEvicted) {
    for (std::string_view res : {"ephemeral-storage", "memory", "pid"}) {
      if (text::Contains(ev, "low on resource: " + std::string(res))) {
        return "node " + std::string(res) + " pressure";
      }
    }
  }
  if (r.exit_code) return "exit code " + std::to_string(*r.exit_code);
  return {};
}

std::string_view ShortFix(ExitReason reason, std::string_view detail, bool driver) {
  if (driver && reason == ExitReason::kOomKilled) return "raise spark.driver.memoryOverhead";
  if (driver && reason == ExitReason::kJvmOom) return "raise spark.driver.memory or collect less";
  switch (reason) {
    case ExitReason::kOomKilled:
      return "raise spark.executor.memoryOverhead";
    case ExitReason::kJvmOom:
      return "raise spark.executor.memory or repartition";
    case ExitReason::kEvicted:
      return text::Contains(detail, "ephemeral") ? "give spark.local.dir more disk"
                                                 : "request what the pods use (node pressure)";
    case ExitReason::kNodeLost:
      return "enable decommissioning or use spot-aware pools";
    case ExitReason::kPreempted:
      return "give Spark pods a higher PriorityClass";
    case ExitReason::kImagePullFailed:
      return "fix the image name or pull secret";
    case ExitReason::kConfigError:
      return "create the missing secret or ConfigMap";
    case ExitReason::kUnschedulable:
      return "lower requests or fix selectors/tolerations";
    case ExitReason::kCrashLoop:
      return "read the previous container log";
    case ExitReason::kHeartbeatTimeout:
      return "check GC time and memory pressure";
    case ExitReason::kAppError:
      return "read the first exception in the log";
    default:
      return "collect the pod status for more evidence";
  }
}

}  // namespace

void ApplyDiagnoses(const std::vector<Diagnosis>& diagnoses,
                    std::vector<ExecutorRecord>* executors) {
  // Strength of what each record holds now. The daemon's raw record (reason unset) yields to
  // any diagnosis; a record classified already (from its pod, as it ended) yields only to
  // stronger evidence, and a vague one (APP_ERROR, KILLED_BY_DRIVER) to a log that says why.
  std::map<size_t, int> held;
  for (size_t i = 0; i < executors->size(); ++i) {
    ExitReason r = (*executors)[i].reason;
    if (r == ExitReason::kUnspecified) continue;
    held[i] = r == ExitReason::kUnknown                                        ? 5
              : r == ExitReason::kAppError || r == ExitReason::kKilledByDriver ? 55
                                                                               : 90;
  }
  for (const Diagnosis& d : diagnoses) {
    if (d.subject != Subject::kExecutor || (!d.id && d.pod_name.empty())) continue;
    ExecutorRecord* r = FindRecord(d, executors);
    if (!r) {
      ExecutorRecord added;
      added.executor_id = d.id.value_or(d.pod_name);
      added.pod_name = d.pod_name;
      executors->push_back(std::move(added));
      r = &executors->back();
    }
    size_t index = static_cast<size_t>(r - executors->data());
    auto it = held.find(index);
    if (it != held.end() && it->second >= d.strength) continue;
    held[index] = d.strength;
    r->reason = d.reason;
    r->evidence = d.evidence;
    r->advice = d.advice;
    if (d.exit_code) r->exit_code = d.exit_code;
    if (r->pod_name.empty()) r->pod_name = d.pod_name;
  }
}

JobReport SummarizeExecutors(const std::vector<ExecutorRecord>& executors) {
  JobReport report;
  const ExecutorRecord* first = nullptr;
  for (const ExecutorRecord& r : executors) {
    if (r.reason == ExitReason::kUnspecified) continue;
    if (r.executor_id != kDriverId) ++report.executors_by_reason[r.reason];
    if (!IsFailureReason(r.reason)) continue;
    bool earlier =
        first == nullptr || (r.ended_at && (!first->ended_at || *r.ended_at < *first->ended_at));
    if (earlier) first = &r;
  }
  if (first == nullptr) return report;
  report.first_fatal_reason = first->reason;
  const bool driver = first->executor_id == kDriverId;
  auto counted = report.executors_by_reason.find(first->reason);
  int count = counted == report.executors_by_reason.end() ? 0 : counted->second;
  std::string detail = Detail(*first);
  std::string cause = driver ? std::string("driver ")
                             : std::to_string(count) + (count == 1 ? " executor " : " executors ");
  cause += ExitReasonName(first->reason);
  if (!detail.empty()) cause += " (" + detail + ")";
  cause += "; ";
  cause += ShortFix(first->reason, detail, driver);
  report.first_fatal_cause = std::move(cause);
  return report;
}

}  // namespace sparkd::classify
