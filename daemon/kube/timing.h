// Time and cancellation for the Kubernetes client: a monotonic clock that tests replace (the
// QPS limit and the retry backoff wait through it), and a stop signal that another thread
// raises to end a long call (a watch, a followed log, a backoff wait) promptly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>

namespace sparkd::kube {

// Raised once, from any thread; never lowered. Thread-safe.
class StopSignal {
 public:
  void Stop();
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // Waits `d` or until Stop(). Returns false when stopped.
  bool WaitFor(std::chrono::nanoseconds d) const;

  // Registers `wake`, run by Stop() under the signal's lock, so a call blocked in I/O can wake
  // itself; a caller checks stopped() after registering (Stop may have come first). `wake` must
  // be quick and must not call back into the signal. Returns an id for RemoveWaker, which waits
  // for a running `wake` to return.
  int AddWaker(std::function<void()> wake) const;
  void RemoveWaker(int id) const;

 private:
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  // Mutable: waiting on a signal (a const view of it) registers a waker.
  mutable std::map<int, std::function<void()>> wakers_;  // GUARDED_BY(mu_)
  mutable int next_waker_ = 0;                           // GUARDED_BY(mu_)
};

class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  // Waits `d`, or less when `stop` (may be null) is raised. Returns false when stopped.
  virtual bool SleepFor(std::chrono::nanoseconds d, const StopSignal* stop) = 0;
};

// std::chrono::steady_clock. Process-wide, never destroyed, thread-safe.
MonotonicClock* SteadyClock();

}  // namespace sparkd::kube
