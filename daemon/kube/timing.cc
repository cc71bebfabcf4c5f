#include "daemon/kube/timing.h"

#include <thread>

namespace sparkd::kube {

void StopSignal::Stop() {
  std::lock_guard lock(mu_);
  if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
  cv_.notify_all();
  // Under the lock, so RemoveWaker cannot return while its waker still runs.
  for (auto& [id, wake] : wakers_) wake();
}

bool StopSignal::WaitFor(std::chrono::nanoseconds d) const {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopped(); });
}

int StopSignal::AddWaker(std::function<void()> wake) const {
  std::lock_guard lock(mu_);
  wakers_[next_waker_] = std::move(wake);
  return next_waker_++;
}

void StopSignal::RemoveWaker(int id) const {
  std::lock_guard lock(mu_);
  wakers_.erase(id);
}

namespace {

class SystemSteadyClock : public MonotonicClock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  bool SleepFor(std::chrono::nanoseconds d, const StopSignal* stop) override {
    if (stop) return stop->WaitFor(d);
    std::this_thread::sleep_for(d);
    return true;
  }
};

}  // namespace

MonotonicClock* SteadyClock() {
  static auto* clock = new SystemSteadyClock();
  return clock;
}

}  // namespace sparkd::kube
