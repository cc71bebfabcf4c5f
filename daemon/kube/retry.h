// When the client retries a failed request and how long it waits: exponential backoff with
// jitter, or the server's Retry-After. Pure functions, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sparkd::kube {

struct RetryPolicy {
  int max_attempts = 5;  // 1: never retry
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  double multiplier = 2.0;
  double jitter = 0.5;  // each delay grows by up to this fraction, at random
  // A Retry-After longer than this is cut to it (a misbehaving proxy must not park a call).
  std::chrono::seconds max_retry_after{30};
};

// What became of one attempt, as far as a retry is concerned.
enum class AttemptOutcome {
  kResponse,     // the server answered with an HTTP status
  kNotSent,      // no connection was made (refused, unresolved): the server saw nothing
  kBroken,       // the connection failed after the request may have reached the server
  kNotRetrying,  // TLS verification, a bad URL, stopped by the caller: retrying cannot help
};

// kSafe: repeating the request does no harm (reads, deletes, merge patches, creates of a named
// object: a repeat answers 409 AlreadyExists). kUnsafe: a repeat may act twice (a create by
// generateName, a JSON patch that appends), so only a request the server never processed is
// repeated (429, or no connection).
enum class Repeatable { kSafe, kUnsafe };

// Whether to try again after an attempt (`http_status` is read only for kResponse).
bool ShouldRetry(AttemptOutcome outcome, int http_status, Repeatable repeatable);

// The wait after failed attempt number `attempt` (1-based) without a Retry-After:
// initial * multiplier^(attempt-1), at most max_backoff, then lengthened by
// jitter * `random01` of itself (`random01` in [0, 1)).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt, double random01);

// The wait a Retry-After header asks for: delta-seconds only (what the API server sends); an
// HTTP-date or garbage is nullopt, and the backoff applies. Capped at policy.max_retry_after.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         const RetryPolicy& policy);

}  // namespace sparkd::kube
