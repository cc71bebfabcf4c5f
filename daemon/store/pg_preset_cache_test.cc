// The preset store's cache of "which version is the latest": used only while a listener hears
// every preset write, forgotten on a write's notification, on this daemon's own writes, and
// whenever the listener's connection drops.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "daemon/core/watch_hub.h"
#include "daemon/store/pg_listener.h"
#include "daemon/store/pg_preset_store.h"
#include "daemon/store/pg_team_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::store {
namespace {

constexpr auto kDeadline = std::chrono::seconds(15);

class FlagListener : public JobListener {
 public:
  void OnJobChanged() override { fired = true; }
  std::atomic<bool> fired{false};
};

class PresetCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    writer_pool_ = db_->NewPool(2);
    reader_pool_ = db_->NewPool(2);
    PgTeamStore teams(writer_pool_.get());
    ASSERT_TRUE(teams.CreateTeam({"blue", {}}).ok());
    writer_ = std::make_unique<PgPresetStore>(writer_pool_.get());
    reader_ = std::make_unique<PgPresetStore>(reader_pool_.get());
    auto conn = PgConnection::Connect(db_->url());
    ASSERT_TRUE(conn.ok());
    sql_ = std::move(*conn);
    ASSERT_TRUE(writer_->Put(Write(0)).ok());
  }

  static PresetWrite Write(int64_t expected) {
    PresetWrite w;
    w.team = "blue";
    w.job_type = "etl";
    w.expected_version = expected;
    w.author = "alice";
    w.at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    w.preset = *ParsePreset("executor: {memory: 2g}");
    return w;
  }

  // A new version written behind every daemon's back: no notification.
  void InsertSilently(int64_t version, bool deleted = false) {
    auto done = sql_->Exec(
        "INSERT INTO presets (team, job_type, version, body, source_yaml, author, created_at,"
        " deleted) SELECT team, job_type, $1, body, source_yaml, 'sql', created_at, $2"
        " FROM presets WHERE team = 'blue' AND job_type = 'etl' AND version = 1",
        {std::to_string(version), deleted ? "true" : "false"});
    ASSERT_TRUE(done.ok()) << done.status().ToString();
  }

  int64_t LatestSeenBy(PgPresetStore& store) {
    auto latest = store.Get("blue", "etl", 0);
    if (!latest.ok()) return latest.status().code() == StatusCode::kNotFound ? 0 : -1;
    return (*latest)->layer.ref.version;
  }

  // Polls until `store` sees `version` as the latest; false after kDeadline.
  bool EventuallySees(PgPresetStore& store, int64_t version) {
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      if (LatestSeenBy(store) == version) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Returns once `listener` hears notifications (it enables the cache before it listens).
  bool WaitUntilListening(WatchHub& hub) {
    auto probe = std::make_shared<FlagListener>();
    hub.Subscribe("probe", probe);
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!probe->fired && std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(sql_->Exec("SELECT pg_notify('sparkd_job_events', 'probe')", {}).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return probe->fired;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> writer_pool_;
  std::unique_ptr<PgPool> reader_pool_;
  std::unique_ptr<PgPresetStore> writer_;  // one daemon replica
  std::unique_ptr<PgPresetStore> reader_;  // another
  std::unique_ptr<PgConnection> sql_;
};

TEST_F(PresetCacheTest, WithoutAListenerEveryReadAsksTheDatabase) {
  EXPECT_EQ(LatestSeenBy(*reader_), 1);
  InsertSilently(2);
  EXPECT_EQ(LatestSeenBy(*reader_), 2);
}

TEST_F(PresetCacheTest, WhileEnabledTheLatestIsRememberedUntilForgotten) {
  reader_->SetLatestCacheEnabled(true);
  EXPECT_EQ(LatestSeenBy(*reader_), 1);
  InsertSilently(2);
  EXPECT_EQ(LatestSeenBy(*reader_), 1);  // cached: no notification came
  reader_->ForgetLatest("blue/etl");
  EXPECT_EQ(LatestSeenBy(*reader_), 2);

  // A missing preset is remembered too, and forgotten the same way.
  reader_->ForgetLatest("blue/etl");
  InsertSilently(3, /*deleted=*/true);
  EXPECT_EQ(LatestSeenBy(*reader_), 0);
  InsertSilently(4);
  EXPECT_EQ(LatestSeenBy(*reader_), 0);
  reader_->ForgetLatest("unreadable payload");  // forgets everything
  EXPECT_EQ(LatestSeenBy(*reader_), 4);

  reader_->SetLatestCacheEnabled(false);
  InsertSilently(5);
  EXPECT_EQ(LatestSeenBy(*reader_), 5);
}

TEST_F(PresetCacheTest, OwnWritesAreSeenAtOnce) {
  writer_->SetLatestCacheEnabled(true);
  EXPECT_EQ(LatestSeenBy(*writer_), 1);
  ASSERT_TRUE(writer_->Put(Write(1)).ok());
  EXPECT_EQ(LatestSeenBy(*writer_), 2);
  ASSERT_TRUE(writer_->Delete(Write(2)).ok());
  EXPECT_EQ(LatestSeenBy(*writer_), 0);
}

TEST_F(PresetCacheTest, AnotherReplicasWriteReachesTheCacheThroughTheListener) {
  WatchHub hub;
  hub.Start();
  PgListener listener(db_->url(), &hub, reader_.get());
  listener.Start();
  ASSERT_TRUE(WaitUntilListening(hub));

  EXPECT_EQ(LatestSeenBy(*reader_), 1);
  InsertSilently(2);
  EXPECT_EQ(LatestSeenBy(*reader_), 1);  // the cache is in use
  ASSERT_TRUE(writer_->Put(Write(2)).ok());
  EXPECT_TRUE(EventuallySees(*reader_, 3));

  // The listener's connection dies: notifications may be lost, so the cache is forgotten and
  // off until the listener is back.
  auto killed = sql_->Exec(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
      " WHERE datname = current_database() AND query LIKE 'LISTEN%'",
      {});
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_EQ(killed->Get(0, 0), "1");
  InsertSilently(4);
  ASSERT_TRUE(WaitUntilListening(hub));  // reconnected, cache on again
  EXPECT_EQ(LatestSeenBy(*reader_), 4);
  InsertSilently(5);
  EXPECT_EQ(LatestSeenBy(*reader_), 4);  // and in use
  listener.Stop();
  hub.Stop();
}

}  // namespace
}  // namespace sparkd::store
