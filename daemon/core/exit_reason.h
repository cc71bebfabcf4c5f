// The exit-reason taxonomy of DESIGN.md. Names (without a prefix) are what the database, the
// CLI, metrics and reports use; the proto enum has the same values in the same order.
#pragma once

#include <optional>
#include <string_view>

namespace sparkd {

enum class ExitReason {
  kUnspecified = 0,
  kSucceeded = 1,
  kKilledByDriver = 2,
  kOomKilled = 3,
  kJvmOom = 4,
  kEvicted = 5,
  kNodeLost = 6,
  kPreempted = 7,
  kImagePullFailed = 8,
  kConfigError = 9,
  kUnschedulable = 10,
  kCrashLoop = 11,
  kHeartbeatTimeout = 12,
  kAppError = 13,
  kUnknown = 14,
};

inline constexpr int kExitReasonCount = 15;

// "OOM_KILLED"; "" for kUnspecified.
std::string_view ExitReasonName(ExitReason reason);
std::optional<ExitReason> ParseExitReason(std::string_view name);

// True for reasons that mean something went wrong (not SUCCEEDED, KILLED_BY_DRIVER or unset).
bool IsFailureReason(ExitReason reason);

}  // namespace sparkd
