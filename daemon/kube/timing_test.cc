#include "daemon/kube/timing.h"

#include <gtest/gtest.h>

#include <thread>

namespace sparkd::kube {
namespace {

TEST(StopSignalTest, StopEndsAWaitAndRunsTheWakers) {
  StopSignal stop;
  int woken = 0;
  int id = stop.AddWaker([&] { ++woken; });
  EXPECT_TRUE(stop.WaitFor(std::chrono::milliseconds(1)));  // not stopped: the whole wait
  std::thread stopper([&] { stop.Stop(); });
  // Would wait an hour; returns once Stop runs.
  EXPECT_FALSE(stop.WaitFor(std::chrono::hours(1)));
  stopper.join();
  EXPECT_TRUE(stop.stopped());
  EXPECT_EQ(woken, 1);
  stop.Stop();  // idempotent: the waker does not run again
  EXPECT_EQ(woken, 1);
  stop.RemoveWaker(id);
  EXPECT_FALSE(SteadyClock()->SleepFor(std::chrono::hours(1), &stop));
}

}  // namespace
}  // namespace sparkd::kube
