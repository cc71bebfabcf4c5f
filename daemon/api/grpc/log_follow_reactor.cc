#include "daemon/api/grpc/log_follow_reactor.h"

namespace sparkd::api {
namespace {

constexpr int64_t kLogChunkBytes = 64 * 1024;

}  // namespace

LogFollowReactor* LogFollowReactor::Start(JobService* jobs, Backend* backend, WatchHub* hub,
                                          StreamTicker* ticker, Caller caller,
                                          const v1::ReadJobLogRequest& request,
                                          CredentialRecheck recheck) {
  std::shared_ptr<LogFollowReactor> reactor(
      new LogFollowReactor(jobs, backend, std::move(caller), request, std::move(recheck)));
  reactor->self_ = reactor;
  reactor->handle_ = std::make_shared<Handle>(reactor);
  hub->Subscribe(request.job_id(), reactor->handle_);
  ticker->Add(reactor->handle_);
  hub->Notify(request.job_id());  // the hub thread reads the job, then the log
  return reactor.get();
}

void LogFollowReactor::Refresh() {
  auto job = jobs_->Get(caller_, job_id_);
  bool first = false;
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    first = !job_.has_value();
    if (job.ok()) {
      job_ = *job;
      ended_ = IsTerminal(job->state);
      if (first) pumping_ = true;
    }
  }
  if (!job.ok()) {
    // The first read decides whether the caller may see the job at all; a later failure is
    // retried at the next change.
    if (first) FinishOnce(ToGrpcStatus(job.status()));
    return;
  }
  if (!first) return;
  // At once, so a follower knows it is streaming before the log has anything to say.
  StartSendInitialMetadata();
  Pump();
}

void LogFollowReactor::Tick(std::chrono::steady_clock::time_point now) {
  if (Status credentials = recheck_.Check(now); !credentials.ok()) {
    FinishOnce(ToGrpcStatus(credentials));
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (finished_ || !job_ || pumping_) return;
    pumping_ = true;
  }
  Pump();
}

void LogFollowReactor::Pump() {
  Job job;
  bool ended = false;
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    job = *job_;
    // Read before the log: a job already ended has written all it will, so an empty read
    // after this means the output is drained.
    ended = ended_;
  }
  auto chunk = backend_->ReadDriverLog(job, offset_, kLogChunkBytes);
  if (!chunk.ok()) {
    FinishOnce(ToGrpcStatus(chunk.status()));
    return;
  }
  if (!chunk->data.empty()) {
    response_.set_data(std::move(chunk->data));
    response_.set_next_offset(chunk->next_offset);
    offset_ = chunk->next_offset;
    StartWrite(&response_);  // OnWriteDone pumps on
    return;
  }
  if (!follow_ || ended) {
    FinishOnce(grpc::Status::OK);
    return;
  }
  std::lock_guard lock(mu_);
  pumping_ = false;  // the next tick reads again
}

void LogFollowReactor::OnWriteDone(bool ok) {
  if (!ok) {
    FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
    return;
  }
  Pump();  // still pumping: a backlog drains at once, not a chunk per tick
}

void LogFollowReactor::OnCancel() {
  FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
}

void LogFollowReactor::FinishOnce(const grpc::Status& status) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  Finish(status);
}

void LogFollowReactor::OnDone() {
  auto last_reference = std::move(self_);  // deletes this on return unless a tick or hub runs it
}

}  // namespace sparkd::api
