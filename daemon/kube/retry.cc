#include "daemon/kube/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sparkd::kube {

bool ShouldRetry(AttemptOutcome outcome, int http_status, Repeatable repeatable) {
  switch (outcome) {
    case AttemptOutcome::kNotSent:
      return true;
    case AttemptOutcome::kBroken:
      return repeatable == Repeatable::kSafe;
    case AttemptOutcome::kNotRetrying:
      return false;
    case AttemptOutcome::kResponse:
      break;
  }
  // 429: the server (its priority and fairness, or max-in-flight) refused before doing anything.
  if (http_status == 429) return true;
  bool server_error =
      http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504;
  return server_error && repeatable == Repeatable::kSafe;
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt, double random01) {
  double base = static_cast<double>(policy.initial_backoff.count()) *
                std::pow(policy.multiplier, std::max(0, attempt - 1));
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  double jittered = base * (1 + policy.jitter * std::clamp(random01, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<int64_t>(jittered));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         const RetryPolicy& policy) {
  auto first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  value = value.substr(first, value.find_last_not_of(" \t\r\n") - first + 1);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
    // Out of range counts as "very long": it is capped like any long wait.
    if (ec == std::errc::result_out_of_range) return policy.max_retry_after;
    return std::nullopt;
  }
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), policy.max_retry_after);
}

}  // namespace sparkd::kube
