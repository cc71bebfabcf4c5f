// Domain types of a job: what was asked (JobRequest), where it is (JobState), what happened
// (JobEvent, ExecutorRecord, JobReport). Plain values; no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/exit_reason.h"
#include "daemon/core/preset/preset.h"
#include "daemon/core/status.h"

namespace sparkd {

using TimePoint = std::chrono::system_clock::time_point;

enum class JobState {
  kQueued,
  kSubmitting,
  kSubmitted,
  kRunning,
  kSucceeded,
  kFailed,
  kCancelled,
  kUnknown,
};

std::string_view JobStateName(JobState state);  // "QUEUED"
std::optional<JobState> ParseJobState(std::string_view name);
bool IsTerminal(JobState state);
// The state machine of DESIGN.md: QUEUED → SUBMITTING → SUBMITTED → RUNNING → final, any
// non-final state may be cancelled or fail, and UNKNOWN is entered and left only while
// reconciling after a restart.
bool IsAllowedTransition(JobState from, JobState to);

enum class LocalMode { kDefault, kThreads, kCluster };

struct Resources {
  std::string memory;  // Spark size, "" = not set
  std::optional<int> cores;
  std::string memory_overhead;  // Spark size, "" = not set
  bool operator==(const Resources&) const = default;
};

struct DynamicAllocation {
  bool enabled = false;
  std::optional<int> min_executors;
  std::optional<int> max_executors;
  std::optional<int> initial_executors;
  bool operator==(const DynamicAllocation&) const = default;
};

struct JobRequest {
  std::string name;
  std::string job_type;
  std::string file;
  std::string class_name;
  std::vector<std::string> args;
  Resources driver;
  Resources executor;
  std::optional<int> executor_instances;
  DynamicAllocation dynamic_allocation;
  std::map<std::string, std::string> conf;
  std::map<std::string, std::string> env;
  // Variables whose values are team secrets, by reference (daemon/core/secret_env.h).
  std::map<std::string, SecretKeyRef> secret_env;
  std::map<std::string, std::string> labels;
  std::vector<std::string> py_files;
  std::vector<std::string> jars;
  std::vector<std::string> files;
  LocalMode local_mode = LocalMode::kDefault;
  bool operator==(const JobRequest&) const = default;
};

// Bounds of one job request. Each is far above what a real job needs, so no user meets them;
// they keep one request from costing the daemon unbounded memory, database space or CPU (each
// unknown conf key costs a did-you-mean search, each string a scan).
namespace request_limits {
inline constexpr size_t kNameBytes = 200;       // name, job_type
inline constexpr size_t kPathBytes = 4096;      // file, class_name, each entry of the lists below
inline constexpr size_t kListEntries = 256;     // py_files, jars, files, each
inline constexpr size_t kArgs = 1000;           // args entries
inline constexpr size_t kArgsBytes = 64 << 10;  // args, all together
inline constexpr size_t kConfKeys = 500;        // deploy/presets use 30; Spark knows ~1000 keys
inline constexpr size_t kConfKeyBytes = 256;    // the longest Spark key is ~90 bytes
inline constexpr size_t kConfValueBytes = 16 << 10;  // a long extraJavaOptions line
inline constexpr size_t kEnvEntries = 200;
inline constexpr size_t kEnvNameBytes = 256;
inline constexpr size_t kEnvValueBytes = 16 << 10;
inline constexpr size_t kLabels = 64;
inline constexpr size_t kLabelBytes = 317;  // a Kubernetes label key: 253 prefix + '/' + 63
// Every string of the request together: a request at every other limit at once is refused.
inline constexpr size_t kRequestBytes = 256 << 10;
}  // namespace request_limits

// Checks a request on its own: required fields, Spark sizes, counts, the limits above, that
// every string is valid UTF-8 without NUL (names, keys and paths without any control
// character), and that nothing that reaches spark-submit's command line can be read as an
// option (file, class_name and list entries never start with '-'). Errors name the field path
// ("executor.memory: ...", "conf: 8000 keys; at most 500").
Status ValidateJobRequest(const JobRequest& request);

// Validates the client's idempotency key: required, printable, at most 512 bytes.
Status ValidateIdempotencyKey(std::string_view key);

struct JobEvent {
  int64_t seq = 0;
  std::optional<JobState> from;
  JobState to = JobState::kQueued;
  TimePoint at;
  std::string message;
};

struct ExecutorRecord {
  std::string executor_id;
  std::string pod_name;
  std::string host;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> ended_at;
  std::optional<int> exit_code;
  ExitReason reason = ExitReason::kUnspecified;
  std::string evidence;  // raw removal text, exit status, ...
  std::string advice;
};

struct JobReport {
  std::map<ExitReason, int> executors_by_reason;
  ExitReason first_fatal_reason = ExitReason::kUnspecified;
  std::string first_fatal_cause;
  std::vector<std::string> driver_log_tail;
};

struct Job {
  std::string id;
  std::string team;
  std::string idempotency_key;
  JobState state = JobState::kQueued;
  std::string state_message;
  // What the backend runs: the request as sent, with the Spark conf rendered from the resolved
  // spec (see JobService::Submit).
  JobRequest request;
  std::string resolved_spec_json;       // SpecToJson of the effective spec; "" for old jobs
  std::vector<PresetRef> presets_used;  // the preset versions it resolved against, base first
  std::string backend;
  std::string backend_ref;
  std::string spark_app_id;
  std::optional<int> driver_exit_code;
  std::string spark_ui_url;  // live UI while the driver runs
  int64_t version = 0;       // bumped by every state change; the last event's seq
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  std::vector<ExecutorRecord> executors;
  std::vector<JobEvent> events;
  JobReport report;
};

}  // namespace sparkd
