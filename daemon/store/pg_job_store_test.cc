#include "daemon/store/pg_job_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "daemon/core/job_json.h"
#include "daemon/store/migrations.h"
#include "daemon/store/test_database.h"

namespace sparkd::store {
namespace {

class FixedClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return now; }
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
};

class PgJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    pool_ = db_->NewPool(8);
    store_ = std::make_unique<PgJobStore>(pool_.get(), &clock_);
  }

  Job NewJob(const std::string& id, const std::string& key, const std::string& team = "blue") {
    Job job;
    job.id = id;
    job.team = team;
    job.idempotency_key = key;
    job.backend = "local";
    job.request.file = "app.jar";
    job.request.class_name = "Main";
    job.request.executor.memory = "2g";
    job.request.conf["spark.sql.shuffle.partitions"] = "8";
    job.created_at = clock_.Now();
    clock_.now += std::chrono::seconds(1);
    return job;
  }

  // As JobService::Submit creates: with the fingerprint of the request.
  StatusOr<CreateJobResult> Create(const Job& job) {
    return store_->CreateJob(job, RequestFingerprint(job.request).value());
  }

  FixedClock clock_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgJobStore> store_;
};

TEST(MigrationsTest, EmbeddedSequenceIsContiguous) {
  EXPECT_TRUE(CheckMigrationSequence(EmbeddedMigrations()).ok());
  EXPECT_FALSE(CheckMigrationSequence({{1, "0001_a", ""}, {3, "0003_b", ""}}).ok());
  EXPECT_FALSE(CheckMigrationSequence({{1, "0001_a", ""}, {1, "0001_b", ""}}).ok());
}

TEST_F(PgJobStoreTest, MigrateIsIdempotentUnderConcurrency) {
  // The template was migrated already: every further run, even concurrent ones, applies none.
  std::vector<int> applied_counts(4, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto conn = PgConnection::Connect(db_->url());
      ASSERT_TRUE(conn.ok());
      auto applied = Migrate(**conn);
      ASSERT_TRUE(applied.ok()) << applied.status().ToString();
      applied_counts[i] = static_cast<int>(applied->size());
    });
  }
  for (auto& t : threads) t.join();
  for (int count : applied_counts) EXPECT_EQ(count, 0);
}

TEST_F(PgJobStoreTest, CreateThenGetRoundTripsTheRequest) {
  auto created = Create(NewJob("j1", "dag/task/run/0"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->created);
  auto job = store_->GetJob("j1", "blue");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->state, JobState::kQueued);
  EXPECT_EQ(job->request, NewJob("j1", "k").request);
  ASSERT_EQ(job->events.size(), 1u);
  EXPECT_EQ(job->events[0].to, JobState::kQueued);
  EXPECT_EQ(job->events[0].seq, 1);
}

TEST_F(PgJobStoreTest, OtherTeamGetsNotFound) {
  ASSERT_TRUE(Create(NewJob("j1", "k")).ok());
  EXPECT_EQ(store_->GetJob("j1", "green").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetJob("j1", std::nullopt).ok());
}

TEST_F(PgJobStoreTest, SameKeyReturnsTheExistingJob) {
  ASSERT_TRUE(Create(NewJob("j1", "k")).ok());
  auto again = Create(NewJob("j2", "k"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, "j1");
  auto other_team = Create(NewJob("j3", "k", "green"));
  ASSERT_TRUE(other_team.ok());
  EXPECT_TRUE(other_team->created);
}

TEST_F(PgJobStoreTest, TheSameKeySaysWhetherTheRequestWasTheSame) {
  Job first = NewJob("j1", "k");
  ASSERT_TRUE(Create(first).ok());
  // Another id and time, the same request: a retry.
  auto retry = Create(NewJob("j2", "k"));
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->created);
  EXPECT_TRUE(retry->same_request);
  EXPECT_EQ(retry->job.id, "j1");

  Job changed = NewJob("j3", "k");
  changed.request.args = {"--day", "2026-01-02"};
  auto conflict = Create(changed);
  ASSERT_TRUE(conflict.ok());
  EXPECT_FALSE(conflict->created);
  EXPECT_FALSE(conflict->same_request);
  EXPECT_EQ(conflict->job.id, "j1");

  auto found = store_->FindByKey("blue", "k", RequestFingerprint(first.request).value());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE((*found)->same_request);
  EXPECT_EQ((*found)->job.id, "j1");
  found = store_->FindByKey("blue", "k", RequestFingerprint(changed.request).value());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE((*found)->same_request);
  found = store_->FindByKey("blue", "unused", "{}");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  // A job stored before digests were kept matches any request: it keeps reattaching.
  auto conn = PgConnection::Connect(db_->url());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->ExecScript("UPDATE jobs SET request_sha256 = NULL").ok());
  auto old = Create(changed);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->same_request);
}

TEST_F(PgJobStoreTest, ListJobsReturnsBoundedSummariesAndPagesBySize) {
  // Jobs no request validation would let in: every text huge, in 3-byte characters.
  std::string huge;
  for (int i = 0; i < 4000; ++i) huge += "\u20ac";  // €
  constexpr int kJobs = 240;
  for (int i = 0; i < kJobs; ++i) {
    Job job = NewJob("j" + std::to_string(1000 + i), huge.substr(0, 900) + std::to_string(i));
    job.state_message = huge;
    job.request.name = huge;
    job.request.file = huge;
    job.request.job_type = huge;
    if (i < 4) job.request.conf["spark.big"] = std::string(1 << 20, 'x');
    ASSERT_TRUE(Create(job).ok()) << i;
  }
  const std::string cut = huge.substr(0, kSummaryTextChars * 3) + "\u2026";
  JobQuery query;
  query.page_size = 500;
  std::set<std::string> seen;
  int pages = 0;
  do {
    auto page = store_->ListJobs(query);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    size_t bytes = 0;
    for (const auto& job : page->jobs) {
      EXPECT_TRUE(seen.insert(job.id).second) << job.id << " listed twice";
      EXPECT_EQ(job.state_message, cut);
      EXPECT_EQ(job.name, cut);
      EXPECT_EQ(job.file, cut);
      EXPECT_EQ(job.job_type, cut);
      bytes += job.state_message.size() + job.name.size() + job.file.size() + job.job_type.size() +
               job.idempotency_key.size() + kSummaryOverheadBytes;
    }
    EXPECT_LE(bytes, kMaxJobPageBytes);
    query.page_token = page->next_page_token;
  } while (!query.page_token.empty() && pages < 10);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kJobs));
  EXPECT_GE(pages, 2) << "the page was not bounded by size";

  query = JobQuery{};
  query.page_size = 3;
  auto three = store_->ListJobs(query);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->jobs.size(), 3u);
  EXPECT_FALSE(three->next_page_token.empty());
}

TEST_F(PgJobStoreTest, RacingSubmitsWithOneKeyCreateOneJob) {
  constexpr int kThreads = 8;
  std::vector<std::string> ids(kThreads);
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Job job = NewJob("race" + std::to_string(i), "same-key");
      auto result = Create(job);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      if (result->created) ++created;
      ids[i] = result->job.id;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
}

TEST_F(PgJobStoreTest, TransitionsFollowTheStateMachineAndAppendEvents) {
  ASSERT_TRUE(Create(NewJob("j1", "k")).ok());
  auto claimed = store_->ClaimQueuedJob("local", "node-a");
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  JobUpdate launched;
  launched.backend_ref = "pid 42";
  auto submitted = store_->Transition("j1", JobState::kSubmitted, launched, "spark-submit started");
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_EQ(submitted->backend_ref, "pid 42");
  EXPECT_EQ(submitted->version, 3);

  auto back = store_->Transition("j1", JobState::kQueued, {}, "nope");
  EXPECT_EQ(back.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(back.status().message().find("SUBMITTED"), std::string::npos);

  JobUpdate done;
  done.driver_exit_code = 0;
  done.set_finished = true;
  JobReport report;
  report.executors_by_reason[ExitReason::kJvmOom] = 2;
  report.first_fatal_reason = ExitReason::kJvmOom;
  done.report = report;
  auto succeeded = store_->Transition("j1", JobState::kSucceeded, done, "exit 0");
  ASSERT_TRUE(succeeded.ok()) << succeeded.status().ToString();
  auto job = store_->GetJob("j1", std::nullopt);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kSucceeded);
  EXPECT_EQ(job->driver_exit_code, 0);
  EXPECT_TRUE(job->finished_at.has_value());
  EXPECT_EQ(job->report.executors_by_reason[ExitReason::kJvmOom], 2);
  std::vector<JobState> path;
  for (const auto& e : job->events) path.push_back(e.to);
  EXPECT_EQ(path, (std::vector<JobState>{JobState::kQueued, JobState::kSubmitting,
                                         JobState::kSubmitted, JobState::kSucceeded}));
  EXPECT_EQ(store_->Transition("j1", JobState::kCancelled, {}, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Transition("missing", JobState::kCancelled, {}, "").status().code(),
            StatusCode::kNotFound);
  auto since = store_->EventsSince("j1", 2);
  ASSERT_TRUE(since.ok());
  ASSERT_EQ(since->size(), 2u);
  EXPECT_EQ((*since)[0].from, JobState::kSubmitting);
}

TEST_F(PgJobStoreTest, EventLogIsAppendOnly) {
  ASSERT_TRUE(Create(NewJob("j1", "k")).ok());
  auto conn = PgConnection::Connect(db_->url());
  ASSERT_TRUE(conn.ok());
  EXPECT_FALSE((*conn)->ExecScript("UPDATE job_events SET message = 'rewritten'").ok());
  EXPECT_FALSE((*conn)->ExecScript("DELETE FROM job_events").ok());
}

TEST_F(PgJobStoreTest, EachQueuedJobIsClaimedOnce) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Create(NewJob("j" + std::to_string(i), "k" + std::to_string(i))).ok());
  }
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (true) {
        auto job = store_->ClaimQueuedJob("local", "node-" + std::to_string(t));
        ASSERT_TRUE(job.ok()) << job.status().ToString();
        if (!job->has_value()) return;
        std::lock_guard lock(mu);
        claimed.insert((*job)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), 20u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 20u);
}

TEST_F(PgJobStoreTest, ListJobsFiltersAndPages) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(Create(NewJob("j" + std::to_string(i), "k" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(Create(NewJob("g1", "k", "green")).ok());
  ASSERT_TRUE(store_->Transition("j0", JobState::kCancelled, {}, "").ok());
  JobQuery query;
  query.team = "blue";
  query.page_size = 3;
  std::vector<std::string> seen;
  do {
    auto page = store_->ListJobs(query);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& j : page->jobs) seen.push_back(j.id);
    query.page_token = page->next_page_token;
  } while (!query.page_token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"j6", "j5", "j4", "j3", "j2", "j1", "j0"}));

  JobQuery cancelled;
  cancelled.states = {JobState::kCancelled};
  auto page = store_->ListJobs(cancelled);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].id, "j0");

  for (const std::string& token :
       std::vector<std::string>{"garbage", "12x_j1", "_j1", "12_", "-5_j1",
                                "123456789012345678901_j1", std::string("12_j\0", 5)}) {
    JobQuery bad;
    bad.page_token = token;
    auto refused = store_->ListJobs(bad);
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << token;
  }
}

TEST_F(PgJobStoreTest, ExecutorsUpsertByJobAndId) {
  ASSERT_TRUE(Create(NewJob("j1", "k")).ok());
  ExecutorRecord a;
  a.executor_id = "1";
  a.host = "127.0.0.1";
  a.exit_code = 52;
  a.evidence = "Command exited with code 52";
  ExecutorRecord b = a;
  b.executor_id = "10";
  b.exit_code.reset();
  ASSERT_TRUE(store_->SaveExecutors("j1", {a, b}).ok());
  a.reason = ExitReason::kJvmOom;
  a.advice = "raise spark.executor.memory";
  ASSERT_TRUE(store_->SaveExecutors("j1", {a}).ok());
  auto job = store_->GetJob("j1", std::nullopt);
  ASSERT_TRUE(job.ok());
  ASSERT_EQ(job->executors.size(), 2u);
  EXPECT_EQ(job->executors[0].executor_id, "1");
  EXPECT_EQ(job->executors[0].reason, ExitReason::kJvmOom);
  EXPECT_EQ(job->executors[0].exit_code, 52);
  EXPECT_EQ(job->executors[1].executor_id, "10");
  EXPECT_FALSE(job->executors[1].exit_code.has_value());
}

}  // namespace
}  // namespace sparkd::store
