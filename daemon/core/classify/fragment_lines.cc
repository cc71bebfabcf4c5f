// Evidence from single lines, wherever they stand: what is left to read when a paste is a
// fragment no parser recognises as a whole (one Events row, the bottom of a `kubectl
// describe`, a `kubectl logs` error, the kernel's OOM-killer lines, one allocator line). Each
// recognised line becomes the fact a reader would take from it; Decide() weighs them as usual.
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using text::Contains;

// A later state of the one container a fragment speaks of replaces an earlier one: a mount
// that failed and then cleared, followed by an image pull that fails, is an image pull failure.
void Waiting(Facts* f, const char* reason, std::string_view line) {
  if (f->containers.empty()) f->containers.push_back(NamedContainer("pod"));
  f->containers.front().waiting_reason = reason;
  f->containers.front().waiting_message = text::Evidence(line);
}

// describe's `Reason:  NodeShutdown` (the pod's status.reason, or a container state's).
bool IsPodReasonLine(std::string_view line, std::string_view reason) {
  line = text::Trim(line);
  return line.starts_with("Reason:") && text::Trim(line.substr(7)) == reason;
}

// The pod a line names, when it is a Spark pod name (…-driver, …-exec-N).
void NamePod(std::string_view line, Facts* f) {
  if (!f->pod_name.empty()) return;
  while (!line.empty()) {
    size_t start = line.find_first_not_of(" \t\"'[]()/:,");
    if (start == std::string_view::npos) return;
    line.remove_prefix(start);
    size_t end = line.find_first_of(" \t\"'[]()/:,");
    std::string_view word = line.substr(0, end);
    line = end == std::string_view::npos ? std::string_view() : line.substr(end);
    if (SubjectFromPodName(word) != Subject::kUnknown) {
      f->pod_name = std::string(word);
      f->id = f->pod_name;
      f->subject = SubjectFromPodName(word);
      return;
    }
  }
}

}  // namespace

void ReadFragmentLine(std::string_view line, Facts* f) {
  const std::string ev = text::Evidence(line);
  bool known = true;
  if (Contains(line, "OOMKilled") || Contains(line, "OOMKilling") ||
      Contains(line, "Memory cgroup out of memory") || Contains(line, "oom-kill:") ||
      Contains(line, "oom_reaper")) {
    if (f->oom_killed.empty()) f->oom_killed = ev;
  } else if (Contains(line, "The node was low on resource") || Contains(line, "Evicted") ||
             Contains(line, "ephemeral local storage usage exceed")) {
    if (f->evicted.empty()) f->evicted = ev;
  } else if (Contains(line, "FailedScheduling") || Contains(line, "nodes are available:")) {
    if (f->unschedulable.empty()) f->unschedulable = ev;
  } else if (Contains(line, "ErrImagePull") || Contains(line, "ImagePullBackOff") ||
             Contains(line, "Failed to pull image") || Contains(line, "failing to pull image") ||
             Contains(line, "InvalidImageName")) {
    Waiting(f, "ImagePullBackOff", line);
  } else if (Contains(line, "CreateContainerConfigError") || Contains(line, "couldn't find key") ||
             (Contains(line, "FailedMount") && Contains(line, "not found"))) {
    Waiting(f, "CreateContainerConfigError", line);
  } else if (Contains(line, "CrashLoopBackOff") ||
             Contains(line, "Back-off restarting failed container")) {
    Waiting(f, "CrashLoopBackOff", line);
  } else if (Contains(line, "excess pod requests")) {
    if (f->killed_by_driver.empty()) f->killed_by_driver = ev;
  } else if (Contains(line, "Preempted by") || Contains(line, " Preempting ") ||
             Contains(line, "PreemptionByKubeScheduler") ||
             Contains(line, "preempting to accommodate")) {
    if (f->disruption.empty()) f->disruption = "PreemptionByScheduler", f->disruption_message = ev;
  } else if (Contains(line, "node shutdown") || Contains(line, "node is shutting down") ||
             Contains(line, "NodeNotReady") || IsPodReasonLine(line, "NodeShutdown") ||
             IsPodReasonLine(line, "Shutdown") || IsPodReasonLine(line, "NodeLost")) {
    if (f->node_lost.empty()) f->node_lost = ev;
  } else if (Contains(line, "Started container") && !f->containers.empty()) {
    f->containers.front().waiting_reason.clear();  // what failed before cleared up
  } else if (text::Trim(line).starts_with("Exit Code:") || Contains(line, "ExitCode:")) {
    // describe's "Exit Code:", the Spark Operator's "driver container failed with ExitCode: 1"
    std::string_view key = Contains(line, "ExitCode:") ? "ExitCode:" : "Exit Code:";
    if (!f->exit_code) f->exit_code = text::LeadingInt(text::After(line, key));
    if (f->exit_code) f->exit_evidence = ev;
  } else if (Contains(line, "phase: Succeeded") || text::Trim(line) == "state: COMPLETED" ||
             Contains(line, "\"state\": \"COMPLETED\"")) {
    // a pod's phase (spark-submit's LoggingPodStatusWatcher prints it too) or a
    // SparkApplication's applicationState
    f->phase = "Succeeded";
  } else {
    known = false;
  }
  if (known) NamePod(line, f);
}

bool HasFragmentEvidence(const Facts& f) {
  bool waiting = !f.containers.empty() && !f.containers.front().waiting_reason.empty();
  return !f.oom_killed.empty() || !f.evicted.empty() || !f.unschedulable.empty() || waiting ||
         !f.killed_by_driver.empty() || !f.disruption.empty() || !f.node_lost.empty() ||
         f.exit_code || f.phase == "Succeeded";
}

std::optional<Facts> ReadFragmentLines(std::string_view input) {
  Facts f;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    ReadFragmentLine(input.substr(0, nl), &f);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  }
  if (!HasFragmentEvidence(f)) return std::nullopt;
  return f;
}

}  // namespace sparkd::classify
