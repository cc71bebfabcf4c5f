#include "daemon/core/job_service.h"

#include "daemon/core/job_json.h"
#include "daemon/core/preset/render.h"

namespace sparkd {
namespace {

// What the backend runs: the request with its Spark conf replaced by the conf rendered from the
// resolved spec (which already holds the request's own conf, merged under the presets' rules),
// and its environment taken from the spec: values in env, secrets by reference in secret_env.
// This is the one path by which presets reach a backend. Fields only Kubernetes reads
// (nodeSelector, tolerations, affinity, volumes, ...) render to spark.kubernetes.* keys or pod
// templates, so on the local backend they have no effect.
JobRequest EffectiveRequest(const JobRequest& request, const JobSpec& spec) {
  JobRequest effective = request;
  effective.conf = RenderSparkConf(spec);
  effective.env.clear();
  effective.secret_env.clear();
  for (const EnvVar& var : spec.env) {
    if (var.value) effective.env[var.name] = *var.value;
    if (var.secret_key_ref) effective.secret_env[var.name] = *var.secret_key_ref;
  }
  return effective;
}

// The job under a reused key, or ALREADY_EXISTS when that key was used for another request: a
// different request must not silently get the first one's job.
StatusOr<CreateJobResult> Existing(CreateJobResult existing) {
  if (existing.same_request) return existing;
  return AlreadyExists("idempotency_key: already used for a different request (job " +
                       existing.job.id + "); send the same request to reattach to that job, " +
                       "or use another key for a new one");
}

}  // namespace

std::optional<std::string> JobService::TeamScope(const Caller& caller) const {
  // Only a platform admin sees across teams; a team admin's reach is its own team's jobs.
  if (caller.IsPlatformAdmin()) return std::nullopt;
  return caller.team;
}

StatusOr<CreateJobResult> JobService::Submit(const Caller& caller, const JobRequest& request,
                                             const std::string& idempotency_key) {
  RETURN_IF_ERROR(ValidateIdempotencyKey(idempotency_key));
  RETURN_IF_ERROR(ValidateJobRequest(request));
  // The request as sent, not as resolved: a retry after the team's presets changed is still
  // the same submission.
  ASSIGN_OR_RETURN(std::string fingerprint, RequestFingerprint(request));
  auto resolved = presets_->Resolve(caller, request);
  JobRequest effective;
  Status admitted = resolved.status();
  if (resolved.ok()) {
    effective = EffectiveRequest(request, resolved->spec);
    admitted = files_.CheckRequest(effective);
    if (admitted.ok() && check_launchable_) {
      Job as_stored;
      as_stored.team = caller.team;
      as_stored.request = effective;
      admitted = check_launchable_(as_stored);
    }
  }
  if (!admitted.ok()) {
    // A retry of a submission that was stored returns that job even if the team's presets
    // (or the daemon's file roots, or the team's secrets) changed since: reattaching must not
    // depend on resolving again. Only looked up on this path: on the common one, CreateJob finds an
    // existing key by itself.
    ASSIGN_OR_RETURN(auto existing, store_->FindByKey(caller.team, idempotency_key, fingerprint));
    if (existing) return Existing(std::move(*existing));
    return admitted;
  }
  Job job;
  job.id = ids_->NewJobId();
  job.team = caller.team;
  job.idempotency_key = idempotency_key;
  job.request = std::move(effective);
  job.resolved_spec_json = SpecToJson(resolved->spec).dump();
  job.presets_used = resolved->presets_used;
  job.backend = backend_;
  job.state_message = "accepted";
  job.created_at = clock_->Now();
  ASSIGN_OR_RETURN(CreateJobResult result, store_->CreateJob(job, fingerprint));
  if (!result.created) return Existing(std::move(result));
  supervisor_->Wake();
  return result;
}

StatusOr<ResolvedJob> JobService::Resolve(const Caller& caller, const JobRequest& request) {
  RETURN_IF_ERROR(ValidateJobRequest(request));
  ASSIGN_OR_RETURN(ResolvedJob resolved, presets_->Resolve(caller, request));
  RETURN_IF_ERROR(files_.CheckRequest(EffectiveRequest(request, resolved.spec)));
  return resolved;
}

StatusOr<Job> JobService::Get(const Caller& caller, const std::string& job_id) {
  if (job_id.empty()) return InvalidArgument("job_id: required");
  return store_->GetJob(job_id, TeamScope(caller));
}

StatusOr<JobPage> JobService::List(const Caller& caller, JobQuery query) {
  if (!caller.IsPlatformAdmin()) {
    if (query.team && *query.team != caller.team) {
      return PermissionDenied("team: only platform admins may list another team's jobs");
    }
    query.team = caller.team;
  }
  if (query.page_size < 0) return InvalidArgument("page_size: must not be negative");
  if (query.created_after && query.created_before &&
      *query.created_after >= *query.created_before) {
    return InvalidArgument("created_after: must be before created_before");
  }
  return store_->ListJobs(query);
}

StatusOr<Job> JobService::Cancel(const Caller& caller, const std::string& job_id,
                                 const std::string& reason) {
  ASSIGN_OR_RETURN(Job current, Get(caller, job_id));
  if (IsTerminal(current.state)) {
    return FailedPrecondition("job " + job_id +
                              " already ended: " + std::string(JobStateName(current.state)));
  }
  JobUpdate update;
  update.set_finished = true;
  std::string message = reason.empty() ? "cancelled by " + caller.team
                                       : "cancelled by " + caller.team + ": " + reason;
  ASSIGN_OR_RETURN(Job cancelled,
                   store_->Transition(job_id, JobState::kCancelled, update, message));
  supervisor_->StopApplication(cancelled);
  return store_->GetJob(job_id, TeamScope(caller));
}

StatusOr<std::vector<JobEvent>> JobService::EventsSince(const std::string& job_id,
                                                        int64_t after_seq) {
  return store_->EventsSince(job_id, after_seq);
}

}  // namespace sparkd
