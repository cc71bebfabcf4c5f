#include <gtest/gtest.h>

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

TEST(SummarizeExecutorsTest, CountsAndFirstFatalCause) {
  std::vector<ExecutorRecord> records(5);
  auto t0 = std::chrono::system_clock::now();
  for (int i = 0; i < 3; ++i) {
    records[i].executor_id = std::to_string(i);
    records[i].reason = ExitReason::kOomKilled;
    records[i].exit_code = 137;
    records[i].evidence = "container x terminated: reason OOMKilled, exit code 137 (container "
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

TEST(SummarizeExecutorsTest, NoFailureNoCause) {
  std::vector<ExecutorRecord> records(1);
  records[0].reason = ExitReason::kSucceeded;
  JobReport report = SummarizeExecutors(records);
  EXPECT_EQ(report.first_fatal_reason, ExitReason::kUnspecified);
  EXPECT_TRUE(report.first_fatal_cause.empty());
}

}  // namespace
}  // namespace sparkd::classify
