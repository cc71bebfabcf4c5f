// The client-side QPS limit: a token bucket shared by every call of one client.
#pragma once

#include <chrono>
#include <mutex>

#include "daemon/kube/timing.h"

namespace sparkd::kube {

// `burst` tokens, refilled at `qps` per second. A caller takes a token and is told how long to
// wait for it: reservations are never given back, so waiting callers go in arrival order and
// at most `burst + qps * T` calls start in any window of T seconds. qps <= 0 means no limit.
// Thread-safe. `clock` is not owned and must outlive the bucket.
class TokenBucket {
 public:
  TokenBucket(double qps, int burst, MonotonicClock* clock);

  // Takes one token; returns how long to wait before using it (zero when one was there).
  std::chrono::nanoseconds Reserve();

 private:
  const double qps_;
  const double burst_;
  MonotonicClock* const clock_;
  std::mutex mu_;
  double tokens_;                               // GUARDED_BY(mu_); negative: owed
  std::chrono::steady_clock::time_point last_;  // GUARDED_BY(mu_)
};

}  // namespace sparkd::kube
