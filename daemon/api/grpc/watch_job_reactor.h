// The WatchJob stream: the job as it is now, then one message per new event, then OK after a
// final state. Store reads happen on the WatchHub thread; gRPC callbacks only queue and write.
//
// gRPC may run a reaction (OnWriteDone, OnDone) inline inside StartWrite or Finish, so this
// class never holds its mutex across those calls, and it owns itself through a shared_ptr that
// OnDone drops: a hub thread still inside Refresh keeps it alive until it returns.
//
// The StreamTicker checks the caller's token again as the stream runs (CredentialRecheck): a
// revoked token ends the stream UNAUTHENTICATED.
#pragma once

#include <deque>
#include <memory>
#include <mutex>

#include "daemon/api/grpc/convert.h"
#include "daemon/api/grpc/job_service_grpc.h"
#include "daemon/api/grpc/stream_ticker.h"
#include "daemon/core/job_service.h"
#include "daemon/core/watch_hub.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::api {

class WatchJobReactor : public grpc::ServerWriteReactor<v1::WatchJobResponse> {
 public:
  // Starts the stream: subscribes to the hub, which delivers the first message.
  static WatchJobReactor* Start(JobService* jobs, WatchHub* hub, StreamTicker* ticker,
                                Caller caller, std::string job_id, LinkOptions links,
                                CredentialRecheck recheck);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  class Listener : public JobListener {
   public:
    explicit Listener(std::weak_ptr<WatchJobReactor> reactor) : reactor_(std::move(reactor)) {}
    void OnJobChanged() override {
      if (auto reactor = reactor_.lock()) reactor->Refresh();
    }

   private:
    std::weak_ptr<WatchJobReactor> reactor_;
  };

  class Ticked : public TickedStream {
   public:
    explicit Ticked(std::weak_ptr<WatchJobReactor> reactor) : reactor_(std::move(reactor)) {}
    void Tick(std::chrono::steady_clock::time_point now) override {
      if (auto reactor = reactor_.lock()) reactor->Tick(now);
    }

   private:
    std::weak_ptr<WatchJobReactor> reactor_;
  };

  WatchJobReactor(JobService* jobs, Caller caller, std::string job_id, LinkOptions links,
                  CredentialRecheck recheck)
      : jobs_(jobs),
        caller_(std::move(caller)),
        job_id_(std::move(job_id)),
        links_(std::move(links)),
        recheck_(std::move(recheck)) {}

  // On the ticker thread only.
  void Tick(std::chrono::steady_clock::time_point now);

  // On the hub thread only.
  void Refresh();
  void Enqueue(v1::WatchJobResponse response, bool last);
  void FinishOnce(const grpc::Status& status);

  JobService* jobs_;
  const Caller caller_;
  const std::string job_id_;
  const LinkOptions links_;
  std::shared_ptr<WatchJobReactor> self_;
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<Ticked> ticked_;
  int64_t sent_seq_ = -1;      // hub thread only; -1 before the first message
  CredentialRecheck recheck_;  // ticker thread only

  std::mutex mu_;
  std::deque<v1::WatchJobResponse> queue_;  // GUARDED_BY(mu_); front is being written
  bool last_queued_ = false;                // GUARDED_BY(mu_)
  bool finished_ = false;                   // GUARDED_BY(mu_)
};

}  // namespace sparkd::api
