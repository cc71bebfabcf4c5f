// The ReadJobLog stream: the driver's output from the requested offset and, with `follow`,
// whatever it writes next until the job has ended and its output is drained.
//
// A callback reactor, so a follower holds no thread while it waits: it used to hold a sync
// server thread each (a hundred followers, a hundred threads, and the server kept sixteen of
// them after they left), and re-read the job from the database four times a second. Now:
//   - the job is read on the WatchHub's thread, once at the start (which also authorizes the
//     caller) and again only when it changes;
//   - the StreamTicker reads what the driver wrote since the last tick, and checks the caller's
//     token (CredentialRecheck);
//   - while a backlog drains, OnWriteDone reads the next chunk at once (a local file read).
// Only one chunk is read or written at a time (`pumping_`). Lifetime as WatchJobReactor: it owns
// itself until OnDone; the hub and the ticker hold it weakly.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "daemon/api/grpc/job_service_grpc.h"
#include "daemon/api/grpc/stream_ticker.h"
#include "daemon/core/backend.h"
#include "daemon/core/job_service.h"
#include "daemon/core/watch_hub.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::api {

class LogFollowReactor : public grpc::ServerWriteReactor<v1::ReadJobLogResponse> {
 public:
  static LogFollowReactor* Start(JobService* jobs, Backend* backend, WatchHub* hub,
                                 StreamTicker* ticker, Caller caller,
                                 const v1::ReadJobLogRequest& request, CredentialRecheck recheck);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // The hub's and the ticker's weak handles on the reactor.
  class Handle : public JobListener, public TickedStream {
   public:
    explicit Handle(std::weak_ptr<LogFollowReactor> reactor) : reactor_(std::move(reactor)) {}
    void OnJobChanged() override {
      if (auto reactor = reactor_.lock()) reactor->Refresh();
    }
    void Tick(std::chrono::steady_clock::time_point now) override {
      if (auto reactor = reactor_.lock()) reactor->Tick(now);
    }

   private:
    std::weak_ptr<LogFollowReactor> reactor_;
  };

  LogFollowReactor(JobService* jobs, Backend* backend, Caller caller,
                   const v1::ReadJobLogRequest& request, CredentialRecheck recheck)
      : jobs_(jobs),
        backend_(backend),
        caller_(std::move(caller)),
        job_id_(request.job_id()),
        follow_(request.follow()),
        recheck_(std::move(recheck)),
        offset_(request.offset()) {}

  void Refresh();                                    // hub thread
  void Tick(std::chrono::steady_clock::time_point);  // ticker thread
  // Reads the next chunk and writes it, or ends the stream when there is nothing more to say.
  // Runs while `pumping_` is held by the caller.
  void Pump();
  void FinishOnce(const grpc::Status& status);

  JobService* jobs_;
  Backend* backend_;
  const Caller caller_;
  const std::string job_id_;
  const bool follow_;
  CredentialRecheck recheck_;  // ticker thread only
  std::shared_ptr<LogFollowReactor> self_;
  std::shared_ptr<Handle> handle_;

  std::mutex mu_;
  std::optional<Job> job_;  // GUARDED_BY(mu_): unset until the first read authorized the caller
  bool ended_ = false;      // GUARDED_BY(mu_): the job is in a final state
  bool pumping_ = false;    // GUARDED_BY(mu_): a chunk is being read or written
  bool finished_ = false;   // GUARDED_BY(mu_)
  int64_t offset_;          // GUARDED_BY(pumping_)
  v1::ReadJobLogResponse response_;  // GUARDED_BY(pumping_): the chunk being written
};

}  // namespace sparkd::api
