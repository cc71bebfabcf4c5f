// The exit-reason classifier: says why a Spark driver or executor ended, from the text people
// and the daemon have at hand (pod objects, `kubectl describe pod`, `kubectl get pods`, Spark
// driver logs, Spark event logs). Pure functions and values; no I/O. Thread-compatible: one
// LogClassifier per stream, the free functions are reentrant.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/exit_reason.h"
#include "daemon/core/job.h"

namespace sparkd::classify {

enum class Subject { kUnknown, kExecutor, kDriver };
std::string_view SubjectName(Subject subject);  // "executor", "driver", "unknown"

struct Diagnosis {
  std::string source;  // file name or "-"; set by the caller of the parser
  Subject subject = Subject::kUnknown;
  // Executor id when known ("4"), else the pod name; empty when neither is known.
  std::optional<std::string> id;
  std::string pod_name;  // pod name when known, "" otherwise
  ExitReason reason = ExitReason::kUnknown;
  std::optional<int> exit_code;
  std::string evidence;  // the line or field that decided, or what was missing for UNKNOWN
  std::string advice;    // one sentence: what to change
  // How direct the evidence is (0..100): a pod's own status beats a log's inference, an OOM
  // fact beats a generic exit code. ApplyDiagnoses uses it when several sources disagree.
  int strength = 0;
};

enum class InputKind { kEmpty, kBinary, kPodJson, kPodYaml, kDescribe, kGetPods, kLog };
std::string_view InputKindName(InputKind kind);

// Looks at the start of an input (a few KB is enough) and says what it is. Event logs and
// driver logs are both kLog: the log classifier reads either, even interleaved.
InputKind DetectInputKind(std::string_view head);

// If `head` is not text, a short reason ("gzip-compressed data; decompress it first",
// "binary data (NUL bytes)"); nullopt for text.
std::optional<std::string> WhyNotText(std::string_view head);

// Streaming classifier for Spark driver logs and event logs: memory is bounded by the number
// of executors mentioned, not by the size of the log. Lines may carry any prefix (timestamps,
// kubectl/Airflow/Loki prefixes) and a trailing '\r'.
class LogClassifier {
 public:
  explicit LogClassifier(std::string source);
  ~LogClassifier();
  LogClassifier(LogClassifier&&) noexcept;
  LogClassifier& operator=(LogClassifier&&) noexcept;

  // One line without its '\n'. Lines longer than 1 MiB are looked at in their first MiB only.
  void AddLine(std::string_view line);
  // Splits `chunk` on '\n' and feeds the lines; a partial last line is kept for the next call.
  void AddChunk(std::string_view chunk);
  // One diagnosis per subject found, in order of first mention. A log with no evidence at all
  // yields a single UNKNOWN saying what was missing. Resets the classifier.
  std::vector<Diagnosis> Finish();

 private:
  struct State;
  void ProcessRecord(std::string_view line);
  std::unique_ptr<State> state_;
};

// Detects the kind of `text` and classifies it. Never fails: input it can read but that holds
// no evidence gives UNKNOWN with the evidence saying what was missing. Call WhyNotText first
// to reject binary input.
std::vector<Diagnosis> DiagnoseText(std::string_view text, std::string_view source);

// One diagnosis per subject (its kind and executor id or pod name; an unnamed subject only
// within its source), in order of first appearance: the strongest wins; the sources of the
// others are added to its source and, when they said another reason, their evidence to its
// evidence. DiagnoseText returns its result this way; callers that read several inputs about
// one app combine them with it.
std::vector<Diagnosis> OneVerdictPerSubject(std::vector<Diagnosis> diagnoses);

// How far to trust a diagnosis of this strength: "high" (the pod's own status or an exit code
// Spark or the kernel gives), "medium" (a log's inference), "low" (a lone status word).
std::string_view ConfidenceName(int strength);

// A Kubernetes Event about a pod: its reason and message (what `kubectl describe` lists).
struct PodEvent {
  std::string type;  // Normal, Warning
  std::string reason;
  std::string message;
};

// What the daemon knows of a pod besides its last state.
struct PodContext {
  std::vector<PodEvent> events;  // the Events about it, oldest first
  bool vanished = false;         // the pod is gone (deleted); the object is its last state seen
  bool node_gone = false;        // its node no longer exists either
};

// Classifies one pod object as the API server serves it (a watch event's object).
Diagnosis DiagnosePodObject(const nlohmann::json& pod, const PodContext& context);

// The container whose exit tells the story among `names`: Spark's by name, else the first
// that is not a known sidecar, else the first; "" when there are none.
std::string MainContainerName(const std::vector<std::string>& names);

// Classifies what the local backend records per executor: the exit code (if the cluster
// manager gave one) and the removal text (SparkListenerExecutorRemoved "Removed Reason").
Diagnosis DiagnoseExecutorEnd(std::string_view executor_id, std::optional<int> exit_code,
                              std::string_view removal_text);

// Fills reason, evidence, advice and exit_code of each executor record from the diagnoses
// about it (matched on executor id or pod name); executors only mentioned in the diagnoses are
// appended. When several diagnoses speak about one executor, the strongest wins (pod and
// container facts over log inference, OOM over generic exit codes). A record that comes
// classified already (from its pod) keeps its reason unless a diagnosis is stronger; a vague
// one (APP_ERROR, KILLED_BY_DRIVER) yields to a log that says more. Driver and unknown
// subjects are ignored.
void ApplyDiagnoses(const std::vector<Diagnosis>& diagnoses,
                    std::vector<ExecutorRecord>* executors);

// Counts by reason, the first fatal reason (earliest ended_at, else first in order) and a
// one-line cause, e.g. "3 executors OOM_KILLED (container memory limit 4.4Gi); raise
// spark.executor.memoryOverhead".
JobReport SummarizeExecutors(const std::vector<ExecutorRecord>& executors);

// One sentence of advice for a reason; `detail` (e.g. an eviction message) refines it.
std::string AdviceFor(ExitReason reason, std::string_view detail = {});

}  // namespace sparkd::classify
