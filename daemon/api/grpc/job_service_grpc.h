// The gRPC adapter of JobService. Each RPC: authenticate → convert the request → core → convert
// the reply; errors map through ToGrpcStatus only. Unary RPCs run on the sync server's threads;
// WatchJob is a callback reactor woken by the WatchHub, so a waiting watcher holds no thread.
#pragma once

#include <functional>

#include "daemon/api/grpc/convert.h"
#include "daemon/core/backend.h"
#include "daemon/core/job_service.h"
#include "daemon/core/watch_hub.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::api {

// Says who is calling, from the request's metadata.
using Authenticator = std::function<StatusOr<Caller>(const grpc::ServerContextBase&)>;

class JobServiceGrpc final
    : public v1::JobService::WithCallbackMethod_WatchJob<v1::JobService::Service> {
 public:
  // Every pointer must outlive the service.
  JobServiceGrpc(JobService* jobs, Backend* backend, WatchHub* hub, Authenticator authenticate,
                 LinkOptions links)
      : jobs_(jobs), backend_(backend), hub_(hub), authenticate_(std::move(authenticate)),
        links_(std::move(links)) {}

  grpc::Status SubmitJob(grpc::ServerContext* context, const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                      v1::GetJobResponse* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status CancelJob(grpc::ServerContext* context, const v1::CancelJobRequest* request,
                         v1::CancelJobResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchJobResponse>* WatchJob(
      grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) override;
  grpc::Status ReadJobLog(grpc::ServerContext* context, const v1::ReadJobLogRequest* request,
                          grpc::ServerWriter<v1::ReadJobLogResponse>* writer) override;
  grpc::Status ResolveJob(grpc::ServerContext* context, const v1::ResolveJobRequest* request,
                          v1::ResolveJobResponse* response) override;

 private:
  JobService* jobs_;
  Backend* backend_;
  WatchHub* hub_;
  Authenticator authenticate_;
  LinkOptions links_;
};

}  // namespace sparkd::api
