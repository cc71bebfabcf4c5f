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
  // With created = false: whether that job was submitted with the same request fingerprint.
  // Jobs stored before fingerprints were kept match every request.
  bool same_request = true;
};

struct JobQuery {
  std::optional<std::string> team;  // nullopt: every team (admins)
  std::vector<JobState> states;     // empty: any state
  std::optional<TimePoint> created_after;
  std::optional<TimePoint> created_before;
  int page_size = 50;
  std::string page_token;
};

// A job as listings show it: no request, spec, events or executors, and every text bounded
// (kSummaryTextChars), so a page's size depends on its count alone, whatever the jobs hold.
struct JobSummary {
  std::string id;
  std::string team;
  std::string idempotency_key;
  JobState state = JobState::kQueued;
  std::string state_message;
  std::string name;      // the request's
  std::string job_type;  // the request's
  std::string file;      // the request's
  std::string backend;
  std::string spark_app_id;
  std::optional<int> driver_exit_code;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  ExitReason first_fatal_reason = ExitReason::kUnspecified;
};

// Texts of a summary longer than this many characters are cut to it and end in "…".
inline constexpr int kSummaryTextChars = 300;
// A page stops before its summaries' texts (plus kSummaryOverheadBytes each, for the fixed
// fields and the links an API adds) reach this many bytes, far below gRPC's 4 MiB default.
inline constexpr size_t kMaxJobPageBytes = 1 << 20;
inline constexpr size_t kSummaryOverheadBytes = 512;

struct JobPage {
  std::vector<JobSummary> jobs;
  std::string next_page_token;  // "" on the last page
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

  // Inserts `job` (state QUEUED) with its first event and a digest of `request_fingerprint`
  // (what identifies the request as the client sent it: RequestFingerprint), or returns the
  // stored job that has the same (team, idempotency_key), saying whether it was created with
  // the same fingerprint. Safe under concurrent calls with the same key.
  virtual StatusOr<CreateJobResult> CreateJob(const Job& job,
                                              const std::string& request_fingerprint) = 0;

  // The job of (team, idempotency_key) without events and executors, compared with
  // `request_fingerprint` as CreateJob compares; nullopt when the key is unused.
  virtual StatusOr<std::optional<CreateJobResult>> FindByKey(
      const std::string& team, const std::string& idempotency_key,
      const std::string& request_fingerprint) = 0;

  // The job with its events and executors. NOT_FOUND when missing or, with a team, another
  // team's job.
  virtual StatusOr<Job> GetJob(const std::string& id, const std::optional<std::string>& team) = 0;

  // Summaries, newest first: at most query.page_size (default 50, at most 500), fewer when
  // kMaxJobPageBytes is reached first (but always one when any is left), then a token for the
  // next page. INVALID_ARGUMENT for a page token it did not make.
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

  // Writes the final executor records of a job (its report's), replacing stored ones.
  virtual Status SaveExecutors(const std::string& job_id,
                               const std::vector<ExecutorRecord>& executors) = 0;

  // Records one executor's end as it is observed: inserts it, or replaces the stored record
  // of that executor while the job has not ended (a later pod state may add evidence). Once
  // the job is final its records are the report's and stay; an executor not yet recorded is
  // still added. Writing the same record again changes nothing.
  virtual Status UpsertExecutor(const std::string& job_id, const ExecutorRecord& executor) = 0;

  // Events with seq > after_seq, oldest first.
  virtual StatusOr<std::vector<JobEvent>> EventsSince(const std::string& job_id,
                                                      int64_t after_seq) = 0;
};

}  // namespace sparkd
