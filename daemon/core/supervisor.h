// Supervisor: drives the jobs this daemon owns through their lifecycle.
//
// One loop: claim QUEUED jobs (up to a concurrency limit) → launch → observe every owned job →
// record RUNNING, the executors as they end, and at the end the driver, the exit reasons and
// the report. Observations come from polling a backend that needs it (Backend::Observe on
// each pass) or are pushed by a backend that watches (the ObservationSink methods below); both
// go through Apply/Finish. Postgres is the only state: after a crash, Reconcile() picks every
// owned job up again, and a job is never launched twice (SUBMITTING jobs are observed before
// they are ever re-queued).
//
// Concurrency: the calls about one job (a launch, a pushed observation, a resync, a poll) run
// one at a time under that job's lock; every state change is also conditional in the store
// (Transition refuses a move the state machine forbids), so a replayed or late observation
// changes nothing.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
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
  // Launches in flight at once. A launch mostly waits (a Postgres claim, the backend's API
  // calls, the SUBMITTED record), so a burst of queued jobs starts several times faster with a
  // few at once; each job is still launched by one thread under its lock.
  int launch_concurrency = 4;
};

class Supervisor : public ObservationSink {
 public:
  // `store` and `backend` must outlive the supervisor.
  Supervisor(JobStore* store, Backend* backend, SupervisorOptions options)
      : store_(store), backend_(backend), options_(std::move(options)) {}
  ~Supervisor() override { Stop(); }

  // Brings every job this daemon owned before a restart back to a true state: still running,
  // ended (recorded now), never launched (queued again) or lost (failed, saying so).
  Status Reconcile();

  // Starts the loop and subscribes to the backend's observations (if it pushes them).
  void Start();
  // Unsubscribes (no pushed call runs after this returns) and stops the loop.
  void Stop();
  // Wakes the loop now, e.g. after a submit.
  void Wake();

  // Stops the application of a job that was just cancelled. Thread-safe.
  void StopApplication(const Job& job);

  // One pass of the loop; public so tests can step it.
  void RunOnce();

  // ObservationSink: what a watching backend pushes. Calls about jobs this daemon does not
  // own are ignored. Thread-safe.
  bool OnObservation(const std::string& job_id, Observation observation) override;
  void OnExecutorEnded(const std::string& job_id, ExecutorRecord record) override;
  void OnResync(const std::set<std::string>& present,
                const std::function<bool(const Job&)>& covers) override;

 private:
  void Loop();
  void ClaimAndLaunch(int running);
  // Claims one QUEUED job for this daemon; nullopt when there is none (or the claim failed).
  std::optional<Job> ClaimOne();
  bool Stopping();
  void Launch(Job job);
  void ObserveAll(const std::vector<Job>& jobs);
  void Apply(const Job& job, Observation observation);
  void Finish(const Job& job, Observation observation);
  std::vector<classify::Diagnosis> Diagnose(const Job& job);
  void LogIfError(const Status& status, const Job& job, const char* what);

  std::mutex& JobLock(const std::string& job_id);
  // Jobs this daemon drives: refreshed from the store on every pass, added at launch.
  void SetOwned(const std::vector<Job>& active);
  void AddOwned(const std::string& job_id);
  void Forget(const std::string& job_id);
  bool Owns(const std::string& job_id, bool or_recently_ended);
  // True when the same observation was applied last time (nothing to write).
  bool Unchanged(const std::string& job_id, const Observation& observation);

  JobStore* store_;
  Backend* backend_;
  const SupervisorOptions options_;
  std::array<std::mutex, 64> job_locks_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;      // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool pushed_ = false;    // GUARDED_BY(mu_): the backend pushes; do not poll it
  std::thread thread_;

  std::mutex owned_mu_;
  std::set<std::string> owned_;                   // GUARDED_BY(owned_mu_)
  std::set<std::string> ended_;                   // GUARDED_BY(owned_mu_)
  std::deque<std::string> ended_order_;           // GUARDED_BY(owned_mu_): oldest first
  std::map<std::string, std::string> last_seen_;  // GUARDED_BY(owned_mu_): job → fingerprint
};

}  // namespace sparkd
