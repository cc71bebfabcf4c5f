// Watches and the Watcher against a real kube-apiserver: events, bookmarks, 410 Gone, a cut
// connection (through a TCP proxy) and an API server failover (a second kube-apiserver on
// the same etcd, whose watch cache starts after the gap, as after a restart).
#include "daemon/kube/watcher.h"

#include <condition_variable>
#include <fstream>
#include <future>

#include "daemon/kube/kube_test_env.h"
#include "daemon/kube/test_proxy.h"

namespace sparkd::kube {
namespace {

using std::chrono::seconds;
using WatcherTest = KubeIntegrationTest;

std::string NameOf(const nlohmann::json& object) { return object["metadata"]["name"]; }

// What a Watcher delivered; tests wait on it with a deadline.
class Recorder : public WatchHandler {
 public:
  void OnList(const ListSnapshot& snapshot) override {
    std::lock_guard lock(mu_);
    lists_.push_back(snapshot);
    cv_.notify_all();
  }
  void OnEvent(const WatchEvent& event) override {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }
  bool WaitForLists(size_t n, seconds deadline = seconds(60)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return lists_.size() >= n; });
  }
  bool WaitForEvent(WatchEventType type, const std::string& name, seconds deadline = seconds(60)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [&] {
      for (const auto& e : events_) {
        if (e.type == type && NameOf(e.object) == name) return true;
      }
      return false;
    });
  }
  std::vector<ListSnapshot> lists() {
    std::lock_guard lock(mu_);
    return lists_;
  }
  std::vector<std::string> Events() {  // "ADDED b", ...
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      out.push_back(std::string(WatchEventTypeName(e.type)) + " " + NameOf(e.object));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ListSnapshot> lists_;
  std::vector<WatchEvent> events_;
};

// Short waits after failures, so a test sees the recovery soon after the network heals.
const RetryPolicy kQuick{.max_attempts = 2,
                         .initial_backoff = std::chrono::milliseconds(100),
                         .max_backoff = std::chrono::milliseconds(500)};
const ClientOptions kQuickClient{.retry = kQuick};

// Runs a Watcher on a thread of its own; stops and joins it however the test ends.
class RunningWatcher {
 public:
  RunningWatcher(Client* client, WatcherOptions options, WatchHandler* handler)
      : watcher_(client, std::move(options), handler),
        run_(std::async(std::launch::async, [this] { return watcher_.Run(); })) {}
  ~RunningWatcher() {
    watcher_.Stop();
    if (run_.valid()) run_.wait();
  }
  Watcher* operator->() { return &watcher_; }
  // Stops it; DEADLINE_EXCEEDED when Run has not returned within `deadline`.
  Status StopWithin(seconds deadline) {
    watcher_.Stop();
    if (run_.wait_for(deadline) != std::future_status::ready) {
      return Status(StatusCode::kDeadlineExceeded, "Run did not return after Stop");
    }
    return run_.get();
  }

 private:
  Watcher watcher_;
  std::future<Status> run_;
};

std::set<std::string> Names(const std::vector<nlohmann::json>& objects) {
  std::set<std::string> out;
  for (const auto& o : objects) out.insert(NameOf(o));
  return out;
}

TEST_F(WatcherTest, WatchSeesAddedModifiedDeletedInOrder) {
  auto listed = admin_->List(kConfigMaps, ns_, {});
  ASSERT_TRUE(listed.ok());
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("c")).ok());
  ASSERT_TRUE(
      admin_->Patch(kConfigMaps, ns_, "c", PatchType::kMerge, {{"data", {{"a", "1"}}}}).ok());
  ASSERT_TRUE(admin_->Delete(kConfigMaps, ns_, "c").ok());
  std::vector<std::string> seen;
  int64_t last = 0;
  Status status = admin_->Watch(
      kConfigMaps, ns_,
      {.label_selector = kTestLabel,
       .resource_version = listed->resource_version,
       .timeout_seconds = 30},
      [&](const WatchEvent& event) {
        if (event.type == WatchEventType::kBookmark) return true;
        seen.push_back(std::string(WatchEventTypeName(event.type)) + " " + NameOf(event.object));
        EXPECT_GT(ResourceVersionOf(event.object), last);
        last = ResourceVersionOf(event.object);
        return event.type != WatchEventType::kDeleted;
      });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED c", "MODIFIED c", "DELETED c"}));
}

// Measured on v1.37: an idle watch gets a BOOKMARK once a minute (and, not reliably, one
// shortly before its timeoutSeconds), carrying the watch cache's resourceVersion, which moves
// with writes the watch does not match. The Watcher resumes from it.
TEST_F(WatcherTest, IdleWatcherMovesItsResourceVersionWithBookmarks) {
  Recorder recorder;
  RunningWatcher watcher(admin_.get(),
                         {.resource = kConfigMaps, .ns = ns_, .label_selector = "never=matches"},
                         &recorder);
  ASSERT_TRUE(recorder.WaitForLists(1));
  int64_t listed = std::stoll(recorder.lists()[0].resource_version);
  auto other = admin_->Create(kConfigMaps, ns_, ConfigMap("unwatched"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(WaitFor([&] { return watcher->stats().bookmarks >= 1; }, seconds(90)));
  EXPECT_GE(std::stoll(watcher->resource_version()), ResourceVersionOf(*other));
  EXPECT_GT(ResourceVersionOf(*other), listed);
  EXPECT_EQ(watcher->stats().events, 0u);
  EXPECT_TRUE(watcher.StopWithin(seconds(3)).ok());
}

TEST_F(WatcherTest, TooOldResourceVersionIsOutOfRange) {
  auto listed = admin_->List(kConfigMaps, ns_, {});
  ASSERT_TRUE(listed.ok());
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("after-the-list")).ok());
  // The harness's API server started on an empty etcd and still holds every configmap event,
  // so even resourceVersion "1" is served there; a server started after the write is not.
  SecondApiServer second(Env("K8S_DIR"), ::testing::TempDir() + "/second-apiserver.log");
  ASSERT_TRUE(second.started()) << second.error();
  KubeConfig config = AdminConfig();
  config.server = "https://127.0.0.1:" + std::to_string(second.port());
  ClientOptions once;
  once.retry.max_attempts = 1;
  auto client = NewTestClient(config, once);
  ASSERT_TRUE(WaitFor([&] { return client->Get(kNamespaces, "", ns_).ok(); }, seconds(90)));
  Status status = client->Watch(
      kConfigMaps, ns_, {.resource_version = listed->resource_version, .timeout_seconds = 10},
      [](const WatchEvent&) { return true; });
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange) << status.ToString();
  EXPECT_NE(status.message().find("too old resource version: " + listed->resource_version),
            std::string::npos)
      << status.message();
  // Measured: HTTP 200, then one ERROR event (code 410, reason Expired).
  RecordProperty("too_old_watch", status.message());
  EXPECT_NE(status.message().find("(an ERROR event)"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("(Expired, HTTP 410)"), std::string::npos) << status.message();
}

TEST_F(WatcherTest, WatcherListsThenWatchesAndStopsPromptly) {
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("before", {{"w", "1"}})).ok());
  Recorder recorder;
  RunningWatcher watcher(admin_.get(),
                         {.resource = kConfigMaps, .ns = ns_, .label_selector = "w=1"}, &recorder);
  ASSERT_TRUE(recorder.WaitForLists(1));
  EXPECT_FALSE(recorder.lists()[0].relisted);
  EXPECT_EQ(Names(recorder.lists()[0].objects), (std::set<std::string>{"before"}));
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("after", {{"w", "1"}})).ok());
  ASSERT_TRUE(
      admin_->Patch(kConfigMaps, ns_, "before", PatchType::kMerge, {{"data", {{"x", "y"}}}}).ok());
  ASSERT_TRUE(admin_->Delete(kConfigMaps, ns_, "before").ok());
  ASSERT_TRUE(recorder.WaitForEvent(WatchEventType::kDeleted, "before"));
  EXPECT_EQ(recorder.Events(),
            (std::vector<std::string>{"ADDED after", "MODIFIED before", "DELETED before"}));
  // The open watch is cut at once, not at its timeoutSeconds (300 s).
  EXPECT_TRUE(watcher.StopWithin(seconds(3)).ok());
  WatcherStats stats = watcher->stats();
  EXPECT_EQ(stats.lists, 1u);
  EXPECT_EQ(stats.relists, 0u);
  EXPECT_EQ(stats.events, 3u);
}

TEST_F(WatcherTest, ClusterWideWatcherSeesEveryNamespace) {
  Recorder recorder;
  RunningWatcher watcher(admin_.get(),
                         {.resource = kConfigMaps, .label_selector = "test-ns=" + ns_}, &recorder);
  ASSERT_TRUE(recorder.WaitForLists(1));
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("x", {{"test-ns", ns_}})).ok());
  EXPECT_TRUE(recorder.WaitForEvent(WatchEventType::kAdded, "x"));
  EXPECT_TRUE(watcher.StopWithin(seconds(3)).ok());
}

TEST_F(WatcherTest, WatcherResumesAfterTheConnectionIsCut) {
  TestProxy proxy(ApiPort());
  KubeConfig config = AdminConfig();
  config.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  auto client = NewTestClient(config, kQuickClient);
  Recorder recorder;
  RunningWatcher watcher(
      client.get(),
      {.resource = kConfigMaps, .ns = ns_, .label_selector = kTestLabel, .backoff = kQuick},
      &recorder);
  ASSERT_TRUE(recorder.WaitForLists(1));
  // An event proves the watch stream is open: the cut breaks it, not its connecting.
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("before-the-cut")).ok());
  ASSERT_TRUE(recorder.WaitForEvent(WatchEventType::kAdded, "before-the-cut"));
  proxy.SetAccepting(false);
  proxy.CutAll();
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("during-the-cut")).ok());
  proxy.SetAccepting(true);
  EXPECT_TRUE(recorder.WaitForEvent(WatchEventType::kAdded, "during-the-cut"));
  EXPECT_TRUE(watcher.StopWithin(seconds(3)).ok());
  WatcherStats stats = watcher->stats();
  EXPECT_GE(stats.resumes, 1u);
  EXPECT_EQ(stats.lists, 1u);  // resumed from its resourceVersion: nothing missed, no re-list
  EXPECT_EQ(stats.relists, 0u);
  EXPECT_EQ(stats.last_error.code(), StatusCode::kUnavailable) << stats.last_error.ToString();
}

TEST_F(WatcherTest, WatcherRelistsAfterAnApiServerFailoverAndNamesWhatWentAway) {
  TestProxy proxy(ApiPort());
  KubeConfig config = AdminConfig();
  config.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  auto client = NewTestClient(config, kQuickClient);
  for (const char* name : {"stays", "goes", "replaced"}) {
    ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap(name)).ok());
  }
  Recorder recorder;
  RunningWatcher watcher(
      client.get(),
      {.resource = kConfigMaps, .ns = ns_, .label_selector = kTestLabel, .backoff = kQuick},
      &recorder);
  ASSERT_TRUE(recorder.WaitForLists(1));
  ASSERT_TRUE(WaitFor([&] { return watcher->stats().watches >= 1; }));

  // The gap: the client reaches no server while objects change.
  proxy.SetAccepting(false);
  proxy.CutAll();
  ASSERT_TRUE(admin_->Delete(kConfigMaps, ns_, "goes").ok());
  ASSERT_TRUE(admin_->Delete(kConfigMaps, ns_, "replaced").ok());
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("replaced", {{"v", "2"}})).ok());
  ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("new")).ok());

  SecondApiServer second(Env("K8S_DIR"), ::testing::TempDir() + "/second-apiserver.log");
  int port = second.port();
  ASSERT_TRUE(second.started()) << second.error();
  KubeConfig direct = AdminConfig();
  direct.server = "https://127.0.0.1:" + std::to_string(port);
  ClientOptions once;
  once.retry.max_attempts = 1;
  auto probe = NewTestClient(direct, once);
  ASSERT_TRUE(WaitFor([&] { return probe->Get(kConfigMaps, ns_, "new").ok(); }, seconds(90)))
      << "the second kube-apiserver did not come up";
  proxy.SetUpstream(port);
  proxy.SetAccepting(true);

  ASSERT_TRUE(recorder.WaitForLists(2, seconds(90)));
  ListSnapshot relist = recorder.lists()[1];
  EXPECT_TRUE(relist.relisted);
  EXPECT_EQ(Names(relist.objects), (std::set<std::string>{"stays", "replaced", "new"}));
  // Told apart by uid: the old "replaced" went away too.
  EXPECT_EQ(Names(relist.gone), (std::set<std::string>{"goes", "replaced"}));
  EXPECT_TRUE(watcher.StopWithin(seconds(3)).ok());
  EXPECT_EQ(watcher->stats().relists, 1u);
}

}  // namespace
}  // namespace sparkd::kube
