#include "daemon/api/grpc/job_service_grpc.h"

#include <thread>

#include "daemon/api/grpc/watch_job_reactor.h"

namespace sparkd::api {
namespace {

constexpr int64_t kLogChunkBytes = 64 * 1024;
constexpr auto kLogFollowInterval = std::chrono::milliseconds(250);

}  // namespace

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
  for (const Job& job : page->jobs) ToProto(job, links_, response->add_jobs());
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
  auto caller = authenticate_(*context);
  if (!caller.ok() || request->job_id().empty()) {
    class Refused : public grpc::ServerWriteReactor<v1::WatchJobResponse> {
     public:
      explicit Refused(const grpc::Status& status) { Finish(status); }
      void OnDone() override { delete this; }
    };
    return new Refused(caller.ok() ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                                  "job_id: required")
                                   : ToGrpcStatus(caller.status()));
  }
  return WatchJobReactor::Start(jobs_, hub_, *caller, request->job_id(), links_);
}

// Few clients follow logs at once (the CLI's `run`), so this stream simply polls on a sync
// server thread.
grpc::Status JobServiceGrpc::ReadJobLog(grpc::ServerContext* context,
                                        const v1::ReadJobLogRequest* request,
                                        grpc::ServerWriter<v1::ReadJobLogResponse>* writer) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto job = jobs_->Get(*caller, request->job_id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  int64_t offset = request->offset();
  while (!context->IsCancelled()) {
    auto chunk = backend_->ReadDriverLog(*job, offset, kLogChunkBytes);
    if (!chunk.ok()) return ToGrpcStatus(chunk.status());
    if (!chunk->data.empty()) {
      v1::ReadJobLogResponse response;
      response.set_data(std::move(chunk->data));
      response.set_next_offset(chunk->next_offset);
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
      offset = chunk->next_offset;
      continue;
    }
    if (!request->follow() || IsTerminal(job->state)) return grpc::Status::OK;
    std::this_thread::sleep_for(kLogFollowInterval);
    // Re-read the state: once the job has ended, one more pass drains what is left.
    auto latest = jobs_->Get(*caller, request->job_id());
    if (!latest.ok()) return ToGrpcStatus(latest.status());
    job = std::move(latest);
  }
  return grpc::Status::CANCELLED;
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
