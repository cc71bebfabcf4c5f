// StreamTicker: one thread that ticks every open long-lived stream at a fixed interval. A log
// follower reads what the driver wrote since the last tick; every stream checks its caller's
// token again when that is due. So the blocking work of streams (file reads, a token check that
// may query the database) runs here, never on a gRPC callback thread, and a waiting stream
// holds no thread of its own: a hundred followers cost no more threads than one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sparkd::api {

class TickedStream {
 public:
  virtual ~TickedStream() = default;
  // On the ticker thread. May block briefly (a file read, a database query); must not wait on
  // the stream's client.
  virtual void Tick(std::chrono::steady_clock::time_point now) = 0;
};

// Thread-safe.
class StreamTicker {
 public:
  explicit StreamTicker(std::chrono::milliseconds interval);
  ~StreamTicker();  // stops the thread; streams still registered are no longer ticked

  // The ticker holds `stream` weakly: it is dropped once its owner lets it go.
  void Add(std::weak_ptr<TickedStream> stream);

  std::chrono::milliseconds interval() const { return interval_; }

 private:
  void Loop();

  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::weak_ptr<TickedStream>> streams_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                             // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sparkd::api
