// Pod → observation: what the Kubernetes backends' one pod watcher makes of a sparkd job's
// driver and executor pods. Pure: a pod object as the API server serves it (a watch event's
// or a list's), what else is known of it (its Events, whether it vanished), the time and the
// deadlines in; an Observation of the job or the record of an executor that ended out. The
// exit reasons come from the classifier (classify::DiagnosePodObject), never from here.
//
// The job follows its driver pod:
//   Pending                         kStarting (kFailed once stuck past its deadline, below)
//   Running, Spark container up     kRunning
//   Spark container terminated      kExited with that container's exit code, even while a
//   (Succeeded, Failed, or Running    sidecar keeps the pod Running; never a sidecar's code
//    with a sidecar)
//   vanished before it ended        kLost (deleted, or gone with its node: NODE_LOST)
//
// Stuck drivers fail after a deadline, each measured from when the pod got into that state:
//   PodScheduled=False Unschedulable     UNSCHEDULABLE, quoting the scheduler
//   ErrImagePull / ImagePullBackOff      IMAGE_PULL_FAILED. A deadline, not the first sight:
//                                        the kubelet retries pulls, and a registry's passing
//                                        failure (a 5xx, a rate limit) heals within its
//                                        back-off, while a missing tag never does
//   InvalidImageName, ErrImageNeverPull  IMAGE_PULL_FAILED at first sight: no retry can help
//   CrashLoopBackOff                     CRASH_LOOP at first sight: it failed more than once
//   CreateContainerConfigError, a        CONFIG_ERROR naming the missing secret or ConfigMap;
//   FailedMount of a missing volume      a deadline too: such objects are often created by
//                                        another controller a moment after the job
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/core/backend.h"
#include "daemon/core/classify/classify.h"
#include "daemon/core/job.h"

namespace sparkd {

// The labels sparkd and Spark put on a job's pods.
inline constexpr char kJobIdLabel[] = "sparkd.io/job-id";
inline constexpr char kSparkRoleLabel[] = "spark-role";
inline constexpr char kExecutorIdLabel[] = "spark-exec-id";
inline constexpr char kAppIdLabel[] = "spark-app-selector";

enum class PodRole { kOther, kDriver, kExecutor };

struct PodIdentity {
  std::string job_id;  // "" when the pod is not a sparkd job's
  PodRole role = PodRole::kOther;
  std::string executor_id;  // label spark-exec-id, else the pod name
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string node;  // spec.nodeName; "" while unscheduled
};

PodIdentity IdentifyPod(const nlohmann::json& pod);

struct StuckDeadlines {
  std::chrono::seconds unschedulable{300};
  std::chrono::seconds image_pull{120};
  std::chrono::seconds config_error{60};
};

// What the job's driver pod says about the job now. `observation.driver` holds the driver's
// classified record whenever the pod ended, vanished or is stuck.
Observation ObserveDriverPod(const nlohmann::json& pod, const classify::PodContext& context,
                             TimePoint now, const StuckDeadlines& deadlines);

// The record of an executor whose pod ended (its Spark container terminated, the pod finished,
// is being deleted or vanished, or is stuck starting past its deadline); nullopt while it runs
// or may still start.
std::optional<ExecutorRecord> ExecutorPodEnd(const nlohmann::json& pod,
                                             const classify::PodContext& context, TimePoint now,
                                             const StuckDeadlines& deadlines);

// True while the pod has not started its Spark container and is in a state that may become
// a failure as time passes (the watcher looks at such pods again without a new event).
bool WaitingToStart(const nlohmann::json& pod);

// RFC 3339 ("2024-05-01T10:00:05Z", fractions and offsets allowed) → time; nullopt if not.
std::optional<TimePoint> ParseKubeTime(std::string_view text);

}  // namespace sparkd
