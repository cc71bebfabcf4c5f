#include "daemon/kube/token_bucket.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "daemon/kube/fake_clock.h"

namespace sparkd::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(TokenBucketTest, LetsABurstThroughThenPacesAtTheRate) {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/10, /*burst=*/3, &clock);
  std::vector<nanoseconds> waits;
  for (int i = 0; i < 6; ++i) waits.push_back(bucket.Reserve());
  EXPECT_EQ(waits[0], nanoseconds(0));
  EXPECT_EQ(waits[2], nanoseconds(0));
  EXPECT_EQ(waits[3], milliseconds(100));
  EXPECT_EQ(waits[4], milliseconds(200));
  EXPECT_EQ(waits[5], milliseconds(300));
}

TEST(TokenBucketTest, NoWindowSeesMoreThanBurstPlusRate) {
  FakeClock clock;
  const double qps = 5;
  const int burst = 4;
  TokenBucket bucket(qps, burst, &clock);
  // Callers arrive every 50 ms (20/s, four times the limit); each sleeps what it is told.
  std::vector<std::chrono::steady_clock::time_point> started;
  auto arrival = clock.Now();
  for (int i = 0; i < 60; ++i) {
    arrival += milliseconds(50);
    if (clock.Now() < arrival) clock.Advance(arrival - clock.Now());
    clock.SleepFor(bucket.Reserve(), nullptr);
    started.push_back(clock.Now());
  }
  for (size_t i = 0; i < started.size(); ++i) {
    auto in_window = std::count_if(started.begin() + i, started.end(),
                                   [&](auto t) { return t < started[i] + seconds(1); });
    EXPECT_LE(in_window, burst + qps) << "window starting at request " << i;
  }
  // And the limit is not stricter than asked: 60 calls take (60 - burst) / qps seconds.
  auto elapsed = started.back() - started.front();
  EXPECT_LE(elapsed, seconds(12));
  EXPECT_GE(elapsed, milliseconds(11'000));
}

TEST(TokenBucketTest, RefillsAfterIdleUpToTheBurstOnly) {
  FakeClock clock;
  TokenBucket bucket(10, 2, &clock);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(bucket.Reserve(), nanoseconds(0));
  clock.Advance(seconds(60));
  EXPECT_EQ(bucket.Reserve(), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(), milliseconds(100));
}

TEST(TokenBucketTest, ZeroQpsMeansNoLimit) {
  FakeClock clock;
  TokenBucket bucket(0, 1, &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(bucket.Reserve(), nanoseconds(0));
}

TEST(TokenBucketTest, ThreadsShareOneBucketAndQueueInOrder) {
  FakeClock clock;  // frozen: every reservation after the burst is owed further ahead
  TokenBucket bucket(100, 10, &clock);
  std::vector<std::vector<nanoseconds>> waits(4);
  std::vector<std::thread> threads;
  for (auto& mine : waits) {
    threads.emplace_back([&bucket, &mine] {
      for (int i = 0; i < 50; ++i) mine.push_back(bucket.Reserve());
    });
  }
  for (auto& t : threads) t.join();
  std::vector<nanoseconds> all;
  for (const auto& mine : waits) all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 200u);
  for (size_t k = 0; k < all.size(); ++k) {
    // The k-th token (0-based) overall: free within the burst, then 10 ms apart.
    int64_t want_ms = k < 10 ? 0 : static_cast<int64_t>(k - 9) * 10;
    double got_ms = std::chrono::duration<double, std::milli>(all[k]).count();
    EXPECT_NEAR(got_ms, want_ms, 0.01) << k;
  }
}

}  // namespace
}  // namespace sparkd::kube
