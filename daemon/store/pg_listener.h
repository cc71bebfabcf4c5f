// Listens for job change notifications (NOTIFY sparkd_job_events) on its own connection and
// forwards them to a WatchHub. Reconnects when the connection drops, then asks every watcher
// to re-check, since notifications may have been missed meanwhile.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "daemon/core/watch_hub.h"

namespace sparkd::store {

class PgListener {
 public:
  PgListener(std::string url, WatchHub* hub) : url_(std::move(url)), hub_(hub) {}
  ~PgListener() { Stop(); }

  void Start();
  void Stop();

 private:
  void Loop();

  const std::string url_;
  WatchHub* hub_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sparkd::store
