// Backend: how a job's Spark application is started, observed and stopped. The local backend
// runs spark-submit processes (daemon/cluster); Kubernetes backends create pods or
// SparkApplications. The supervisor drives every backend through this interface.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

// What a backend saw of a job's application at one moment.
struct Observation {
  enum class Phase {
    kStarting,  // launched, the Spark application is not up yet
    kRunning,   // the Spark application runs
    kExited,    // the driver ended; exit_code says how
    kLost,      // nothing runs and nothing recorded how it ended
  };
  Phase phase = Phase::kStarting;
  std::string spark_app_id;
  std::string spark_ui_url;
  std::optional<int> exit_code;
  std::string message;  // for kLost and kExited: what the backend knows
  // Raw evidence per executor (ids, hosts, times, exit codes, removal texts); reasons are
  // filled by the classifier when the job ends.
  std::vector<ExecutorRecord> executors;
};

// Receives evidence text (event log, driver log, pod objects ...) chunk by chunk; `source`
// names where it came from. Chunks of one source arrive in order.
using EvidenceSink = std::function<void(std::string_view source, std::string_view chunk)>;

struct LogChunk {
  std::string data;
  int64_t next_offset = 0;
};

// Implementations must be thread-safe.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;

  // Starts the application. Returns a reference (stored with the job) that lets this or a
  // restarted daemon find it again. Must leave a trace that Observe can find before returning,
  // so a crash right after Launch never makes the job run twice.
  virtual StatusOr<std::string> Launch(const Job& job) = 0;

  // Looks at the application of a job that was launched (job.backend_ref may be empty when the
  // daemon died inside Launch). NOT_FOUND: nothing was ever launched for this job.
  virtual StatusOr<Observation> Observe(const Job& job) = 0;

  // Streams every piece of evidence the backend keeps about the job's application.
  virtual Status StreamEvidence(const Job& job, const EvidenceSink& sink) = 0;

  // Stops the application if it still runs. Idempotent.
  virtual Status Kill(const Job& job) = 0;

  // Reads the driver's output from `offset` (negative: that many bytes before the end), at most
  // `max_bytes`.
  virtual StatusOr<LogChunk> ReadDriverLog(const Job& job, int64_t offset, int64_t max_bytes) = 0;

  // Where the finished application can be browsed ("" when there is no history server).
  virtual std::string HistoryUrl(const Job& job) const = 0;
};

}  // namespace sparkd
