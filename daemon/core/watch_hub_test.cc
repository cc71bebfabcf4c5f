#include "daemon/core/watch_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>

namespace sparkd {
namespace {

class CountingListener : public JobListener {
 public:
  void OnJobChanged() override {
    std::lock_guard lock(mu);
    ++calls;
    cv.notify_all();
  }
  bool WaitForCalls(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(5), [&] { return calls >= n; });
  }
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
};

TEST(WatchHubTest, NotifiesSubscribersOfThatJobOnly) {
  WatchHub hub;
  hub.Start();
  auto a = std::make_shared<CountingListener>();
  auto b = std::make_shared<CountingListener>();
  hub.Subscribe("job-a", a);
  hub.Subscribe("job-b", b);
  hub.Notify("job-a");
  ASSERT_TRUE(a->WaitForCalls(1));
  hub.Notify("job-a");
  ASSERT_TRUE(a->WaitForCalls(2));
  hub.Notify("job-b");
  ASSERT_TRUE(b->WaitForCalls(1));
  std::lock_guard lock(a->mu);
  EXPECT_EQ(a->calls, 2);
}

TEST(WatchHubTest, NotifyAllReachesEveryone) {
  WatchHub hub;
  hub.Start();
  auto a = std::make_shared<CountingListener>();
  auto b = std::make_shared<CountingListener>();
  hub.Subscribe("job-a", a);
  hub.Subscribe("job-b", b);
  hub.NotifyAll();
  EXPECT_TRUE(a->WaitForCalls(1));
  EXPECT_TRUE(b->WaitForCalls(1));
}

TEST(WatchHubTest, DroppedListenersAreForgotten) {
  WatchHub hub;
  hub.Start();
  auto kept = std::make_shared<CountingListener>();
  {
    auto dropped = std::make_shared<CountingListener>();
    hub.Subscribe("job", dropped);
  }
  hub.Subscribe("job", kept);
  hub.Notify("job");
  EXPECT_TRUE(kept->WaitForCalls(1));
}

}  // namespace
}  // namespace sparkd
