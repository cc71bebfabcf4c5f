// JobService: the domain operations behind the JobService API, independent of gRPC.
//
// Each operation is a short pipeline: authorize (the caller's team) → validate → resolve
// against the team's presets (submit) → store → (for cancel) stop the application.
#pragma once

#include <functional>
#include <string>

#include "daemon/core/caller.h"
#include "daemon/core/clock.h"
#include "daemon/core/file_policy.h"
#include "daemon/core/job_store.h"
#include "daemon/core/preset_service.h"
#include "daemon/core/status.h"
#include "daemon/core/supervisor.h"

namespace sparkd {

class JobService {
 public:
  // Says whether the backend could launch a job now (Backend::CheckLaunchable); null: no
  // check at submit.
  using LaunchCheck = std::function<Status(const Job&)>;

  // Every pointer must outlive the service. `files` says which files a job may name (the
  // default allows no local path).
  JobService(JobStore* store, PresetService* presets, Supervisor* supervisor, Clock* clock,
             IdGenerator* ids, std::string backend, FilePolicy files = FilePolicy(),
             LaunchCheck check_launchable = nullptr)
      : store_(store),
        presets_(presets),
        supervisor_(supervisor),
        clock_(clock),
        ids_(ids),
        backend_(std::move(backend)),
        files_(std::move(files)),
        check_launchable_(std::move(check_launchable)) {}

  // validate key and request → resolve against the caller's team presets (refusing enforced
  // and sandbox keys with the field path and preset) → check every file the effective request
  // names against the file policy, and that the backend could launch it (the secrets it
  // references exist) → insert with the resolved spec and the preset versions (or find the job
  // of the same key: created = false when it was submitted with the same request,
  // ALREADY_EXISTS naming it when not) → wake the supervisor.
  StatusOr<CreateJobResult> Submit(const Caller& caller, const JobRequest& request,
                                   const std::string& idempotency_key);

  // The dry run of Submit (file policy included): the effective spec, which layer set each
  // field, and warnings.
  StatusOr<ResolvedJob> Resolve(const Caller& caller, const JobRequest& request);

  StatusOr<Job> Get(const Caller& caller, const std::string& job_id);

  // Others always list their own team; a platform admin may name a team or list all.
  StatusOr<JobPage> List(const Caller& caller, JobQuery query);

  // Moves a non-final job to CANCELLED, then stops its application. Cancelling a job that
  // already ended is FAILED_PRECONDITION naming its state.
  StatusOr<Job> Cancel(const Caller& caller, const std::string& job_id, const std::string& reason);

  // Events after `after_seq`, for a watcher that already passed Get for this job.
  StatusOr<std::vector<JobEvent>> EventsSince(const std::string& job_id, int64_t after_seq);

 private:
  std::optional<std::string> TeamScope(const Caller& caller) const;

  JobStore* store_;
  PresetService* presets_;
  Supervisor* supervisor_;
  Clock* clock_;
  IdGenerator* ids_;
  std::string backend_;
  FilePolicy files_;
  LaunchCheck check_launchable_;
};

}  // namespace sparkd
