#include "daemon/api/grpc/job_service_grpc.h"

#include "daemon/api/grpc/log_follow_reactor.h"
#include "daemon/api/grpc/watch_job_reactor.h"

namespace sparkd::api {
namespace {

// A stream refused before it starts: its status, and nothing else.
template <typename Response>
class Refused : public grpc::ServerWriteReactor<Response> {
 public:
  explicit Refused(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

CallCredentials::CallCredentials(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    authorization.emplace(it->second.data(), it->second.size());
  }
}

grpc::Status JobServiceGrpc::SubmitJob(grpc::ServerContext* context,
                                       const v1::SubmitJobRequest* request,
                                       v1::SubmitJobResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto result = jobs_->Submit(*caller, FromProto(request->job()), request->idempotency_key());
  if (!result.ok()) return ToGrpcStatus(result.status());
  ToProto(result->job, links_, response->mutable_job());
  response->set_created(result->created);
  return grpc::Status::OK;
}

grpc::Status JobServiceGrpc::GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                                    v1::GetJobResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto job = jobs_->Get(*caller, request->job_id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  ToProto(*job, links_, response->mutable_job());
  return grpc::Status::OK;
}

grpc::Status JobServiceGrpc::ListJobs(grpc::ServerContext* context,
                                      const v1::ListJobsRequest* request,
                                      v1::ListJobsResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto query = FromProto(*request);
  if (!query.ok()) return ToGrpcStatus(query.status());
  auto page = jobs_->List(*caller, std::move(*query));
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const JobSummary& job : page->jobs) ToProto(job, links_, response->add_jobs());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status JobServiceGrpc::CancelJob(grpc::ServerContext* context,
                                       const v1::CancelJobRequest* request,
                                       v1::CancelJobResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto job = jobs_->Cancel(*caller, request->job_id(), request->reason());
  if (!job.ok()) return ToGrpcStatus(job.status());
  ToProto(*job, links_, response->mutable_job());
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::WatchJobResponse>* JobServiceGrpc::WatchJob(
    grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) {
  CallCredentials credentials(*context);
  auto caller = authenticate_(credentials);
  if (!caller.ok()) return new Refused<v1::WatchJobResponse>(ToGrpcStatus(caller.status()));
  if (request->job_id().empty()) {
    return new Refused<v1::WatchJobResponse>(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "job_id: required"));
  }
  return WatchJobReactor::Start(
      jobs_, hub_, &ticker_, *caller, request->job_id(), links_,
      CredentialRecheck(authenticate_, std::move(credentials), credential_recheck_));
}

grpc::ServerWriteReactor<v1::ReadJobLogResponse>* JobServiceGrpc::ReadJobLog(
    grpc::CallbackServerContext* context, const v1::ReadJobLogRequest* request) {
  CallCredentials credentials(*context);
  auto caller = authenticate_(credentials);
  if (!caller.ok()) return new Refused<v1::ReadJobLogResponse>(ToGrpcStatus(caller.status()));
  if (request->job_id().empty()) {
    return new Refused<v1::ReadJobLogResponse>(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "job_id: required"));
  }
  return LogFollowReactor::Start(
      jobs_, backend_, hub_, &ticker_, *caller, *request,
      CredentialRecheck(authenticate_, std::move(credentials), credential_recheck_));
}

grpc::Status JobServiceGrpc::ResolveJob(grpc::ServerContext* context,
                                        const v1::ResolveJobRequest* request,
                                        v1::ResolveJobResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto resolved = jobs_->Resolve(*caller, FromProto(request->job()));
  if (!resolved.ok()) return ToGrpcStatus(resolved.status());
  ToProto(*resolved, response);
  return grpc::Status::OK;
}

}  // namespace sparkd::api
