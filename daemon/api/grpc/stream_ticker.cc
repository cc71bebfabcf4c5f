#include "daemon/api/grpc/stream_ticker.h"

namespace sparkd::api {

StreamTicker::StreamTicker(std::chrono::milliseconds interval)
    : interval_(interval), thread_([this] { Loop(); }) {}

StreamTicker::~StreamTicker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StreamTicker::Add(std::weak_ptr<TickedStream> stream) {
  std::lock_guard lock(mu_);
  streams_.push_back(std::move(stream));
}

void StreamTicker::Loop() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    std::vector<std::shared_ptr<TickedStream>> live;
    {
      std::unique_lock lock(mu_);
      next += interval_;
      if (cv_.wait_until(lock, next, [&] { return stopping_; })) return;
      std::erase_if(streams_, [&](const std::weak_ptr<TickedStream>& weak) {
        auto stream = weak.lock();
        if (!stream) return true;
        live.push_back(std::move(stream));
        return false;
      });
    }
    // Outside the lock: a Tick may take a while, and streams come and go meanwhile.
    const auto now = std::chrono::steady_clock::now();
    for (const auto& stream : live) stream->Tick(now);
    // A slow round does not make the next ones come in a burst.
    if (now > next) next = now;
  }
}

}  // namespace sparkd::api
