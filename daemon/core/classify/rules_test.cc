// Table-driven cases for each rule of issue 3, in the input shapes real users paste.
#include <gtest/gtest.h>

#include <string>

#include "daemon/core/classify/classify.h"
#include "daemon/core/classify/facts.h"

namespace sparkd::classify {
namespace {

struct Case {
  const char* name;
  std::string input;
  std::string id;  // subject id to look at; "" = first diagnosis
  const char* reason;
  int exit_code;  // -1 = none
};

std::string Pod(const std::string& containers, const std::string& status_extra = "",
                const std::string& meta_extra = "") {
  return R"({"kind":"Pod","metadata":{"name":"job-exec-7","labels":{"spark-role":"executor",)"
         R"("spark-exec-id":"7"})" +
         meta_extra + R"(},"status":{"phase":"Failed",)" + status_extra +
         R"("containerStatuses":[)" + containers + "]}}";
}

std::string Terminated(const std::string& name, int code, const std::string& reason) {
  return R"({"name":")" + name + R"(","state":{"terminated":{"exitCode":)" + std::to_string(code) +
         R"(,"reason":")" + reason + R"("}}})";
}

const Case kCases[] = {
    {"sidecar exit code ignored",
     Pod(Terminated("istio-proxy", 0, "Completed") + "," +
         Terminated("spark-kubernetes-executor", 137, "OOMKilled")),
     "7", "OOM_KILLED", 137},
    {"sidecar first, unknown main name",
     Pod(Terminated("fluent-bit", 0, "Completed") + "," + Terminated("main", 1, "Error")), "7",
     "APP_ERROR", 1},
    {"jvm oom 52", Pod(Terminated("spark-kubernetes-executor", 52, "Error")), "7", "JVM_OOM", 52},
    {"bare 137 is a container OOM", Pod(Terminated("spark-kubernetes-executor", 137, "Error")), "7",
     "OOM_KILLED", 137},
    {"evicted wins over exit code",
     Pod(Terminated("spark-kubernetes-executor", 1, "Error"),
         R"("reason":"Evicted","message":"The node was low on resource: ephemeral-storage.",)"),
     "7", "EVICTED", 1},
    {"deleted pod with SIGTERM is the framework",
     Pod(Terminated("spark-kubernetes-executor", 143, "Error"), "",
         R"(,"deletionTimestamp":"2026-01-01T00:00:00Z")"),
     "7", "KILLED_BY_DRIVER", 143},
    {"driver pod deleted after success",
     R"({"kind":"Pod","metadata":{"name":"app-driver","deletionTimestamp":"2026-01-01T00:00:00Z",)"
     R"("labels":{"spark-role":"driver"}},"status":{"phase":"Succeeded","containerStatuses":[)" +
         Terminated("spark-kubernetes-driver", 0, "Completed") + "]}}",
     "app-driver", "SUCCEEDED", 0},
    {"143 without a delete is an app error",
     Pod(Terminated("spark-kubernetes-executor", 143, "Error")), "7", "APP_ERROR", 143},
    {"node shutdown",
     Pod(Terminated("spark-kubernetes-executor", 143, "Error"),
         R"("reason":"Terminated","message":"Pod was terminated in response to imminent node shutdown.",)"),
     "7", "NODE_LOST", 143},
    {"older preemption reason",
     Pod(Terminated("spark-kubernetes-executor", 143, "Error"),
         R"("conditions":[{"type":"DisruptionTarget","status":"True","reason":"PreemptionByKubeScheduler"}],)"),
     "7", "PREEMPTED", 143},
    {"truncated pod json",
     Pod(Terminated("spark-kubernetes-executor", 137, "OOMKilled") + "," +
         Terminated("other", 0, "Completed"))
         .substr(0, 260),
     "7", "OOM_KILLED", 137},
    {"OnOutOfMemoryError kill -9 then 137",
     "24/01/02 10:00:00 WARN TaskSetManager: Lost task 1.0 in stage 2.0 (TID 9) (10.0.0.5 "
     "executor 3): java.lang.OutOfMemoryError: Java heap space\n"
     "24/01/02 10:00:05 ERROR TaskSchedulerImpl: Lost executor 3 on 10.0.0.5: \n"
     "The executor with id 3 exited with exit code 137(SIGKILL, possible container OOM).\n",
     "3", "JVM_OOM", 137},
    {"decommission after spot interruption",
     "24/01/02 10:00:00 INFO KubernetesClusterSchedulerBackend: Decommission executors: 5\n"
     "24/01/02 10:00:09 ERROR TaskSchedulerImpl: Lost executor 5 on 10.0.0.9: Executor "
     "decommission: spot instance interruption notice\n",
     "5", "NODE_LOST", -1},
    {"decommission the driver started (a scale-down), logged as an ERROR",
     "22/05/28 01:25:28 INFO KubernetesClusterSchedulerBackend: Decommission executors: 8\n"
     "22/05/28 01:25:28 INFO KubernetesClusterSchedulerBackend: Notify executor 8 to "
     "decommissioning.\n"
     "22/05/28 01:25:29 ERROR TaskSchedulerImpl: Lost executor 8 on 100.103.40.13: Executor "
     "decommission.\n",
     "8", "KILLED_BY_DRIVER", -1},
    {"dynalloc deletion",
     "24/01/02 10:00:00 INFO ExecutorAllocationManager: Executors 8 removed due to idle timeout.\n"
     "24/01/02 10:00:02 ERROR TaskSchedulerImpl: Lost executor 8 on 10.0.0.9: The executor with "
     "id 8 was deleted by a user or the framework.\n",
     "8", "KILLED_BY_DRIVER", -1},
    {"dynalloc decommission is not a loss",
     "24/01/02 10:00:00 INFO ExecutorAllocationManager: Executors 8 removed due to idle timeout.\n"
     "24/01/02 10:00:02 INFO TaskSchedulerImpl: Lost executor 8 on 10.0.0.9: Executor "
     "decommission.\n",
     "8", "KILLED_BY_DRIVER", -1},
    {"successful driver pod yaml",
     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app-driver\n  labels:\n    spark-role: "
     "driver\nstatus:\n  phase: Succeeded\n  containerStatuses:\n  - name: "
     "spark-kubernetes-driver\n    state:\n      terminated:\n        exitCode: 0\n        "
     "reason: Completed\n",
     "app-driver", "SUCCEEDED", 0},
    {"windows line endings and kubectl timestamps",
     "2024-01-02T10:00:05.123456789Z 24/01/02 10:00:05 ERROR TaskSchedulerImpl: Lost executor 2 "
     "on 10.0.0.5: \r\n2024-01-02T10:00:05.123456789Z The executor with id 2 exited with exit "
     "code 52(JVM OOM).\r\n",
     "2", "JVM_OOM", 52},
    {"airflow prefix on every line",
     "[2024-01-02, 10:00:05 UTC] {spark_submit.py:521} INFO - 24/01/02 10:00:05 ERROR "
     "TaskSchedulerImpl: Lost executor 2 on 10.0.0.5:\n"
     "[2024-01-02, 10:00:05 UTC] {spark_submit.py:521} INFO - The executor with id 2 exited "
     "with exit code 137(SIGKILL, possible container OOM).\n"
     "[2024-01-02, 10:00:05 UTC] {spark_submit.py:521} INFO - \t container name: "
     "spark-kubernetes-executor\n"
     "[2024-01-02, 10:00:05 UTC] {spark_submit.py:521} INFO - \t exit code: 137\n"
     "[2024-01-02, 10:00:05 UTC] {spark_submit.py:521} INFO - \t termination reason: "
     "OOMKilled\n",
     "2", "OOM_KILLED", 137},
    {"spark reports the sidecar's code, statuses show the executor's",
     "ERROR TaskSchedulerImpl: Lost executor 6 on 10.0.0.5:\nThe executor with id 6 exited with "
     "exit code 0(success).\nThe API gave the following container statuses:\n\t container name: "
     "istio-proxy\n\t exit code: 0\n\t termination reason: Completed\n\t container name: "
     "spark-kubernetes-executor\n\t exit code: 52\n\t termination reason: Error\n",
     "6", "JVM_OOM", 52},
    {"truncated paste mid-paragraph",
     "26/03/02 01:27:52 ERROR TaskSchedulerImpl: Lost executor 4 on 10.42.1.19:\nThe executor "
     "with id 4 exited with exit code 13",
     "4", "APP_ERROR", 13},
    {"spark 2.4 fabric8 evicted",
     "19/05/01 10:00:00 ERROR TaskSchedulerImpl: Lost executor 1 on 10.1.1.1: The executor with "
     "id 1 exited with exit code 137.\nThe API gave the following brief reason: Evicted\nThe API "
     "gave the following message: The node was low on resource: memory.\n",
     "1", "EVICTED", 137},
    {"standalone local-cluster event log",
     R"({"Event":"SparkListenerExecutorRemoved","Timestamp":1,"Executor ID":"0","Removed Reason":"Command exited with code 52"})",
     "0", "JVM_OOM", 52},
    {"standalone driver log line",
     "24/01/02 10:00:00 INFO StandaloneSchedulerBackend: Executor app-20240102100000-0000/1 "
     "removed: Command exited with code 137\n",
     "1", "OOM_KILLED", 137},
    {"worker log line",
     "24/01/02 10:00:00 INFO Worker: Executor app-20240102100000-0000/2 finished with state "
     "EXITED message Command exited with code 1 exitStatus 1\n",
     "2", "APP_ERROR", 1},
    {"event log executor lost task",
     R"({"Event":"SparkListenerTaskEnd","Task End Reason":{"Reason":"ExecutorLostFailure","Executor ID":"4","Exit Caused By App":true,"Loss Reason":"Executor heartbeat timed out after 130000 ms"},"Task Info":{"Executor ID":"4"}})",
     "4", "HEARTBEAT_TIMEOUT", -1},
    {"yarn memory limit",
     "WARN TaskSetManager: Lost task 0.0 in stage 1.0 (TID 1, host, executor 9): "
     "ExecutorLostFailure (executor 9 exited caused by one of the running tasks) Reason: "
     "Container killed by YARN for exceeding memory limits. 11.0 GB of 11 GB physical memory "
     "used.\n",
     "9", "OOM_KILLED", -1},
    {"driver heap oom",
     "24/01/02 10:00:00 INFO DAGScheduler: Job 3 finished\nException in thread \"main\" "
     "java.lang.OutOfMemoryError: Java heap space\n",
     "", "JVM_OOM", -1},
    {"get pods without header, with namespace-less rows",
     "job-exec-1   0/1   OOMKilled   0   5m\njob-exec-2   0/1   ExitCode:143   0   5m\n",
     "job-exec-1", "OOM_KILLED", -1},
    {"describe crash loop",
     "Name:         app-driver\nNamespace:    x\nStatus:       Running\nContainers:\n  "
     "spark-kubernetes-driver:\n    State:          Waiting\n      Reason:       "
     "CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n      Exit "
     "Code:    1\n",
     "app-driver", "CRASH_LOOP", 1},
    {"describe unschedulable",
     "Name:         app-driver\nNamespace:    x\nStatus:       Pending\nEvents:\n  Type     "
     "Reason            Age   From               Message\n  ----     ------            ----  "
     "----               -------\n  Warning  FailedScheduling  2m    default-scheduler  0/3 "
     "nodes are available: 3 Insufficient memory.\n",
     "app-driver", "UNSCHEDULABLE", -1},
    {"no evidence at all", "hello\nworld\n", "", "UNKNOWN", -1},
};

TEST(RulesTest, Table) {
  for (const Case& c : kCases) {
    std::vector<Diagnosis> ds = DiagnoseText(c.input, "case");
    ASSERT_FALSE(ds.empty()) << c.name;
    const Diagnosis* d = &ds.front();
    for (const Diagnosis& x : ds) {
      if (!c.id.empty() && (x.id == c.id || x.pod_name == c.id)) d = &x;
    }
    if (!c.id.empty()) {
      EXPECT_TRUE(d->id == c.id || d->pod_name == c.id) << c.name;
    }
    EXPECT_EQ(ExitReasonName(d->reason), c.reason) << c.name << ": " << d->evidence;
    EXPECT_EQ(d->exit_code.value_or(-1), c.exit_code) << c.name << ": " << d->evidence;
  }
}

TEST(RulesTest, StreamingMatchesWholeText) {
  std::string log =
      "26/03/02 01:27:52 ERROR TaskSchedulerImpl: Lost executor 4 on 10.42.1.19:\n"
      "The executor with id 4 exited with exit code 52(JVM OOM).\n";
  LogClassifier classifier("x");
  // Byte-at-a-time chunks must give the same answer as one call.
  for (char ch : log) classifier.AddChunk(std::string_view(&ch, 1));
  std::vector<Diagnosis> ds = classifier.Finish();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].reason, ExitReason::kJvmOom);
  EXPECT_EQ(ds[0].exit_code, 52);
}

TEST(RulesTest, BinaryInputIsNotText) {
  EXPECT_TRUE(WhyNotText(std::string("\x1f\x8b\x08\x00", 4)).has_value());
  EXPECT_TRUE(WhyNotText(std::string("abc\0def", 7)).has_value());
  EXPECT_FALSE(WhyNotText("plain text\n").has_value());
}

// Found by the fuzzers: a header's NAME column past the end of a shorter row was read out of
// bounds (ASan; std::bad_alloc in a release `sparkd diagnose`).
TEST(RulesTest, GetPodsRowsShorterThanTheHeaderAreSkipped) {
  std::vector<Facts> pods = ParseGetPods(
      "NAME STATUS AGE NAME\n"
      "app-exec-1 OOMKilled\n"
      "NAME READY STATUS RESTARTS AGE\n"
      "app-exec-2 0/1 Error 0 1m\n");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].pod_name, "app-exec-2");
  EXPECT_EQ(pods[0].status_word, "Error");
}

// Found by the fuzzers: yaml-cpp 0.7 never returns from LoadAll when a ',' follows a
// document's root or stands in its place (these 5 bytes; `--- {}, "x": 1`; a pod YAML behind
// ",c-id:"). The parse stops at the first document that consumes nothing.
TEST(RulesTest, YamlWithACommaWhereNoNodeCanGoEndsTheParse) {
  EXPECT_TRUE(ParsePodObjects(std::string("\x2c\x8e\x8e\x2c\x8e"), true).empty());
  EXPECT_TRUE(ParsePodObjects("--- ,\nstatus:\n  phase: Failed\n", true).empty());
  EXPECT_TRUE(ParsePodObjects("--- {}, \"x\": 1\n  conditions:\n    - t\n", true).empty());
  EXPECT_TRUE(ParsePodObjects("# pasted\n  ,c-id: \"5\"\nspec:\n  nodeName: x\n", true).empty());
  std::vector<Facts> pods = ParsePodObjects(
      "kind: Pod\nmetadata:\n  name: app-exec-3\nstatus:\n  phase: Failed\n"
      "---\nkind: Pod\nmetadata:\n  name: app-exec-4\n",
      true);
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[0].pod_name, "app-exec-3");
  EXPECT_EQ(pods[1].pod_name, "app-exec-4");
}

// An alias is read as null, not expanded: a few lines of anchors cannot become a huge tree.
TEST(RulesTest, YamlAliasesAreNotExpanded) {
  std::vector<Facts> pods = ParsePodObjects(
      "kind: Pod\nmetadata:\n  name: &n app-exec-5\n  labels: {a: *n}\nstatus:\n  reason: *n\n",
      true);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].pod_name, "app-exec-5");
  EXPECT_TRUE(pods[0].pod_reason.empty());
}

TEST(RulesTest, YamlWithoutAnyPodKeyIsNotParsed) {
  EXPECT_TRUE(ParsePodObjects("just: some\nother: mapping\n", true).empty());
}

TEST(RulesTest, DiagnoseExecutorEnd) {
  Diagnosis d = DiagnoseExecutorEnd("3", 52, "Command exited with code 52");
  EXPECT_EQ(d.reason, ExitReason::kJvmOom);
  d = DiagnoseExecutorEnd("3", std::nullopt, "Executor killed by driver.");
  EXPECT_EQ(d.reason, ExitReason::kKilledByDriver);
  d = DiagnoseExecutorEnd("3", std::nullopt, "Remote RPC client disassociated.");
  EXPECT_EQ(d.reason, ExitReason::kUnknown);
  EXPECT_NE(d.evidence.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace sparkd::classify
