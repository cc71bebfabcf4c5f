#include "daemon/store/pg_listener.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include "daemon/store/pg.h"
#include "daemon/store/pg_job_store.h"

namespace sparkd::store {

void PgListener::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PgListener::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void PgListener::Loop() {
  const std::string listen =
      std::string("LISTEN ") + kJobEventsChannel + "; LISTEN " + kPresetsChannel;
  while (!stopping_) {
    auto conn = PgConnection::Connect(url_);
    if (!conn.ok() || !(*conn)->ExecScript(listen).ok()) {
      spdlog::warn("change listener cannot connect; retrying");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    // Anything may have changed while we were not listening.
    if (presets_ != nullptr) presets_->SetLatestCacheEnabled(true);
    hub_->NotifyAll();
    PGconn* raw = (*conn)->raw();
    while (!stopping_ && PQstatus(raw) == CONNECTION_OK) {
      pollfd fd{PQsocket(raw), POLLIN, 0};
      // A short timeout so Stop() is honoured promptly.
      if (poll(&fd, 1, 200) < 0) break;
      if (!PQconsumeInput(raw)) break;
      while (PGnotify* note = PQnotifies(raw)) {
        if (std::string_view(note->relname) == kPresetsChannel) {
          if (presets_ != nullptr) presets_->ForgetLatest(note->extra);
        } else {
          spdlog::debug("job {} changed", note->extra);
          hub_->Notify(note->extra);
        }
        PQfreemem(note);
      }
    }
    if (presets_ != nullptr) presets_->SetLatestCacheEnabled(false);
  }
}

}  // namespace sparkd::store
