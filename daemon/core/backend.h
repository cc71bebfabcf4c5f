// Backend: how a job's Spark application is started, observed and stopped. The local backend
// runs spark-submit processes (daemon/cluster); Kubernetes backends create pods or
// SparkApplications. The supervisor drives every backend through this interface.
//
// Observations reach the supervisor one of two ways, through the same code once there:
//   polled  the supervisor calls Observe for every owned job on each pass (the local backend:
//           its processes are this host's business);
//   pushed  the backend watches (one list+watch for every job) and calls the ObservationSink
//           it was given by Subscribe; the supervisor then calls Observe only to reconcile.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/job.h"
#include "daemon/core/preset/render.h"
#include "daemon/core/status.h"

namespace sparkd {

// What a backend saw of a job's application at one moment.
struct Observation {
  enum class Phase {
    kStarting,  // launched, the Spark application is not up yet
    kRunning,   // the Spark application runs
    kExited,    // the driver ended; exit_code says how
    kLost,      // nothing runs and nothing recorded how it ended
    kFailed,    // the application can never start (unschedulable, image, config); the
                // supervisor fails the job and stops what is left of it
  };
  Phase phase = Phase::kStarting;
  std::string spark_app_id;
  std::string spark_ui_url;
  std::optional<int> exit_code;
  std::string message;  // for kLost, kExited and kFailed: what the backend knows
  // Raw evidence per executor (ids, hosts, times, exit codes, removal texts); reasons are
  // filled by the classifier when the job ends.
  std::vector<ExecutorRecord> executors;
  // The driver's own end when the backend can tell it (a driver pod's status), classified.
  std::optional<ExecutorRecord> driver;
};

// Where a backend that watches delivers what it sees. Thread-safe; the supervisor applies
// the calls about one job one at a time, and a call repeated (a watch replayed after a
// restart or a re-list) changes nothing.
class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  // What the job's application (its driver) is doing now. True when the job is one this
  // daemon drives (whether or not the observation was news); false: not ours, ignored.
  virtual bool OnObservation(const std::string& job_id, Observation observation) = 0;
  // One executor of the job ended; `record` is classified already.
  virtual void OnExecutorEnded(const std::string& job_id, ExecutorRecord record) = 0;
  // The backend has just seen everything there is in a part of its world (its first list, or
  // a re-list after the watch fell behind): `covers` says which jobs live there (one
  // namespace of several), `present` which of them have an application. An owned job covered
  // but not present is looked at once more (Observe) and failed when it is really gone.
  virtual void OnResync(const std::set<std::string>& present,
                        const std::function<bool(const Job&)>& covers) = 0;
};

// Receives evidence text (event log, driver log, pod objects ...) chunk by chunk; `source`
// names where it came from. Chunks of one source arrive in order. A source named
// "pod/<name>" carries one pod object (JSON); any other is a log.
inline constexpr std::string_view kPodSourcePrefix = "pod/";
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

  // Whether Launch could start `job` as things are now, as far as the backend can tell without
  // starting it: e.g. that the secrets it references exist. Called at submit, so a job that
  // cannot start is refused (FAILED_PRECONDITION) instead of failing later.
  virtual Status CheckLaunchable(const Job& /*job*/) const { return Status::Ok(); }

  // Looks at the application of a job that was launched (job.backend_ref may be empty when the
  // daemon died inside Launch). NOT_FOUND: nothing was ever launched for this job.
  virtual StatusOr<Observation> Observe(const Job& job) = 0;

  // A backend that watches starts delivering to `sink` (which outlives it) and returns true;
  // from then on the supervisor does not poll it. The default, false: poll me.
  virtual bool Subscribe(ObservationSink* /*sink*/) { return false; }

  // Streams every piece of evidence the backend keeps about the job's application.
  virtual Status StreamEvidence(const Job& job, const EvidenceSink& sink) = 0;

  // Stops the application if it still runs. Idempotent.
  virtual Status Kill(const Job& job) = 0;

  // Reads the driver's output from `offset` (negative: that many bytes before the end), at most
  // `max_bytes`.
  virtual StatusOr<LogChunk> ReadDriverLog(const Job& job, int64_t offset, int64_t max_bytes) = 0;

  // Where the finished application can be browsed ("" when there is no history server).
  virtual std::string HistoryUrl(const Job& job) const = 0;

  // The job's logs in the log system its spec names (links.logs), "" for none: then
  // /jobs/{id}/logs serves the driver log this daemon keeps.
  virtual std::string LogsUrl(const Job& /*job*/) const { return ""; }

  // What the job's link templates (links.logs, links.dashboard; see job_links.h) are filled
  // with: the job's id, app id and team, and where the backend runs it.
  virtual RenderContext LinkContext(const Job& job) const {
    RenderContext context;
    context.job_id = job.id;
    context.app_id = job.spark_app_id;
    context.team = job.team;
    return context;
  }
};

}  // namespace sparkd
