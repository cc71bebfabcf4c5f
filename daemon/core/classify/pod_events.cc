// Kubernetes Events as evidence about a pod, from `kubectl describe` tables and from the API.
#include <string>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {

void AbsorbPodEvent(std::string_view reason, std::string_view message, Facts* f) {
  std::string ev = "event " + std::string(reason) + ": " + std::string(message);
  if (reason == "Evicted" && f->evicted.empty()) f->evicted = ev;
  if (reason == "FailedScheduling" && f->unschedulable.empty() && f->phase == "Pending") {
    f->unschedulable = std::string(message);
  }
  if (reason == "Preempted" || reason == "Preempting") {
    if (f->disruption.empty()) f->disruption = "PreemptionByScheduler", f->disruption_message = ev;
  }
  if (reason == "TaintManagerEviction" || reason == "NodeNotReady" || reason == "NodeShutdown") {
    if (f->disruption.empty()) f->node_lost = ev;
  }
  // A secret or ConfigMap mounted as a volume that does not exist keeps the pod in
  // ContainerCreating with no waiting reason but this event.
  if (reason == "FailedMount" && (text::Contains(message, "not found"))) {
    if (f->containers.empty()) f->containers.push_back(NamedContainer("pod"));
    ContainerFact& c = f->containers.front();
    if (c.waiting_reason.empty() || c.waiting_reason == "ContainerCreating") {
      c.waiting_reason = "CreateContainerConfigError";
      c.waiting_message = std::string(message);
    }
  }
}

}  // namespace sparkd::classify
