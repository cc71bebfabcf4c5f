// A MonotonicClock for tests: time moves only when someone sleeps on it (or the test
// advances it), so QPS and backoff behaviour is checked without wall-clock waits. A hook can
// act during each sleep (reopen a proxy, create an object) to stage what happens meanwhile.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "daemon/kube/timing.h"

namespace sparkd::kube {

// Thread-safe.
class FakeClock : public MonotonicClock {
 public:
  std::chrono::steady_clock::time_point Now() override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(now_.load()));
  }
  bool SleepFor(std::chrono::nanoseconds d, const StopSignal* stop) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      sleeps_.push_back(d);
      hook = on_sleep_;
    }
    now_ += d.count();
    if (hook) hook();
    return !(stop && stop->stopped());
  }
  void Advance(std::chrono::nanoseconds d) { now_ += d.count(); }
  void OnSleep(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_sleep_ = std::move(hook);
  }
  std::vector<std::chrono::nanoseconds> sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  std::atomic<int64_t> now_{1'000'000'000};
  std::mutex mu_;
  std::vector<std::chrono::nanoseconds> sleeps_;  // GUARDED_BY(mu_)
  std::function<void()> on_sleep_;                // GUARDED_BY(mu_)
};

}  // namespace sparkd::kube
