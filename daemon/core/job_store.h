// JobStore: where jobs live. PostgreSQL implements it (daemon/store); the domain only sees this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

struct CreateJobResult {
  Job job;
  bool created = false;  // false: a job with the same team and key already existed
};

struct JobQuery {
  std::optional<std::string> team;  // nullopt: every team (admins)
  std::vector<JobState> states;     // empty: any state
  std::optional<TimePoint> created_after;
  std::optional<TimePoint> created_before;
  int page_size = 50;
  std::string page_token;
};

struct JobPage {
  std::vector<Job> jobs;
  std::string next_page_token;
};

// Fields a transition may set along with the state. Unset fields keep their value.
struct JobUpdate {
  std::optional<std::string> backend_ref;
  std::optional<std::string> spark_app_id;
  std::optional<std::string> spark_ui_url;
  std::optional<int> driver_exit_code;
  std::optional<JobReport> report;
  std::optional<std::string> owner;
  bool set_started = false;
  bool set_finished = false;
};

// Thread-safe. Every method is one transaction.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Inserts `job` (state QUEUED) with its first event, or returns the stored job that has the
  // same (team, idempotency_key). Safe under concurrent calls with the same key.
  virtual StatusOr<CreateJobResult> CreateJob(const Job& job) = 0;

  // The job of (team, idempotency_key) without events and executors, or nullopt.
  virtual StatusOr<std::optional<Job>> FindByKey(const std::string& team,
                                                 const std::string& idempotency_key) = 0;

  // The job with its events and executors. NOT_FOUND when missing or, with a team, another
  // team's job.
  virtual StatusOr<Job> GetJob(const std::string& id, const std::optional<std::string>& team) = 0;

  // Newest first, without events and executors.
  virtual StatusOr<JobPage> ListJobs(const JobQuery& query) = 0;

  // Moves the job to `to` if the state machine allows it from its current state, appends the
  // event and notifies watchers, all in one transaction. FAILED_PRECONDITION when the move is
  // not allowed (for example the job was cancelled meanwhile). Returns the updated job
  // (without events and executors).
  virtual StatusOr<Job> Transition(const std::string& id, JobState to, const JobUpdate& update,
                                   const std::string& message) = 0;

  // Sets fields without a state change (no event); e.g. the live Spark UI address.
  virtual Status Update(const std::string& id, const JobUpdate& update) = 0;

  // Takes the oldest QUEUED job for `backend`, moving it to SUBMITTING owned by `owner`.
  // Safe with several daemons: each job is claimed once.
  virtual StatusOr<std::optional<Job>> ClaimQueuedJob(const std::string& backend,
                                                      const std::string& owner) = 0;

  // Non-final jobs owned by `owner` (not QUEUED ones), for observing and reconciling.
  virtual StatusOr<std::vector<Job>> ListOwnedActiveJobs(const std::string& owner) = 0;

  virtual Status SaveExecutors(const std::string& job_id,
                               const std::vector<ExecutorRecord>& executors) = 0;

  // Events with seq > after_seq, oldest first.
  virtual StatusOr<std::vector<JobEvent>> EventsSince(const std::string& job_id,
                                                      int64_t after_seq) = 0;
};

}  // namespace sparkd
