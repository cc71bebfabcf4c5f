// WatchHub: tells watchers of a job that it changed. Fed by the store's change notifications
// (Postgres NOTIFY, so changes made by any daemon replica arrive); listeners run on the hub's
// own thread, never on the notifier's or on an RPC thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sparkd {

class JobListener {
 public:
  virtual ~JobListener() = default;
  // Called on the hub thread after the job may have changed. Must not block for long.
  virtual void OnJobChanged() = 0;
};

// Thread-safe.
class WatchHub {
 public:
  WatchHub() = default;
  ~WatchHub() { Stop(); }

  // The hub holds the listener weakly: it is dropped once its owner lets it go.
  void Subscribe(const std::string& job_id, std::weak_ptr<JobListener> listener);
  void Notify(const std::string& job_id);
  // After a lost notification channel: every listener re-checks.
  void NotifyAll();

  void Start();
  void Stop();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<std::weak_ptr<JobListener>>> listeners_;  // GUARDED_BY(mu_)
  std::deque<std::string> pending_;                                           // GUARDED_BY(mu_)
  bool all_pending_ = false;                                                  // GUARDED_BY(mu_)
  bool stopping_ = false;                                                     // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sparkd
