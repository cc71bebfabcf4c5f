#include "daemon/kube/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace sparkd::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryTest, RetriesWhatCannotHaveActedTwice) {
  struct Case {
    AttemptOutcome outcome;
    int http_status;
    bool safe_retried;
    bool unsafe_retried;
  };
  const std::vector<Case> cases = {
      {AttemptOutcome::kResponse, 429, true, true},  // refused before doing anything
      {AttemptOutcome::kResponse, 500, true, false},
      {AttemptOutcome::kResponse, 502, true, false},
      {AttemptOutcome::kResponse, 503, true, false},
      {AttemptOutcome::kResponse, 504, true, false},
      {AttemptOutcome::kResponse, 501, false, false},
      {AttemptOutcome::kResponse, 400, false, false},
      {AttemptOutcome::kResponse, 403, false, false},
      {AttemptOutcome::kResponse, 404, false, false},
      {AttemptOutcome::kResponse, 409, false, false},
      {AttemptOutcome::kResponse, 410, false, false},
      {AttemptOutcome::kResponse, 422, false, false},
      {AttemptOutcome::kNotSent, 0, true, true},
      {AttemptOutcome::kBroken, 0, true, false},
      {AttemptOutcome::kNotRetrying, 0, false, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ShouldRetry(c.outcome, c.http_status, Repeatable::kSafe), c.safe_retried)
        << static_cast<int>(c.outcome) << " " << c.http_status;
    EXPECT_EQ(ShouldRetry(c.outcome, c.http_status, Repeatable::kUnsafe), c.unsafe_retried)
        << static_cast<int>(c.outcome) << " " << c.http_status;
  }
}

TEST(RetryTest, BacksOffExponentiallyWithBoundedJitter) {
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(200);
  policy.max_backoff = milliseconds(3000);
  policy.multiplier = 2;
  policy.jitter = 0.5;
  struct Case {
    int attempt;
    double random01;
    milliseconds want;
  };
  const std::vector<Case> cases = {
      {1, 0.0, milliseconds(200)},  {2, 0.0, milliseconds(400)},    {3, 0.0, milliseconds(800)},
      {4, 0.0, milliseconds(1600)}, {5, 0.0, milliseconds(3000)},   {30, 0.0, milliseconds(3000)},
      {1, 0.5, milliseconds(250)},  {3, 0.999, milliseconds(1199)}, {30, 0.999, milliseconds(4498)},
      {1, 7.0, milliseconds(300)},  // random01 clamped
  };
  for (const auto& c : cases) {
    EXPECT_EQ(BackoffDelay(policy, c.attempt, c.random01), c.want)
        << c.attempt << " " << c.random01;
  }
}

TEST(RetryTest, ReadsRetryAfterSecondsOnly) {
  RetryPolicy policy;
  policy.max_retry_after = seconds(30);
  struct Case {
    std::string header;
    std::optional<milliseconds> want;
  };
  const std::vector<Case> cases = {
      {"1", milliseconds(1000)},
      {" 7 \r\n", milliseconds(7000)},
      {"0", milliseconds(0)},
      {"120", milliseconds(30000)},                      // capped
      {"99999999999999999999999", milliseconds(30000)},  // overflow: capped, not wrapped
      {"", std::nullopt},
      {"-1", std::nullopt},
      {"1.5", std::nullopt},
      {"soon", std::nullopt},
      {"Wed, 21 Oct 2015 07:28:00 GMT", std::nullopt},  // HTTP-date: the backoff applies
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseRetryAfter(c.header, policy), c.want) << "\"" << c.header << "\"";
  }
}

}  // namespace
}  // namespace sparkd::kube
