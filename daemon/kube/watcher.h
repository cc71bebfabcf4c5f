// The informer pattern over Client: list, then watch from the list's resourceVersion; resume
// a broken or ended watch from the last resourceVersion seen (bookmarks included); list again
// when that version has expired (410 Gone), telling the consumer what it missed.
//
//   Run():  list ──▶ OnList(snapshot) ──▶ watch ──▶ OnEvent(...) ...
//            ▲                              │ ended (timeoutSeconds) / broke: watch again
//            └──── 410 Gone (HTTP or ERROR event) ─┘   from the last resourceVersion
//
// A re-list's snapshot holds every object that exists now and, in `gone`, the last state seen
// of every object that existed before and no longer does (deleted during the gap, or
// replaced by a new object of the same name: objects are told apart by uid). Waits after
// failures back off with jitter; the watcher never gives up on its own (a 403 is retried too,
// so granting the permission later heals it), and keeps the last error in its stats.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "daemon/kube/client.h"

namespace sparkd::kube {

struct ListSnapshot {
  bool relisted = false;                // false for the first list of Run
  std::vector<nlohmann::json> objects;  // everything that exists now
  std::vector<nlohmann::json> gone;     // last states seen of objects that vanished unseen
  std::string resource_version{};
};

// Called on the thread of Watcher::Run, one call at a time. Calls must not block for long:
// the watch stream waits while they run.
class WatchHandler {
 public:
  virtual ~WatchHandler() = default;
  virtual void OnList(const ListSnapshot& snapshot) = 0;
  // ADDED, MODIFIED or DELETED; bookmarks only move the resourceVersion.
  virtual void OnEvent(const WatchEvent& event) = 0;
};

struct WatcherOptions {
  Resource resource{};
  std::string ns{};  // "": all namespaces
  std::string label_selector{};
  std::string field_selector{};
  int64_t page_size = 500;
  int watch_timeout_seconds = 300;
  RetryPolicy backoff{};  // waits between failures; max_attempts is not used
};

struct WatcherStats {
  uint64_t lists = 0;      // the first list and every re-list
  uint64_t relists = 0;    // after 410 Gone
  uint64_t watches = 0;    // watch requests made
  uint64_t resumes = 0;    // watches that broke and were resumed from a resourceVersion
  uint64_t bookmarks = 0;  // BOOKMARK events seen
  uint64_t events = 0;     // ADDED, MODIFIED, DELETED delivered
  Status last_error;       // the last failure of a list or watch, OK if none yet
};

// Run on one thread; Stop, resource_version and stats from any. `client` and `handler` are
// not owned and must outlive the watcher.
class Watcher {
 public:
  Watcher(Client* client, WatcherOptions options, WatchHandler* handler);

  // Lists and watches until Stop(), then returns OK. Returns at once if already stopped.
  Status Run();
  // Makes Run return promptly (the open request is cut). Thread-safe; idempotent.
  void Stop() { stop_.Stop(); }

  std::string resource_version() const;
  WatcherStats stats() const;

 private:
  Status List();
  // One watch from the last resourceVersion until it ends; OUT_OF_RANGE means list again.
  Status WatchOnce();
  void Deliver(const WatchEvent& event);
  void Failed(const Status& status, int failures);

  Client* const client_;
  const WatcherOptions options_;
  WatchHandler* const handler_;
  StopSignal stop_;
  // Last state seen of each object, by uid; only the Run thread touches it.
  std::map<std::string, nlohmann::json> known_;
  std::mt19937_64 random_{std::random_device{}()};

  mutable std::mutex mu_;
  std::string resource_version_;  // GUARDED_BY(mu_)
  WatcherStats stats_;            // GUARDED_BY(mu_)
};

}  // namespace sparkd::kube
