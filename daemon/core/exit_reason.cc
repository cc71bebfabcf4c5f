#include "daemon/core/exit_reason.h"

#include <array>

namespace sparkd {
namespace {

constexpr std::array<std::string_view, kExitReasonCount> kNames = {
    "",
    "SUCCEEDED",
    "KILLED_BY_DRIVER",
    "OOM_KILLED",
    "JVM_OOM",
    "EVICTED",
    "NODE_LOST",
    "PREEMPTED",
    "IMAGE_PULL_FAILED",
    "CONFIG_ERROR",
    "UNSCHEDULABLE",
    "CRASH_LOOP",
    "HEARTBEAT_TIMEOUT",
    "APP_ERROR",
    "UNKNOWN",
};

}  // namespace

std::string_view ExitReasonName(ExitReason reason) {
  auto index = static_cast<size_t>(reason);
  return index < kNames.size() ? kNames[index] : "UNKNOWN";
}

std::optional<ExitReason> ParseExitReason(std::string_view name) {
  for (size_t i = 1; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<ExitReason>(i);
  }
  return std::nullopt;
}

bool IsFailureReason(ExitReason reason) {
  return reason != ExitReason::kUnspecified && reason != ExitReason::kSucceeded &&
         reason != ExitReason::kKilledByDriver;
}

}  // namespace sparkd
