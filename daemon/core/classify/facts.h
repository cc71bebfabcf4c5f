// Internal to the classifier: the facts each parser extracts about one subject, and the rules
// that turn facts into a Diagnosis. Parsers only collect; Decide() alone decides, so every
// input kind follows the same rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/classify/classify.h"

namespace sparkd::classify {

// One container's end as a pod status or a Spark "container statuses" paragraph shows it.
struct ContainerFact {
  std::string name;
  std::optional<int> exit_code;
  std::string terminated_reason;  // OOMKilled, Error, Completed, ContainerStatusUnknown, ...
  std::string waiting_reason;     // ImagePullBackOff, CrashLoopBackOff, ...
  std::string waiting_message;
  std::optional<int> last_exit_code;  // lastState.terminated (restarts, CrashLoopBackOff)
  std::string last_reason;
  std::string memory_limit;  // from the pod spec or describe "Limits:"
  std::string evidence;
};

inline ContainerFact NamedContainer(std::string name) {
  ContainerFact c;
  c.name = std::move(name);
  return c;
}

// Each string fact holds its evidence text ("" = not seen).
struct Facts {
  Subject subject = Subject::kUnknown;
  std::string id;         // executor id, else pod name
  std::string pod_name;   // when known
  bool from_pod = false;  // facts come from a pod object or describe output, not a log

  std::vector<ContainerFact> containers;
  std::optional<int> exit_code;  // from a Spark message ("exited with exit code 137")
  std::string exit_evidence;

  std::string phase;        // Pending, Running, Succeeded, Failed
  std::string pod_reason;   // status.reason: Evicted, NodeLost, Shutdown, ...
  std::string pod_message;  // status.message
  std::string disruption;   // DisruptionTarget condition reason
  std::string disruption_message;
  std::string unschedulable;  // PodScheduled=False message
  std::string deleted;        // deletionTimestamp / "deleted by a user or the framework"
  std::string status_word;    // `kubectl get pods` STATUS column
  std::string jvm_oom;        // java.lang.OutOfMemoryError, OnOutOfMemoryError
  std::string oom_killed;     // explicit OOMKilled / YARN memory-limit text in a log
  std::string heartbeat;
  std::string killed_by_driver;  // dynamic allocation, "Executor killed by driver."
  std::string decommission;
  std::string node_lost;  // spot interruption, worker lost, pod vanished
  std::string loss_text;  // the removal text when nothing above explains it
  std::string evicted;    // eviction mentioned in a log
};

// The container whose exit code tells the story: the Spark container by name, else the first
// that is not a known sidecar, else the first. nullptr when there are none.
const ContainerFact* MainContainer(const std::vector<ContainerFact>& containers);

Diagnosis Decide(const Facts& facts);

// Parsers for whole inputs. Each returns one Facts per subject; an empty vector means the text
// held no subject at all.
std::vector<Facts> ParsePodObjects(std::string_view text, bool yaml);
std::vector<Facts> ParseDescribe(std::string_view text);
std::vector<Facts> ParseGetPods(std::string_view text);

// Facts from the lines of a fragment that no parser read as a whole (Events rows, kubelet and
// kernel messages, `kubectl` errors, allocator lines); nullopt when no line is evidence.
std::optional<Facts> ReadFragmentLines(std::string_view text);
// The same one line at a time (the log classifier reads every line it streams this way too).
void ReadFragmentLine(std::string_view line, Facts* facts);
// True when `facts` gathered by ReadFragmentLine hold any evidence.
bool HasFragmentEvidence(const Facts& facts);

// Reads a Spark removal / loss text (one or several lines of it) into `facts`: exit codes,
// container status paragraphs (both forms), heartbeat, decommission, kill and loss wording.
void AbsorbLossText(std::string_view text, Facts* facts);
// The same for one line of such a text (the log classifier feeds paragraphs line by line).
void AbsorbLossLine(std::string_view line, Facts* facts);

// Reads one Kubernetes Event about the pod (its reason and message) into `facts`: the
// scheduler's, the kubelet's and the controllers' words for what happened to it.
void AbsorbPodEvent(std::string_view reason, std::string_view message, Facts* facts);

// Pod-name helpers: "<prefix>-exec-<n>" → executor; "...-driver" → driver.
Subject SubjectFromPodName(std::string_view name);

}  // namespace sparkd::classify
