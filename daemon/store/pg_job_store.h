// JobStore on PostgreSQL. Every state change, its event row and the watchers' notification
// (NOTIFY sparkd_job_events, payload = job id) commit together in one statement.
#pragma once

#include <memory>

#include "daemon/core/clock.h"
#include "daemon/core/job_store.h"
#include "daemon/store/pg.h"

namespace sparkd::store {

inline constexpr const char* kJobEventsChannel = "sparkd_job_events";

// The one statement a new job costs: its row and its first event. Parameters: $1 id, $2 team,
// $3 idempotency key, $4 request (JSON), $5 backend, $6 state message, $7 created (micros),
// $8 resolved spec (JSON or NULL), $9 presets used (JSON), $10 the request fingerprint's
// SHA-256 (hex). Returns the id when it inserted, no row when the key was taken. Public so
// bench/submit measures the same work without gRPC.
extern const char* const kCreateJobStatement;

class PgJobStore : public JobStore {
 public:
  // `pool` and `clock` must outlive the store.
  PgJobStore(PgPool* pool, Clock* clock) : pool_(pool), clock_(clock) {}

  StatusOr<CreateJobResult> CreateJob(const Job& job,
                                      const std::string& request_fingerprint) override;
  StatusOr<std::optional<CreateJobResult>> FindByKey(
      const std::string& team, const std::string& idempotency_key,
      const std::string& request_fingerprint) override;
  StatusOr<Job> GetJob(const std::string& id, const std::optional<std::string>& team) override;
  StatusOr<JobPage> ListJobs(const JobQuery& query) override;
  StatusOr<Job> Transition(const std::string& id, JobState to, const JobUpdate& update,
                           const std::string& message) override;
  Status Update(const std::string& id, const JobUpdate& update) override;
  StatusOr<std::optional<Job>> ClaimQueuedJob(const std::string& backend,
                                              const std::string& owner) override;
  StatusOr<std::vector<Job>> ListOwnedActiveJobs(const std::string& owner) override;
  Status SaveExecutors(const std::string& job_id,
                       const std::vector<ExecutorRecord>& executors) override;
  Status UpsertExecutor(const std::string& job_id, const ExecutorRecord& executor) override;
  StatusOr<std::vector<JobEvent>> EventsSince(const std::string& job_id,
                                              int64_t after_seq) override;

 private:
  PgPool* pool_;
  Clock* clock_;
};

}  // namespace sparkd::store
