#include "daemon/api/grpc/watch_job_reactor.h"

#include <spdlog/spdlog.h>

namespace sparkd::api {

WatchJobReactor* WatchJobReactor::Start(JobService* jobs, WatchHub* hub, StreamTicker* ticker,
                                        Caller caller, std::string job_id, LinkOptions links,
                                        CredentialRecheck recheck) {
  std::shared_ptr<WatchJobReactor> reactor(
      new WatchJobReactor(jobs, std::move(caller), job_id, std::move(links), std::move(recheck)));
  reactor->self_ = reactor;
  reactor->listener_ = std::make_shared<Listener>(reactor);
  reactor->ticked_ = std::make_shared<Ticked>(reactor);
  hub->Subscribe(job_id, reactor->listener_);
  ticker->Add(reactor->ticked_);
  hub->Notify(job_id);  // the hub thread sends the first message
  return reactor.get();
}

void WatchJobReactor::Refresh() {
  spdlog::debug("watch {}: refresh after seq {}", job_id_, sent_seq_);
  if (sent_seq_ < 0) {
    auto job = jobs_->Get(caller_, job_id_);
    if (!job.ok()) {
      FinishOnce(ToGrpcStatus(job.status()));
      return;
    }
    v1::WatchJobResponse first;
    ToProto(*job, links_, first.mutable_job());
    sent_seq_ = job->version;
    Enqueue(std::move(first), IsTerminal(job->state));
    return;
  }
  auto events = jobs_->EventsSince(job_id_, sent_seq_);
  if (!events.ok() || events->empty()) return;  // a failed read is retried on the next change
  // One read of the job for all new events: each message carries the job as it is now.
  auto job = jobs_->Get(caller_, job_id_);
  if (!job.ok()) return;
  for (const auto& event : *events) {
    v1::WatchJobResponse response;
    ToProto(event, response.mutable_event());
    ToProto(*job, links_, response.mutable_job());
    sent_seq_ = event.seq;
    Enqueue(std::move(response), IsTerminal(event.to));
  }
}

void WatchJobReactor::Tick(std::chrono::steady_clock::time_point now) {
  Status credentials = recheck_.Check(now);
  if (!credentials.ok()) {
    spdlog::debug("watch {}: the caller's token no longer authenticates", job_id_);
    FinishOnce(ToGrpcStatus(credentials));
  }
}

void WatchJobReactor::Enqueue(v1::WatchJobResponse response, bool last) {
  const v1::WatchJobResponse* to_write = nullptr;
  {
    std::lock_guard lock(mu_);
    if (finished_ || last_queued_) return;
    queue_.push_back(std::move(response));
    last_queued_ = last;
    if (queue_.size() == 1) to_write = &queue_.front();  // deque keeps references stable
  }
  spdlog::debug("watch {}: queued a message (write now: {}, last: {})", job_id_,
                to_write != nullptr, last);
  if (to_write) StartWrite(to_write);
}

void WatchJobReactor::OnWriteDone(bool ok) {
  if (!ok) {
    FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
    return;
  }
  const v1::WatchJobResponse* next = nullptr;
  bool finish = false;
  {
    std::lock_guard lock(mu_);
    queue_.pop_front();
    if (!queue_.empty()) {
      next = &queue_.front();
    } else {
      finish = last_queued_;
    }
  }
  if (next) {
    StartWrite(next);
  } else if (finish) {
    FinishOnce(grpc::Status::OK);
  }
}

void WatchJobReactor::OnCancel() {
  FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
}

void WatchJobReactor::FinishOnce(const grpc::Status& status) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  Finish(status);
}

void WatchJobReactor::OnDone() {
  // The hub drops the listener once it sees the reactor gone.
  auto last_reference = std::move(self_);  // deletes this on return unless a Refresh runs
}

}  // namespace sparkd::api
