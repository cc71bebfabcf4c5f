#include "daemon/core/job_service.h"

#include "daemon/core/preset/render.h"

namespace sparkd {
namespace {

// What the backend runs: the request with its Spark conf replaced by the conf rendered from the
// resolved spec (which already holds the request's own conf, merged under the presets' rules),
// and the plain environment variables added. This is the one path by which presets reach a
// backend. Fields only Kubernetes reads (nodeSelector, tolerations, affinity, volumes, ...)
// render to spark.kubernetes.* keys or pod templates, so on the local backend they have no
// effect; secretKeyRef variables likewise need a cluster to resolve them.
JobRequest EffectiveRequest(const JobRequest& request, const JobSpec& spec) {
  JobRequest effective = request;
  effective.conf = RenderSparkConf(spec);
  for (const EnvVar& var : spec.env) {
    if (var.value) effective.env[var.name] = *var.value;
  }
  return effective;
}

}  // namespace

std::optional<std::string> JobService::TeamScope(const Caller& caller) const {
  if (caller.admin) return std::nullopt;
  return caller.team;
}

StatusOr<CreateJobResult> JobService::Submit(const Caller& caller, const JobRequest& request,
                                             const std::string& idempotency_key) {
  RETURN_IF_ERROR(ValidateIdempotencyKey(idempotency_key));
  RETURN_IF_ERROR(ValidateJobRequest(request));
  auto resolved = presets_->Resolve(caller, request);
  if (!resolved.ok()) {
    // A retry of a submission that was stored returns that job even if the team's presets
    // changed (or were deleted) since: reattaching must not depend on resolving again. Only
    // looked up on this path: on the common one, CreateJob finds an existing key by itself.
    ASSIGN_OR_RETURN(std::optional<Job> existing,
                     store_->FindByKey(caller.team, idempotency_key));
    if (existing) return CreateJobResult{std::move(*existing), false};
    return resolved.status();
  }
  Job job;
  job.id = ids_->NewJobId();
  job.team = caller.team;
  job.idempotency_key = idempotency_key;
  job.request = EffectiveRequest(request, resolved->spec);
  job.resolved_spec_json = SpecToJson(resolved->spec).dump();
  job.presets_used = resolved->presets_used;
  job.backend = backend_;
  job.state_message = "accepted";
  job.created_at = clock_->Now();
  ASSIGN_OR_RETURN(CreateJobResult result, store_->CreateJob(job));
  if (result.created) supervisor_->Wake();
  return result;
}

StatusOr<ResolvedJob> JobService::Resolve(const Caller& caller, const JobRequest& request) {
  RETURN_IF_ERROR(ValidateJobRequest(request));
  return presets_->Resolve(caller, request);
}

StatusOr<Job> JobService::Get(const Caller& caller, const std::string& job_id) {
  if (job_id.empty()) return InvalidArgument("job_id: required");
  return store_->GetJob(job_id, TeamScope(caller));
}

StatusOr<JobPage> JobService::List(const Caller& caller, JobQuery query) {
  if (!caller.admin) {
    if (query.team && *query.team != caller.team) {
      return PermissionDenied("team: only admins may list another team's jobs");
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
    return FailedPrecondition("job " + job_id + " already ended: " +
                              std::string(JobStateName(current.state)));
  }
  JobUpdate update;
  update.set_finished = true;
  std::string message = reason.empty() ? "cancelled by " + caller.team
                                       : "cancelled by " + caller.team + ": " + reason;
  ASSIGN_OR_RETURN(Job cancelled, store_->Transition(job_id, JobState::kCancelled, update, message));
  supervisor_->StopApplication(cancelled);
  return store_->GetJob(job_id, TeamScope(caller));
}

StatusOr<std::vector<JobEvent>> JobService::EventsSince(const std::string& job_id,
                                                        int64_t after_seq) {
  return store_->EventsSince(job_id, after_seq);
}

}  // namespace sparkd
