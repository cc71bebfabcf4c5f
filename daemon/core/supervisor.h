// Supervisor: drives the jobs this daemon owns through their lifecycle.
//
// One loop: claim QUEUED jobs (up to a concurrency limit) → launch → observe every owned job →
// record RUNNING, and at the end the executors, their exit reasons and the report. Postgres is
// the only state: after a crash, Reconcile() picks every owned job up again, and a job is
// never launched twice (SUBMITTING jobs are observed before they are ever re-queued).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/core/backend.h"
#include "daemon/core/classify/classify.h"
#include "daemon/core/clock.h"
#include "daemon/core/job_store.h"

namespace sparkd {

struct SupervisorOptions {
  std::string owner;  // this daemon's identity in jobs.owner
  std::chrono::milliseconds poll_interval{500};
  int max_running_jobs = 2;
};

class Supervisor {
 public:
  // `store` and `backend` must outlive the supervisor.
  Supervisor(JobStore* store, Backend* backend, SupervisorOptions options)
      : store_(store), backend_(backend), options_(std::move(options)) {}
  ~Supervisor() { Stop(); }

  // Brings every job this daemon owned before a restart back to a true state: still running,
  // ended (recorded now), never launched (queued again) or lost (failed, saying so).
  Status Reconcile();

  void Start();
  void Stop();
  // Wakes the loop now, e.g. after a submit.
  void Wake();

  // Stops the application of a job that was just cancelled. Thread-safe.
  void StopApplication(const Job& job);

  // One pass of the loop; public so tests can step it.
  void RunOnce();

 private:
  void Loop();
  void ClaimAndLaunch(int running);
  void Launch(Job job);
  void ObserveAll(const std::vector<Job>& jobs);
  void Apply(const Job& job, Observation observation);
  void Finish(const Job& job, Observation observation);
  std::vector<classify::Diagnosis> Diagnose(const Job& job);
  void LogIfError(const Status& status, const Job& job, const char* what);

  JobStore* store_;
  Backend* backend_;
  const SupervisorOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;      // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sparkd
