// Listens on its own connection for job changes (NOTIFY sparkd_job_events), forwarded to a
// WatchHub, and preset writes (NOTIFY sparkd_presets), forwarded to the preset store's
// latest-version cache. Reconnects when the connection drops; since notifications may have been
// missed meanwhile, every watcher re-checks and the preset cache is off until it listens again.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "daemon/core/watch_hub.h"
#include "daemon/store/pg_preset_store.h"

namespace sparkd::store {

class PgListener {
 public:
  // `presets` may be null (then only jobs are listened for); both must outlive the listener.
  PgListener(std::string url, WatchHub* hub, PgPresetStore* presets)
      : url_(std::move(url)), hub_(hub), presets_(presets) {}
  ~PgListener() { Stop(); }

  void Start();
  void Stop();

 private:
  void Loop();

  const std::string url_;
  WatchHub* hub_;
  PgPresetStore* presets_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sparkd::store
