// Advice texts: one sentence per reason, refined by the detail that decided it. Kept apart from
// the rules so wording can change without touching classification.
#include <string>

#include "daemon/core/classify/classify.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

std::string EvictionAdvice(std::string_view detail) {
  if (text::ContainsNoCase(detail, "ephemeral-storage")) {
    return "The node ran out of local disk (ephemeral-storage): put spark.local.dir / "
           "spark.kubernetes.local.dirs on a larger volume (a PVC or a bigger node disk) and "
           "set an ephemeral-storage request so the pod lands on a node with room.";
  }
  if (text::ContainsNoCase(detail, "memory")) {
    return "The node ran short of memory and evicted the pods using most above their request: "
           "set the memory request equal to the limit (Guaranteed QoS) and leave node headroom.";
  }
  if (text::ContainsNoCase(detail, "pid")) {
    return "The node ran out of process ids: lower the number of Python workers or threads per "
           "executor, or use nodes with a larger pid limit.";
  }
  return "The kubelet evicted the pod under node pressure: read the eviction message for the "
         "resource (memory, ephemeral-storage) and request enough of it.";
}

std::string AppErrorAdvice(std::string_view detail) {
  if (text::Contains(detail, "53")) {
    return "Spark could not create its local directories (exit 53): check spark.local.dir "
           "exists, is writable and has space.";
  }
  if (text::Contains(detail, "56")) {
    return "The executor could not reach the driver for heartbeats (exit 56): check the "
           "driver is alive and the network between them, then spark.network.timeout.";
  }
  return "The application failed: read the log around the first exception (kubectl logs, or "
         "the driver log for an executor's task failure) and fix the code or its input.";
}

}  // namespace

std::string AdviceFor(ExitReason reason, std::string_view detail) {
  switch (reason) {
    case ExitReason::kSucceeded:
      return "Nothing to change: it finished successfully.";
    case ExitReason::kKilledByDriver:
      return "Nothing to fix: the driver released this executor (dynamic allocation or the end "
             "of the application); if executors churn, raise "
             "spark.dynamicAllocation.executorIdleTimeout.";
    case ExitReason::kOomKilled:
      if (text::Contains(detail, "driver")) {
        return "Raise spark.driver.memoryOverhead (or spark.driver.memoryOverheadFactor): the "
               "container memory limit was hit, not the JVM heap.";
      }
      return "Raise spark.executor.memoryOverhead (or spark.executor.memoryOverheadFactor): the "
             "container memory limit was hit by off-heap memory (Python workers, Netty buffers, "
             "native code), not by the JVM heap.";
    case ExitReason::kJvmOom:
      if (text::Contains(detail, "driver")) {
        return "Raise spark.driver.memory, and avoid collect()/toPandas() of large results or "
               "broadcasting large tables.";
      }
      return "Raise spark.executor.memory or repartition (more spark.sql.shuffle.partitions, "
             "fewer cores per executor) so each task holds less on the heap; look for skewed "
             "keys.";
    case ExitReason::kEvicted:
      return EvictionAdvice(detail);
    case ExitReason::kNodeLost:
      return "The node went away (spot interruption, scale-down or failure): enable "
             "spark.decommission.enabled with shuffle block migration and keep the driver on "
             "on-demand nodes, or use spot-aware node pools.";
    case ExitReason::kPreempted:
      return "A higher-priority pod took the node: give Spark pods a PriorityClass through the "
             "pod template, or run them on a pool without preemption.";
    case ExitReason::kImagePullFailed:
      return "Fix the image name or tag (spark.kubernetes.container.image) or add the "
             "registry's pull secret (spark.kubernetes.container.image.pullSecrets).";
    case ExitReason::kConfigError:
      return "Create the secret or ConfigMap the pod references in its namespace, or fix the "
             "reference in the preset / pod template.";
    case ExitReason::kUnschedulable:
      return "No node fits the pod: lower the memory/cores requests, match the pool's taints "
             "and node selectors, or add capacity (the scheduler message names the constraint).";
    case ExitReason::kCrashLoop:
      return "The container fails right after start: read its previous log (kubectl logs "
             "--previous) and fix the entrypoint, arguments or missing dependency.";
    case ExitReason::kHeartbeatTimeout:
      return "The executor stopped answering heartbeats, usually a long GC pause or memory "
             "pressure: check GC time in the Spark UI, raise spark.executor.memory or lower "
             "spark.executor.cores before raising spark.network.timeout.";
    case ExitReason::kAppError:
      return AppErrorAdvice(detail);
    case ExitReason::kUnknown:
    case ExitReason::kUnspecified:
      break;
  }
  return "Not enough evidence: add the pod object (kubectl get pod -o yaml) or the driver log "
         "around \"Lost executor\" for this executor.";
}

}  // namespace sparkd::classify
