// The rules engine: facts in, one Diagnosis out. The order of the rules is the policy of
// DESIGN.md "Exit reasons": direct Kubernetes facts (eviction, disruption, OOMKilled) first,
// then Spark's own exit codes, then log inference, then generic codes.
#include <array>
#include <optional>
#include <string>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using text::Contains;
using text::EqualsNoCase;

// Names of containers that ride along with Spark and whose exit says nothing about it.
constexpr std::array<std::string_view, 13> kSidecars = {
    "istio-proxy", "istio-init",  "linkerd-proxy",   "envoy",   "fluent-bit",
    "fluentd",     "vault-agent", "cloud-sql-proxy", "datadog", "filebeat",
    "promtail",    "otel",        "sidecar"};

bool IsSidecar(std::string_view name) {
  for (std::string_view s : kSidecars) {
    if (text::ContainsNoCase(name, s)) return true;
  }
  return false;
}

struct Context {
  const Facts& f;
  const ContainerFact* main;
  std::optional<int> code;  // the deciding exit code, if any
  std::string code_evidence;
};

Diagnosis Make(const Context& c, ExitReason reason, std::string evidence, int strength,
               std::optional<int> code, std::string_view advice_detail = {}) {
  Diagnosis d;
  d.subject = c.f.subject;
  if (!c.f.id.empty()) d.id = c.f.id;
  d.pod_name = c.f.pod_name;
  d.reason = reason;
  d.exit_code = code;
  d.evidence = text::Evidence(evidence, 600);
  std::string detail(advice_detail);
  if (c.f.subject == Subject::kDriver) detail += " driver";
  d.advice = AdviceFor(reason, detail);
  d.strength = strength;
  return d;
}

int Strength(const Facts& f, int pod, int log) { return f.from_pod ? pod : log; }

std::optional<Diagnosis> KubernetesStatusRule(const Context& c) {
  const Facts& f = c.f;
  if (f.pod_reason == "Evicted" || !f.evicted.empty() || f.status_word == "Evicted") {
    std::string ev = !f.pod_reason.empty() ? "pod status.reason Evicted: " + f.pod_message
                                           : (!f.evicted.empty() ? f.evicted : "STATUS Evicted");
    int strength = f.status_word == "Evicted" ? 40 : Strength(f, 95, 85);
    return Make(c, ExitReason::kEvicted, ev, strength, c.code, ev);
  }
  if (c.main && c.main->terminated_reason == "OOMKilled") {
    return Make(c, ExitReason::kOomKilled, c.main->evidence, Strength(f, 95, 90), c.code);
  }
  if (!f.oom_killed.empty() || f.status_word == "OOMKilled") {
    std::string ev = f.oom_killed.empty() ? "STATUS OOMKilled" : f.oom_killed;
    return Make(c, ExitReason::kOomKilled, ev, f.oom_killed.empty() ? 40 : 85, c.code);
  }
  std::string_view d = f.disruption;
  if (d == "PreemptionByScheduler" || d == "PreemptionByKubeScheduler" ||
      f.pod_reason == "Preempting") {
    return Make(c, ExitReason::kPreempted,
                "DisruptionTarget " + f.disruption + ": " + f.disruption_message, 95, c.code);
  }
  if (!d.empty() || f.pod_reason == "NodeLost" || f.pod_reason == "NodeShutdown" ||
      f.pod_reason == "Shutdown" || f.pod_reason == "Terminated" || f.status_word == "NodeLost" ||
      f.status_word == "Shutdown" || f.status_word == "NodeShutdown") {
    std::string ev = !d.empty() ? "DisruptionTarget " + f.disruption + ": " + f.disruption_message
                     : !f.pod_reason.empty()
                         ? "pod status.reason " + f.pod_reason + ": " + f.pod_message
                         : "STATUS " + f.status_word;
    return Make(c, ExitReason::kNodeLost, ev, f.status_word.empty() ? 95 : 40, c.code);
  }
  return std::nullopt;
}

std::optional<Diagnosis> StartFailureRule(const Context& c) {
  const Facts& f = c.f;
  // The main container's waiting reason first, then any container's: a pod whose sidecar image
  // cannot be pulled never runs either.
  std::vector<const ContainerFact*> order;
  if (c.main) order.push_back(c.main);
  for (const ContainerFact& cf : f.containers) order.push_back(&cf);
  for (const ContainerFact* cf : order) {
    std::string_view w = cf->waiting_reason;
    std::string ev = "container " + cf->name + " waiting: " + cf->waiting_reason +
                     (cf->waiting_message.empty() ? "" : " (" + cf->waiting_message + ")");
    int s = Strength(f, 95, 80);
    if (w == "ErrImagePull" || w == "ImagePullBackOff" || w == "InvalidImageName" ||
        w == "ErrImageNeverPull" || w == "RegistryUnavailable") {
      return Make(c, ExitReason::kImagePullFailed, ev, s, std::nullopt);
    }
    if (w == "CreateContainerConfigError" || w == "CreateContainerError" ||
        w == "RunContainerError" || w == "ContainerCannotRun") {
      return Make(c, ExitReason::kConfigError, ev, s, std::nullopt, ev);
    }
    if (w == "CrashLoopBackOff") {
      if (cf->last_exit_code) ev += "; last exit code " + std::to_string(*cf->last_exit_code);
      return Make(c, ExitReason::kCrashLoop, ev, s, cf->last_exit_code);
    }
  }
  std::string_view s = f.status_word;
  if (s == "ErrImagePull" || s == "ImagePullBackOff" || s == "InvalidImageName") {
    return Make(c, ExitReason::kImagePullFailed, "STATUS " + f.status_word, 40, std::nullopt);
  }
  if (s == "CreateContainerConfigError" || s == "CreateContainerError" ||
      s == "RunContainerError" || s == "StartError" || s == "ContainerCannotRun") {
    return Make(c, ExitReason::kConfigError, "STATUS " + f.status_word, 40, std::nullopt);
  }
  if (s == "CrashLoopBackOff") {
    return Make(c, ExitReason::kCrashLoop, "STATUS CrashLoopBackOff", 40, std::nullopt);
  }
  if (!f.unschedulable.empty()) {
    return Make(c, ExitReason::kUnschedulable, "PodScheduled False: " + f.unschedulable,
                Strength(f, 95, 80), std::nullopt);
  }
  if (f.pod_reason == "OutOfmemory" || f.pod_reason == "OutOfcpu" ||
      f.pod_reason == "UnexpectedAdmissionError" || f.pod_reason == "NodeAffinity" ||
      s == "OutOfmemory" || s == "OutOfcpu" || s == "UnexpectedAdmissionError") {
    return Make(c, ExitReason::kUnschedulable,
                "kubelet rejected the pod: " + f.pod_reason + f.status_word + " " + f.pod_message,
                Strength(f, 90, 40), std::nullopt);
  }
  return std::nullopt;
}

std::optional<Diagnosis> SparkRule(const Context& c) {
  const Facts& f = c.f;
  if (c.code == 52) {
    return Make(c, ExitReason::kJvmOom, c.code_evidence, Strength(f, 90, 85), c.code);
  }
  if (!f.jvm_oom.empty()) {
    std::string ev = f.jvm_oom;
    if (c.code == 137) ev += "; then exit 137 (-XX:OnOutOfMemoryError kill -9)";
    return Make(c, ExitReason::kJvmOom, ev, 75, c.code);
  }
  if (!f.decommission.empty() || !f.node_lost.empty()) {
    std::string ev = !f.node_lost.empty() ? f.node_lost : f.decommission;
    if (!f.killed_by_driver.empty()) {
      // Dynamic allocation decommissions idle executors too: that is a release, not a loss.
      return Make(c, ExitReason::kKilledByDriver, f.killed_by_driver + "; " + ev, 65, c.code);
    }
    return Make(c, ExitReason::kNodeLost, ev, 65, c.code);
  }
  bool weak_code = !c.code || *c.code == 137 || *c.code == 143 || *c.code == 0;
  if (!f.heartbeat.empty() && weak_code) {
    return Make(c, ExitReason::kHeartbeatTimeout, f.heartbeat, 60, c.code);
  }
  if (!f.killed_by_driver.empty()) {
    return Make(c, ExitReason::kKilledByDriver, f.killed_by_driver, 65, c.code);
  }
  // Exit 0 after a delete is still a success (a pod removed after the app succeeded).
  if (!f.deleted.empty() && weak_code && c.code != 0) {
    std::string ev = f.deleted;
    if (c.code) ev += "; exit code " + std::to_string(*c.code);
    return Make(c, ExitReason::kKilledByDriver, ev, Strength(f, 80, 60), c.code);
  }
  return std::nullopt;
}

std::optional<Diagnosis> ExitCodeRule(const Context& c) {
  const Facts& f = c.f;
  if (c.code == 137) {
    return Make(c, ExitReason::kOomKilled,
                c.code_evidence +
                    " (SIGKILL without a termination reason: most likely the "
                    "container memory limit)",
                50, c.code);
  }
  if (c.code == 0 || (c.main && c.main->terminated_reason == "Completed") ||
      f.phase == "Succeeded" || f.status_word == "Completed" || f.status_word == "Succeeded") {
    std::string ev = !c.code_evidence.empty() ? c.code_evidence
                     : f.status_word.empty()  ? "pod phase " + f.phase
                                              : "STATUS " + f.status_word;
    return Make(c, ExitReason::kSucceeded, ev, f.status_word.empty() ? Strength(f, 80, 55) : 40,
                c.code);
  }
  if (c.code) {
    std::string detail = std::to_string(*c.code);
    return Make(c, ExitReason::kAppError, c.code_evidence, Strength(f, 80, 55), c.code, detail);
  }
  if (f.status_word == "Error" || f.phase == "Failed") {
    std::string ev = f.status_word.empty() ? "pod phase Failed, no container exit code"
                                           : "STATUS " + f.status_word;
    return Make(c, ExitReason::kAppError, ev, f.status_word.empty() ? 60 : 40, std::nullopt);
  }
  if (f.status_word == "ContainerStatusUnknown") {
    return Make(c, ExitReason::kNodeLost,
                "STATUS ContainerStatusUnknown: the container vanished with its node", 35,
                std::nullopt);
  }
  if (f.status_word == "Pending") {
    return Make(c, ExitReason::kUnschedulable,
                "STATUS Pending: not scheduled yet (kubectl describe pod shows the scheduler "
                "message)",
                30, std::nullopt);
  }
  return std::nullopt;
}

Diagnosis UnknownRule(const Context& c) {
  const Facts& f = c.f;
  std::string ev;
  if (!f.loss_text.empty()) {
    ev = f.loss_text + " -- missing: no exit code, container status or pod reason for it";
  } else if (!f.phase.empty() || !f.status_word.empty()) {
    ev = "pod " + (f.status_word.empty() ? f.phase : f.status_word) +
         " -- missing: no terminated container, waiting reason or pod condition";
  } else {
    ev = "missing: no exit code, container status, pod reason or executor loss message found";
  }
  Diagnosis d = Make(c, ExitReason::kUnknown, ev, 5, std::nullopt);
  // Name the commands that show what is missing, for this subject when the text named it.
  std::string pod = f.pod_name.empty() ? "POD" : f.pod_name;
  d.advice = "Not enough evidence: kubectl get pod " + pod +
             " -o yaml shows its containers' exit codes and termination reasons, kubectl "
             "describe pod " +
             pod + " its Events";
  if (f.subject == Subject::kExecutor) {
    d.advice += "; or add the driver log (kubectl logs DRIVER-POD) around \"Lost executor " +
                (f.id.empty() || f.id == f.pod_name ? std::string("N") : f.id) + "\"";
  }
  d.advice += ".";
  return d;
}

}  // namespace

Subject SubjectFromPodName(std::string_view name) {
  if (text::Contains(name, "-exec-")) return Subject::kExecutor;
  if (name.size() >= 7 && name.substr(name.size() - 7) == "-driver") return Subject::kDriver;
  return Subject::kUnknown;
}

const ContainerFact* MainContainer(const std::vector<ContainerFact>& containers) {
  for (const ContainerFact& c : containers) {
    if (c.name == "spark-kubernetes-executor" || c.name == "spark-kubernetes-driver" ||
        c.name == "executor" || c.name == "driver") {
      return &c;
    }
  }
  for (const ContainerFact& c : containers) {
    if (!IsSidecar(c.name)) return &c;
  }
  return containers.empty() ? nullptr : &containers.front();
}

std::string MainContainerName(const std::vector<std::string>& names) {
  std::vector<ContainerFact> containers;
  for (const std::string& name : names) containers.push_back(NamedContainer(name));
  const ContainerFact* main = MainContainer(containers);
  return main ? main->name : std::string();
}

Diagnosis Decide(const Facts& f) {
  Context c{f, MainContainer(f.containers), std::nullopt, {}};
  if (c.main && c.main->exit_code) {
    c.code = c.main->exit_code;
    c.code_evidence = c.main->evidence;
  } else if (f.exit_code && *f.exit_code >= 0) {
    // Spark's own "exited with exit code N" takes the first terminated container, which may be
    // a sidecar; it is used only when no container status names the Spark container.
    c.code = f.exit_code;
    c.code_evidence = f.exit_evidence;
  }
  if (auto d = KubernetesStatusRule(c)) return *d;
  if (auto d = StartFailureRule(c)) return *d;
  if (auto d = SparkRule(c)) return *d;
  if (auto d = ExitCodeRule(c)) return *d;
  return UnknownRule(c);
}

std::string_view SubjectName(Subject subject) {
  switch (subject) {
    case Subject::kExecutor:
      return "executor";
    case Subject::kDriver:
      return "driver";
    case Subject::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace sparkd::classify
