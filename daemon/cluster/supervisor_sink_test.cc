// The supervisor's event seam (ObservationSink) against a real PostgreSQL: pushed observations
// move jobs, executor records fill while the job runs, and replayed, late or concurrent calls
// change nothing. The backend is a real LocalBackend with nothing launched (it only answers
// Observe with NOT_FOUND and has no evidence), so every write comes from the sink calls.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "daemon/cluster/local_backend.h"
#include "daemon/core/supervisor.h"
#include "daemon/store/pg_job_store.h"
#include "daemon/store/test_database.h"

namespace sparkd {
namespace {

namespace fs = std::filesystem;
using Phase = Observation::Phase;

class SupervisorSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = store::TestDatabase::Create();
    pool_ = db_->NewPool(8);
    clock_ = NewSystemClock();
    store_ = std::make_unique<store::PgJobStore>(pool_.get(), clock_.get());
    data_dir_ = fs::temp_directory_path() / ("sparkd-sink-test-" + std::to_string(getpid()));
    cluster::LocalBackendOptions local;
    local.spark_home = "/nonexistent-spark";
    local.data_dir = data_dir_.string();
    backend_ = std::make_unique<cluster::LocalBackend>(local);
    supervisor_ =
        std::make_unique<Supervisor>(store_.get(), backend_.get(), SupervisorOptions{"node-a"});
  }
  void TearDown() override { fs::remove_all(data_dir_); }

  // A job launched by `owner`: claimed and SUBMITTED, as Launch leaves it.
  std::string Submitted(const std::string& id, const std::string& owner = "node-a") {
    Job job;
    job.id = id;
    job.team = "blue";
    job.idempotency_key = "key-" + id;
    job.backend = "other";  // never claimed by the supervisor's own loop
    job.request.file = "app.jar";
    job.request.class_name = "Main";
    job.created_at = clock_->Now();
    EXPECT_TRUE(store_->CreateJob(job, "fingerprint-" + id).ok());
    auto claimed = store_->ClaimQueuedJob("other", owner);
    EXPECT_TRUE(claimed.ok() && claimed->has_value());
    JobUpdate update;
    update.backend_ref = "spark/sparkd-" + id + "-driver";
    EXPECT_TRUE(store_->Transition(id, JobState::kSubmitted, update, "launched").ok());
    return id;
  }

  Job Get(const std::string& id) {
    auto job = store_->GetJob(id, std::nullopt);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Job{};
  }

  static const ExecutorRecord* Find(const Job& job, const std::string& executor_id) {
    for (const ExecutorRecord& x : job.executors) {
      if (x.executor_id == executor_id) return &x;
    }
    return nullptr;
  }

  static Observation Running() {
    Observation o;
    o.phase = Phase::kRunning;
    o.spark_app_id = "spark-a1";
    o.spark_ui_url = "http://ui.example/a1";
    return o;
  }

  static ExecutorRecord Executor(const std::string& id, ExitReason reason, int code) {
    ExecutorRecord x;
    x.executor_id = id;
    x.pod_name = "sparkd-j-exec-" + id;
    x.host = "node-b";
    x.exit_code = code;
    x.reason = reason;
    x.evidence = "container terminated: exit code " + std::to_string(code);
    x.ended_at = std::chrono::system_clock::now();
    return x;
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::unique_ptr<store::PgPool> pool_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<store::PgJobStore> store_;
  fs::path data_dir_;
  std::unique_ptr<cluster::LocalBackend> backend_;
  std::unique_ptr<Supervisor> supervisor_;
};

TEST_F(SupervisorSinkTest, PushedObservationsMoveTheJobAndReplaysChangeNothing) {
  std::string id = Submitted("j1");
  supervisor_->RunOnce();  // learns which jobs it owns
  supervisor_->OnObservation(id, Running());
  Job running = Get(id);
  EXPECT_EQ(running.state, JobState::kRunning);
  EXPECT_EQ(running.spark_app_id, "spark-a1");
  EXPECT_EQ(running.spark_ui_url, "http://ui.example/a1");
  for (int i = 0; i < 3; ++i) supervisor_->OnObservation(id, Running());
  Observation starting;  // a late, older event: the job never moves back
  starting.phase = Phase::kStarting;
  supervisor_->OnObservation(id, starting);
  EXPECT_EQ(Get(id).version, running.version);
  EXPECT_EQ(Get(id).state, JobState::kRunning);
}

TEST_F(SupervisorSinkTest, ExecutorsAreRecordedWhileTheJobRunsAndKeptAtTheEnd) {
  std::string id = Submitted("j2");
  supervisor_->RunOnce();
  supervisor_->OnObservation(id, Running());
  supervisor_->OnExecutorEnded(id, Executor("1", ExitReason::kOomKilled, 137));
  supervisor_->OnExecutorEnded(id, Executor("1", ExitReason::kOomKilled, 137));  // replay
  supervisor_->OnExecutorEnded(id, Executor("2", ExitReason::kKilledByDriver, 143));
  Job mid = Get(id);
  ASSERT_EQ(mid.executors.size(), 2u);
  ASSERT_NE(Find(mid, "1"), nullptr);
  EXPECT_EQ(Find(mid, "1")->reason, ExitReason::kOomKilled);
  EXPECT_EQ(Find(mid, "1")->host, "node-b");
  EXPECT_EQ(mid.state, JobState::kRunning);

  Observation failed;
  failed.phase = Phase::kExited;
  failed.exit_code = 1;
  ExecutorRecord driver;
  driver.pod_name = "sparkd-j2-driver";
  driver.reason = ExitReason::kAppError;
  driver.exit_code = 1;
  driver.evidence = "container spark-kubernetes-driver terminated: reason Error, exit code 1";
  failed.driver = driver;
  supervisor_->OnObservation(id, failed);
  Job ended = Get(id);
  EXPECT_EQ(ended.state, JobState::kFailed);
  EXPECT_EQ(ended.driver_exit_code, 1);
  EXPECT_EQ(ended.report.first_fatal_reason, ExitReason::kOomKilled);
  EXPECT_NE(ended.state_message.find("1 executor OOM_KILLED"), std::string::npos)
      << ended.state_message;
  ASSERT_EQ(ended.executors.size(), 3u);
  ASSERT_NE(Find(ended, "driver"), nullptr);
  EXPECT_EQ(Find(ended, "driver")->pod_name, "sparkd-j2-driver");
  EXPECT_EQ(Find(ended, "driver")->reason, ExitReason::kAppError);

  // After the end: a replay of the end, a rewrite of a recorded executor and the driver's
  // own pods being deleted change nothing; an executor seen only now is still added.
  supervisor_->OnObservation(id, failed);
  supervisor_->OnExecutorEnded(id, Executor("1", ExitReason::kKilledByDriver, 143));
  supervisor_->OnExecutorEnded(id, Executor("3", ExitReason::kKilledByDriver, 143));
  Job after = Get(id);
  EXPECT_EQ(after.version, ended.version);
  ASSERT_EQ(after.executors.size(), 4u);
  EXPECT_EQ(Find(after, "1")->reason, ExitReason::kOomKilled);
  ASSERT_NE(Find(after, "3"), nullptr);
}

TEST_F(SupervisorSinkTest, FailedObservationFailsTheJobWithTheBackendsWords) {
  std::string id = Submitted("j3");
  supervisor_->RunOnce();
  Observation stuck;
  stuck.phase = Phase::kFailed;
  stuck.message =
      "driver pod spark/sparkd-j3-driver unschedulable for more than 5m00s: PodScheduled "
      "False: Unschedulable: 0/3 nodes are available: 3 Insufficient memory.";
  ExecutorRecord driver;
  driver.reason = ExitReason::kUnschedulable;
  driver.evidence = "PodScheduled False: Unschedulable: 0/3 nodes are available";
  stuck.driver = driver;
  supervisor_->OnObservation(id, stuck);
  Job job = Get(id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_NE(job.state_message.find("0/3 nodes are available"), std::string::npos);
  ASSERT_NE(Find(job, "driver"), nullptr);
  EXPECT_EQ(Find(job, "driver")->reason, ExitReason::kUnschedulable);
}

TEST_F(SupervisorSinkTest, ResyncFailsOnlyCoveredJobsWhoseApplicationIsGone) {
  std::string gone = Submitted("j4");
  std::string present = Submitted("j5");
  std::string elsewhere = Submitted("j6");
  supervisor_->RunOnce();
  supervisor_->OnResync({present}, [&](const Job& job) { return job.id != elsewhere; });
  EXPECT_EQ(Get(gone).state, JobState::kFailed);
  EXPECT_NE(Get(gone).state_message.find("lost: "), std::string::npos);
  EXPECT_EQ(Get(present).state, JobState::kSubmitted);
  EXPECT_EQ(Get(elsewhere).state, JobState::kSubmitted);
}

TEST_F(SupervisorSinkTest, JobsOfAnotherDaemonAreLeftAlone) {
  std::string theirs = Submitted("j7", "node-b");
  supervisor_->RunOnce();
  supervisor_->OnObservation(theirs, Running());
  supervisor_->OnExecutorEnded(theirs, Executor("1", ExitReason::kOomKilled, 137));
  supervisor_->OnResync({}, [](const Job&) { return true; });
  Job job = Get(theirs);
  EXPECT_EQ(job.state, JobState::kSubmitted);
  EXPECT_TRUE(job.executors.empty());
}

TEST_F(SupervisorSinkTest, ConcurrentDeliveriesRecordEachTransitionOnce) {
  std::string id = Submitted("j8");
  supervisor_->RunOnce();
  Observation done;
  done.phase = Phase::kExited;
  done.exit_code = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      supervisor_->OnObservation(id, Running());
      supervisor_->OnExecutorEnded(id, Executor(std::to_string(t % 3), ExitReason::kSucceeded, 0));
      supervisor_->OnObservation(id, done);
    });
  }
  for (auto& t : threads) t.join();
  Job job = Get(id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  int running = 0, succeeded = 0;
  for (const JobEvent& e : job.events) {
    running += e.to == JobState::kRunning;
    succeeded += e.to == JobState::kSucceeded;
  }
  EXPECT_LE(running, 1);
  EXPECT_EQ(succeeded, 1);
  EXPECT_EQ(job.executors.size(), 4u);  // the driver and executors 0, 1, 2
}

// Launches: the backend's Launch fails at once here (no Spark), which is enough to count
// claims; a real launch path runs in tests/e2e and tests/k8s.
class SupervisorLaunchTest : public SupervisorSinkTest {
 protected:
  void Queue(int count) {
    for (int i = 0; i < count; ++i) {
      Job job;
      job.id = "q" + std::to_string(i);
      job.team = "blue";
      job.idempotency_key = "key-" + job.id;
      job.backend = "local";
      job.request.file = "app.jar";
      job.request.class_name = "Main";
      job.created_at = clock_->Now();
      ASSERT_TRUE(store_->CreateJob(job, "fingerprint-" + job.id).ok());
    }
  }

  std::unique_ptr<Supervisor> SupervisorAs(const std::string& owner, int max_running) {
    SupervisorOptions options{owner};
    options.max_running_jobs = max_running;
    options.launch_concurrency = 4;
    return std::make_unique<Supervisor>(store_.get(), backend_.get(), options);
  }

  // How many times each job was claimed (moved to SUBMITTING); absent: still QUEUED.
  std::map<std::string, int> Claims(int count) {
    std::map<std::string, int> claims;
    for (int i = 0; i < count; ++i) {
      Job job = Get("q" + std::to_string(i));
      for (const JobEvent& e : job.events) {
        if (e.to == JobState::kSubmitting) ++claims[job.id];
      }
    }
    return claims;
  }
};

TEST_F(SupervisorLaunchTest, TwoDaemonsLaunchingConcurrentlyClaimEveryQueuedJobOnce) {
  constexpr int kJobs = 40;
  Queue(kJobs);
  auto a = SupervisorAs("node-a", 100);
  auto b = SupervisorAs("node-b", 100);
  std::thread other([&] { b->RunOnce(); });
  a->RunOnce();
  other.join();
  std::map<std::string, int> claims = Claims(kJobs);
  EXPECT_EQ(claims.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, times] : claims) EXPECT_EQ(times, 1) << id;
}

TEST_F(SupervisorLaunchTest, ConcurrentLaunchesStayWithinTheRunningLimit) {
  Queue(10);
  auto supervisor = SupervisorAs("node-a", 3);
  supervisor->RunOnce();
  EXPECT_EQ(Claims(10).size(), 3u);
  EXPECT_EQ(Get("q0").state, JobState::kFailed);  // what the failed launch leaves
}

}  // namespace
}  // namespace sparkd
