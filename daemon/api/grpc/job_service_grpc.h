// The gRPC adapter of JobService. Each RPC: authenticate → convert the request → core → convert
// the reply; errors map through ToGrpcStatus only. Unary RPCs run on the sync server's threads;
// the streams (WatchJob, ReadJobLog) are callback reactors woken by the WatchHub and the
// StreamTicker, so a waiting watcher or log follower holds no thread.
//
// A stream lives as long as a job: it checks its caller's token again every
// `credential_recheck` (shorter than the token cache's 5 s) and ends UNAUTHENTICATED once the
// token is revoked, instead of serving a revoked token until the job ends.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "daemon/api/grpc/convert.h"
#include "daemon/api/grpc/stream_ticker.h"
#include "daemon/core/backend.h"
#include "daemon/core/job_service.h"
#include "daemon/core/watch_hub.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::api {

// The credentials a call came with, copied out of its metadata, so a stream can check them
// again after the call's context is gone. Converts implicitly from a context on purpose: every
// RPC authenticates its context as it is (`authenticate_(*context)`).
struct CallCredentials {
  CallCredentials(const grpc::ServerContextBase& context);  // NOLINT(google-explicit-constructor)
  std::optional<std::string> authorization;                 // the `authorization` metadata
};

// Says who is calling, from the call's credentials.
using Authenticator = std::function<StatusOr<Caller>(const CallCredentials&)>;

inline constexpr std::chrono::milliseconds kCredentialRecheck{2000};

// A stream's credentials and when to check them next. Not thread-safe: one stream's ticks.
class CredentialRecheck {
 public:
  CredentialRecheck(Authenticator authenticate, CallCredentials credentials,
                    std::chrono::milliseconds every)
      : authenticate_(std::move(authenticate)),
        credentials_(std::move(credentials)),
        every_(every),
        next_(std::chrono::steady_clock::now() + every) {}

  // OK while the credentials authenticate; asks again at most once per `every`.
  Status Check(std::chrono::steady_clock::time_point now) {
    if (now < next_) return Status::Ok();
    next_ = now + every_;
    return authenticate_(credentials_).status();
  }

 private:
  const Authenticator authenticate_;
  const CallCredentials credentials_;
  const std::chrono::milliseconds every_;
  std::chrono::steady_clock::time_point next_;
};

inline constexpr std::chrono::milliseconds kLogFollowInterval{250};

class JobServiceGrpc final
    : public v1::JobService::WithCallbackMethod_WatchJob<
          v1::JobService::WithCallbackMethod_ReadJobLog<v1::JobService::Service>> {
 public:
  // Every pointer must outlive the service.
  JobServiceGrpc(JobService* jobs, Backend* backend, WatchHub* hub, Authenticator authenticate,
                 LinkOptions links,
                 std::chrono::milliseconds credential_recheck = kCredentialRecheck)
      : jobs_(jobs),
        backend_(backend),
        hub_(hub),
        authenticate_(std::move(authenticate)),
        links_(std::move(links)),
        credential_recheck_(credential_recheck),
        ticker_(kLogFollowInterval) {}

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
  grpc::ServerWriteReactor<v1::ReadJobLogResponse>* ReadJobLog(
      grpc::CallbackServerContext* context, const v1::ReadJobLogRequest* request) override;
  grpc::Status ResolveJob(grpc::ServerContext* context, const v1::ResolveJobRequest* request,
                          v1::ResolveJobResponse* response) override;

 private:
  JobService* jobs_;
  Backend* backend_;
  WatchHub* hub_;
  Authenticator authenticate_;
  LinkOptions links_;
  const std::chrono::milliseconds credential_recheck_;
  StreamTicker ticker_;  // last: stopped before the rest goes
};

}  // namespace sparkd::api
