#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "daemon/core/classify/classify.h"

namespace sparkd::classify {
namespace {

Diagnosis Diag(std::string id, ExitReason reason, int strength, std::optional<int> code,
               std::string evidence = "e") {
  Diagnosis d;
  d.subject = Subject::kExecutor;
  d.id = std::move(id);
  d.reason = reason;
  d.strength = strength;
  d.exit_code = code;
  d.evidence = std::move(evidence);
  d.advice = AdviceFor(reason);
  return d;
}

TEST(ApplyDiagnosesTest, StrongestEvidenceWinsAndUnknownExecutorsAreAdded) {
  std::vector<ExecutorRecord> records(1);
  records[0].executor_id = "1";
  records[0].exit_code = 137;
  std::vector<Diagnosis> ds = {
      Diag("1", ExitReason::kAppError, 55, 137),
      Diag("1", ExitReason::kOomKilled, 95, 137, "container memory limit 4505Mi"),
      Diag("1", ExitReason::kHeartbeatTimeout, 60, std::nullopt),
      Diag("2", ExitReason::kJvmOom, 75, std::nullopt),
  };
  Diagnosis driver = Diag("app-driver", ExitReason::kAppError, 90, 1);
  driver.subject = Subject::kDriver;
  ds.push_back(driver);
  ApplyDiagnoses(ds, &records);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].reason, ExitReason::kOomKilled);
  EXPECT_EQ(records[0].exit_code, 137);
  EXPECT_EQ(records[1].executor_id, "2");
  EXPECT_EQ(records[1].reason, ExitReason::kJvmOom);
  EXPECT_FALSE(records[1].advice.empty());
}

TEST(ApplyDiagnosesTest, MatchesOnPodName) {
  std::vector<ExecutorRecord> records(1);
  records[0].executor_id = "3";
  records[0].pod_name = "job-exec-3";
  Diagnosis d = Diag("job-exec-3", ExitReason::kEvicted, 40, std::nullopt);
  ApplyDiagnoses({d}, &records);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].reason, ExitReason::kEvicted);
}

TEST(ApplyDiagnosesTest, RecordsClassifiedFromPodsYieldOnlyToStrongerEvidence) {
  struct Case {
    ExitReason held;
    Diagnosis log;
    ExitReason want;
  };
  const Case cases[] = {
      // The pod said OOMKilled; a log's guess from exit 137 does not undo it.
      {ExitReason::kOomKilled, Diag("1", ExitReason::kAppError, 55, 137), ExitReason::kOomKilled},
      {ExitReason::kNodeLost, Diag("1", ExitReason::kHeartbeatTimeout, 60, std::nullopt),
       ExitReason::kNodeLost},
      // The driver deleted the pod because its heartbeats stopped: the log says why.
      {ExitReason::kKilledByDriver, Diag("1", ExitReason::kHeartbeatTimeout, 60, std::nullopt),
       ExitReason::kHeartbeatTimeout},
      {ExitReason::kAppError, Diag("1", ExitReason::kJvmOom, 75, 1), ExitReason::kJvmOom},
      {ExitReason::kUnknown, Diag("1", ExitReason::kAppError, 55, 1), ExitReason::kAppError},
      {ExitReason::kEvicted, Diag("1", ExitReason::kOomKilled, 95, 137), ExitReason::kOomKilled},
  };
  for (const Case& c : cases) {
    std::vector<ExecutorRecord> records(1);
    records[0].executor_id = "1";
    records[0].reason = c.held;
    ApplyDiagnoses({c.log}, &records);
    EXPECT_EQ(records[0].reason, c.want)
        << ExitReasonName(c.held) << " + " << ExitReasonName(c.log.reason);
  }
}

TEST(SummarizeExecutorsTest, CountsAndFirstFatalCause) {
  std::vector<ExecutorRecord> records(5);
  auto t0 = std::chrono::system_clock::now();
  for (int i = 0; i < 3; ++i) {
    records[i].executor_id = std::to_string(i);
    records[i].reason = ExitReason::kOomKilled;
    records[i].exit_code = 137;
    records[i].evidence =
        "container x terminated: reason OOMKilled, exit code 137 (container "
        "memory limit 4505Mi)";
    records[i].ended_at = t0 + std::chrono::seconds(10 + i);
  }
  records[3].reason = ExitReason::kKilledByDriver;
  records[3].ended_at = t0;
  records[4].reason = ExitReason::kUnspecified;
  JobReport report = SummarizeExecutors(records);
  EXPECT_EQ(report.executors_by_reason[ExitReason::kOomKilled], 3);
  EXPECT_EQ(report.executors_by_reason[ExitReason::kKilledByDriver], 1);
  EXPECT_EQ(report.executors_by_reason.count(ExitReason::kUnspecified), 0u);
  EXPECT_EQ(report.first_fatal_reason, ExitReason::kOomKilled);
  EXPECT_EQ(report.first_fatal_cause,
            "3 executors OOM_KILLED (container memory limit 4.4Gi); raise "
            "spark.executor.memoryOverhead");
}

TEST(SummarizeExecutorsTest, NamesTheDriverApartFromTheExecutors) {
  auto driver = [](ExitReason reason, std::optional<int> exit_code) {
    ExecutorRecord r;
    r.executor_id = "driver";
    r.reason = reason;
    r.exit_code = exit_code;
    return r;
  };
  auto executor = [](const std::string& id, ExitReason reason) {
    ExecutorRecord r;
    r.executor_id = id;
    r.reason = reason;
    return r;
  };
  struct Case {
    std::string name;
    std::vector<ExecutorRecord> records;
    std::string cause;
    std::map<ExitReason, int> executors;
  } cases[] = {
      {"driver alone",
       {driver(ExitReason::kAppError, 3)},
       "driver APP_ERROR (exit code 3); read the first exception in the log",
       {}},
      {"driver with executors that ended well",
       {driver(ExitReason::kAppError, 1), executor("1", ExitReason::kKilledByDriver),
        executor("2", ExitReason::kKilledByDriver)},
       "driver APP_ERROR (exit code 1); read the first exception in the log",
       {{ExitReason::kKilledByDriver, 2}}},
      {"driver heap",
       {driver(ExitReason::kJvmOom, 52)},
       "driver JVM_OOM (exit code 52); raise spark.driver.memory or collect less",
       {}},
      {"driver without exit code",
       {driver(ExitReason::kAppError, std::nullopt)},
       "driver APP_ERROR; read the first exception in the log",
       {}},
      // An executor's failure explains the driver's: it stays the cause.
      {"executor failure first",
       {driver(ExitReason::kAppError, 1), executor("4", ExitReason::kJvmOom)},
       "1 executor JVM_OOM; raise spark.executor.memory or repartition",
       {{ExitReason::kJvmOom, 1}}},
      {"driver succeeded",
       {driver(ExitReason::kSucceeded, 0), executor("1", ExitReason::kKilledByDriver)},
       "",
       {{ExitReason::kKilledByDriver, 1}}},
  };
  auto t0 = std::chrono::system_clock::now();
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (auto& r : c.records) {
      if (r.executor_id != "driver") r.ended_at = t0;
    }
    JobReport report = SummarizeExecutors(c.records);
    EXPECT_EQ(report.first_fatal_cause, c.cause);
    EXPECT_EQ(report.executors_by_reason, c.executors);
  }
}

TEST(SummarizeExecutorsTest, NoFailureNoCause) {
  std::vector<ExecutorRecord> records(1);
  records[0].reason = ExitReason::kSucceeded;
  JobReport report = SummarizeExecutors(records);
  EXPECT_EQ(report.first_fatal_reason, ExitReason::kUnspecified);
  EXPECT_TRUE(report.first_fatal_cause.empty());
}

}  // namespace
}  // namespace sparkd::classify
