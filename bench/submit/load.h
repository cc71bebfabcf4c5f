// A closed-loop load runner: N client threads each repeat one operation back to back for a
// fixed time; the figures count only operations that start after the warm-up and end before the
// deadline, so connection set-up and the ramp do not count.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "daemon/core/status.h"

namespace sparkd::bench {

// One operation of one client: an empty string on success, else what went wrong.
// Called from that client's thread only.
using Operation = std::function<std::string()>;

// Opens client `index`'s connection and returns its operation. Runs on the client's own thread
// before the clock starts.
using ClientFactory = std::function<StatusOr<Operation>(int index)>;

struct LoadOptions {
  int clients = 1;
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds measure{5000};
};

struct LoadResult {
  int64_t ok = 0;      // successful operations in the measured window
  int64_t errors = 0;  // failed operations in the measured window
  std::string first_error;
  double per_second = 0;  // ok / measured seconds
  double p50_ms = 0;
  double p99_ms = 0;
};

// Fails when a client cannot be set up; errors of single operations are counted instead.
StatusOr<LoadResult> RunLoad(const LoadOptions& options, const ClientFactory& factory);

}  // namespace sparkd::bench
