#include "daemon/core/pod_observation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/core/preset/yaml_json.h"

namespace sparkd {
namespace {

using nlohmann::json;
using Phase = Observation::Phase;
using std::chrono::seconds;

json Sample(const std::string& file) {
  std::ifstream in(std::string(SPARKD_SAMPLES_DIR) + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  if (file.ends_with(".json")) return json::parse(text.str());
  auto parsed = YamlToJson(text.str());
  EXPECT_TRUE(parsed.ok()) << file;
  return parsed.ok() ? *parsed : json();
}

TimePoint At(const char* rfc3339) { return *ParseKubeTime(rfc3339); }

const TimePoint kLongAfter = At("2030-01-01T00:00:00Z");

// A pod of job j1 as the API server serves it; `status` is merged in.
json Pod(const std::string& role, json status, json metadata = json::object()) {
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", role == "driver" ? "sparkd-j1-driver" : "sparkd-j1-exec-3"},
        {"namespace", "spark"},
        {"uid", "u-1"},
        {"creationTimestamp", "2026-03-02T01:00:00Z"},
        {"labels",
         {{"spark-role", role}, {"sparkd.io/job-id", "j1"}, {"spark-app-selector", "spark-a1"}}}}},
      {"spec",
       {{"nodeName", "node-a"},
        {"containers",
         json::array({{{"name", "spark-kubernetes-" + role}}, {{"name", "istio-proxy"}}})}}},
      {"status", std::move(status)}};
  if (role == "executor") pod["metadata"]["labels"]["spark-exec-id"] = "3";
  pod["metadata"].update(metadata);
  return pod;
}

json Container(const std::string& name, json state) {
  return {{"name", name}, {"state", std::move(state)}};
}

json Terminated(int code, const std::string& reason) {
  return {{"terminated",
           {{"exitCode", code},
            {"reason", reason},
            {"startedAt", "2026-03-02T01:01:00Z"},
            {"finishedAt", "2026-03-02T01:05:00Z"}}}};
}

const json kRunning = {{"running", {{"startedAt", "2026-03-02T01:01:00Z"}}}};

TEST(PodObservationTest, DriverSamplesGiveTheJobsEnd) {
  struct Case {
    const char* file;
    Phase phase;
    ExitReason reason;
    std::optional<int> exit_code;
    const char* message_part;
  };
  const Case cases[] = {
      {"06-driver-image-pull.json", Phase::kFailed, ExitReason::kImagePullFailed, std::nullopt,
       "cannot pull its image for more than 2m00s"},
      {"07-driver-unschedulable.json", Phase::kFailed, ExitReason::kUnschedulable, std::nullopt,
       "0/6 nodes are available: 2 node(s) had untolerated taint"},
      {"08-driver-succeeded.yaml", Phase::kExited, ExitReason::kSucceeded, 0, ""},
      {"09-driver-missing-secret.json", Phase::kFailed, ExitReason::kConfigError, std::nullopt,
       "secret \"warehouse-s3-credentials\" not found"},
      {"10-driver-crash-loop.json", Phase::kFailed, ExitReason::kCrashLoop, 101, "keeps crashing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    Observation o = ObserveDriverPod(Sample(c.file), {}, kLongAfter, StuckDeadlines{});
    EXPECT_EQ(o.phase, c.phase);
    ASSERT_TRUE(o.driver.has_value());
    EXPECT_EQ(o.driver->executor_id, "driver");
    EXPECT_EQ(o.driver->reason, c.reason) << o.driver->evidence;
    EXPECT_EQ(o.driver->exit_code, c.exit_code);
    EXPECT_NE(o.message.find(c.message_part), std::string::npos) << o.message;
    EXPECT_EQ(o.spark_app_id, "spark-5f0c9a2e41d84f7b9c1d2e3f4a5b6c7d");
  }
}

TEST(PodObservationTest, ExecutorSamplesAreRecordedWithTheClassifiersReason) {
  struct Case {
    const char* file;
    ExitReason reason;
    int exit_code;
  };
  const Case cases[] = {
      {"01-executor-oomkilled.json", ExitReason::kOomKilled, 137},
      {"02-executor-jvm-oom-behind-sidecar.yaml", ExitReason::kJvmOom, 52},
      {"03-executor-evicted-memory.json", ExitReason::kEvicted, 137},
      {"04-executor-node-lost-taint.json", ExitReason::kNodeLost, 143},
      {"05-executor-preempted.json", ExitReason::kPreempted, 143},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    json pod = Sample(c.file);
    auto record = ExecutorPodEnd(pod, {}, kLongAfter, StuckDeadlines{});
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->reason, c.reason) << record->evidence;
    EXPECT_EQ(record->exit_code, c.exit_code);
    EXPECT_EQ(record->executor_id, pod["metadata"]["labels"].value("spark-exec-id", ""));
    EXPECT_EQ(record->pod_name, pod["metadata"]["name"]);
    EXPECT_EQ(record->host, pod["spec"].value("nodeName", ""));
    EXPECT_TRUE(record->ended_at.has_value());
    EXPECT_FALSE(record->advice.empty());
  }
}

// Pods as kwok ended them on the test control plane (saved by tests/k8s/test_k8s_native.py),
// named <role>-...-<REASON>.json: each is recorded with that reason.
TEST(PodObservationTest, PodsKwokEndedAreRecordedWithTheirReasons) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SPARKD_SOURCE_DIR) +
                                                               "/tests/fixtures/kwok-pods")) {
    std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    std::ifstream in(entry.path());
    json pod = json::parse(in);
    auto want = ParseExitReason(name.substr(name.rfind('-') + 1));
    ASSERT_TRUE(want.has_value());
    std::optional<ExecutorRecord> record;
    if (name.starts_with("driver-")) {
      record = ObserveDriverPod(pod, {}, kLongAfter, StuckDeadlines{}).driver;
    } else {
      record = ExecutorPodEnd(pod, {}, kLongAfter, StuckDeadlines{});
    }
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->reason, *want) << record->evidence;
    EXPECT_EQ(record->pod_name, pod["metadata"]["name"]);
    ++seen;
  }
  EXPECT_GE(seen, 15);
}

TEST(PodObservationTest, StuckDriverFailsOnlyPastItsDeadline) {
  json pod = Sample("07-driver-unschedulable.json");  // unschedulable since 01:14:09
  StuckDeadlines deadlines;
  deadlines.unschedulable = seconds(300);
  Observation early = ObserveDriverPod(pod, {}, At("2026-03-02T01:19:00Z"), deadlines);
  EXPECT_EQ(early.phase, Phase::kStarting);
  EXPECT_NE(early.message.find("unschedulable"), std::string::npos) << early.message;
  EXPECT_FALSE(early.driver.has_value());
  Observation late = ObserveDriverPod(pod, {}, At("2026-03-02T01:19:09Z"), deadlines);
  EXPECT_EQ(late.phase, Phase::kFailed);
  EXPECT_NE(late.message.find("unschedulable for more than 5m00s"), std::string::npos);

  json invalid = Pod(
      "driver", {{"phase", "Pending"},
                 {"containerStatuses",
                  json::array({Container(
                      "spark-kubernetes-driver",
                      {{"waiting", {{"reason", "InvalidImageName"}, {"message", "bad ref"}}}})})}});
  Observation at_once = ObserveDriverPod(invalid, {}, At("2026-03-02T01:00:01Z"), deadlines);
  EXPECT_EQ(at_once.phase, Phase::kFailed);
  EXPECT_EQ(at_once.driver->reason, ExitReason::kImagePullFailed);
}

TEST(PodObservationTest, DriverStateFollowsTheSparkContainerNotTheSidecar) {
  struct Case {
    const char* name;
    json status;
    Phase phase;
    std::optional<int> exit_code;
  };
  const Case cases[] = {
      {"pending", {{"phase", "Pending"}}, Phase::kStarting, std::nullopt},
      {"running",
       {{"phase", "Running"},
        {"containerStatuses", json::array({Container("istio-proxy", kRunning),
                                           Container("spark-kubernetes-driver", kRunning)})}},
       Phase::kRunning,
       std::nullopt},
      {"sidecar ended, driver runs",
       {{"phase", "Running"},
        {"containerStatuses", json::array({Container("istio-proxy", Terminated(0, "Completed")),
                                           Container("spark-kubernetes-driver", kRunning)})}},
       Phase::kRunning,
       std::nullopt},
      {"driver failed, sidecar keeps the pod running",
       {{"phase", "Running"},
        {"containerStatuses",
         json::array({Container("istio-proxy", kRunning),
                      Container("spark-kubernetes-driver", Terminated(1, "Error"))})}},
       Phase::kExited,
       1},
      {"failed",
       {{"phase", "Failed"},
        {"containerStatuses",
         json::array({Container("istio-proxy", Terminated(0, "Completed")),
                      Container("spark-kubernetes-driver", Terminated(52, "Error"))})}},
       Phase::kExited,
       52},
      {"succeeded",
       {{"phase", "Succeeded"},
        {"containerStatuses",
         json::array({Container("spark-kubernetes-driver", Terminated(0, "Completed"))})}},
       Phase::kExited,
       0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Observation o = ObserveDriverPod(Pod("driver", c.status), {}, kLongAfter, StuckDeadlines{});
    EXPECT_EQ(o.phase, c.phase);
    EXPECT_EQ(o.exit_code, c.exit_code);
    EXPECT_EQ(o.spark_app_id, "spark-a1");
  }
}

TEST(PodObservationTest, VanishedDriverIsLostAndSaysWhy) {
  json running =
      Pod("driver",
          {{"phase", "Running"},
           {"containerStatuses", json::array({Container("spark-kubernetes-driver", kRunning)})}});
  classify::PodContext vanished;
  vanished.vanished = true;
  Observation deleted = ObserveDriverPod(running, vanished, kLongAfter, StuckDeadlines{});
  EXPECT_EQ(deleted.phase, Phase::kLost);
  EXPECT_EQ(deleted.driver->reason, ExitReason::kUnknown);
  EXPECT_NE(deleted.message.find("sparkd-j1-driver was deleted"), std::string::npos);

  classify::PodContext node_gone = vanished;
  node_gone.node_gone = true;
  Observation lost = ObserveDriverPod(running, node_gone, kLongAfter, StuckDeadlines{});
  EXPECT_EQ(lost.phase, Phase::kLost);
  EXPECT_EQ(lost.driver->reason, ExitReason::kNodeLost);
  EXPECT_NE(lost.message.find("with its node node-a"), std::string::npos);

  // Deleted while it ran: SIGTERM, and the pod is Failed before it goes.
  json stopped =
      Pod("driver",
          {{"phase", "Failed"},
           {"containerStatuses",
            json::array({Container("spark-kubernetes-driver", Terminated(143, "Error"))})}},
          {{"deletionTimestamp", "2026-03-02T01:04:00Z"}});
  Observation sigterm = ObserveDriverPod(stopped, {}, kLongAfter, StuckDeadlines{});
  EXPECT_EQ(sigterm.phase, Phase::kExited);
  EXPECT_EQ(sigterm.exit_code, 143);
  EXPECT_EQ(sigterm.driver->reason, ExitReason::kUnknown) << sigterm.driver->evidence;
  EXPECT_NE(sigterm.message.find("sparkd-j1-driver was deleted"), std::string::npos);

  // Deleted after it succeeded: the app's end stands.
  json done =
      Pod("driver",
          {{"phase", "Succeeded"},
           {"containerStatuses",
            json::array({Container("spark-kubernetes-driver", Terminated(0, "Completed"))})}});
  Observation after = ObserveDriverPod(done, vanished, kLongAfter, StuckDeadlines{});
  EXPECT_EQ(after.phase, Phase::kExited);
  EXPECT_EQ(after.exit_code, 0);
}

TEST(PodObservationTest, ExecutorEndsAndWhatTheyMean) {
  const json kDeleting = {{"deletionTimestamp", "2026-03-02T01:04:00Z"}};
  struct Case {
    const char* name;
    json status;
    json metadata;
    classify::PodContext context;
    std::optional<ExitReason> reason;  // nullopt: not ended
  };
  classify::PodContext vanished_with_node;
  vanished_with_node.vanished = true;
  vanished_with_node.node_gone = true;
  classify::PodContext failed_mount;
  failed_mount.events = {{"Warning", "FailedMount",
                          "MountVolume.SetUp failed for volume \"creds\" : secret \"db\" not "
                          "found"}};
  const Case cases[] = {
      {"running",
       {{"phase", "Running"},
        {"containerStatuses", json::array({Container("spark-kubernetes-executor", kRunning)})}},
       json::object(),
       {},
       std::nullopt},
      {"removed by dynamic allocation: deleted while running",
       {{"phase", "Running"},
        {"containerStatuses", json::array({Container("spark-kubernetes-executor", kRunning)})}},
       kDeleting,
       {},
       ExitReason::kKilledByDriver},
      {"SIGTERM after the delete",
       {{"phase", "Failed"},
        {"containerStatuses",
         json::array({Container("spark-kubernetes-executor", Terminated(143, "Error"))})}},
       kDeleting,
       {},
       ExitReason::kKilledByDriver},
      {"143 without a delete is the app's",
       {{"phase", "Failed"},
        {"containerStatuses",
         json::array({Container("spark-kubernetes-executor", Terminated(143, "Error"))})}},
       json::object(),
       {},
       ExitReason::kAppError},
      {"deleted after the app succeeded",
       {{"phase", "Succeeded"},
        {"containerStatuses",
         json::array({Container("spark-kubernetes-executor", Terminated(0, "Completed"))})}},
       kDeleting,
       {},
       ExitReason::kSucceeded},
      {"exit 52 behind a sidecar",
       {{"phase", "Running"},
        {"containerStatuses",
         json::array({Container("istio-proxy", kRunning),
                      Container("spark-kubernetes-executor", Terminated(52, "Error"))})}},
       json::object(),
       {},
       ExitReason::kJvmOom},
      {"vanished with its node",
       {{"phase", "Running"},
        {"containerStatuses", json::array({Container("spark-kubernetes-executor", kRunning)})}},
       json::object(),
       vanished_with_node,
       ExitReason::kNodeLost},
      {"pending pod cancelled by the driver",
       {{"phase", "Pending"}},
       kDeleting,
       {},
       ExitReason::kKilledByDriver},
      {"missing secret volume",
       {{"phase", "Pending"},
        {"startTime", "2026-03-02T01:00:01Z"},
        {"containerStatuses",
         json::array({Container("spark-kubernetes-executor",
                                {{"waiting", {{"reason", "ContainerCreating"}}}})})}},
       json::object(),
       failed_mount,
       ExitReason::kConfigError},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto record = ExecutorPodEnd(Pod("executor", c.status, c.metadata), c.context, kLongAfter, {});
    ASSERT_EQ(record.has_value(), c.reason.has_value());
    if (!record) continue;
    EXPECT_EQ(record->reason, *c.reason) << record->evidence;
    EXPECT_EQ(record->executor_id, "3");
    EXPECT_EQ(record->host, "node-a");
  }
}

TEST(PodObservationTest, PendingExecutorIsRecordedOnlyOnceStuckPastTheDeadline) {
  json pod = Pod("executor",
                 {{"phase", "Pending"},
                  {"conditions", json::array({{{"type", "PodScheduled"},
                                               {"status", "False"},
                                               {"reason", "Unschedulable"},
                                               {"message", "0/2 nodes"},
                                               {"lastTransitionTime", "2026-03-02T01:00:00Z"}}})}});
  EXPECT_FALSE(ExecutorPodEnd(pod, {}, At("2026-03-02T01:04:00Z"), {}).has_value());
  EXPECT_TRUE(WaitingToStart(pod));
  auto record = ExecutorPodEnd(pod, {}, At("2026-03-02T01:05:00Z"), {});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->reason, ExitReason::kUnschedulable);
}

TEST(PodObservationTest, IdentifiesSparkdPods) {
  PodIdentity executor = IdentifyPod(Pod("executor", json::object()));
  EXPECT_EQ(executor.job_id, "j1");
  EXPECT_EQ(executor.role, PodRole::kExecutor);
  EXPECT_EQ(executor.executor_id, "3");
  EXPECT_EQ(executor.namespace_name, "spark");
  EXPECT_EQ(executor.node, "node-a");
  PodIdentity other = IdentifyPod(json{{"metadata", {{"name", "web-1"}}}});
  EXPECT_EQ(other.job_id, "");
  EXPECT_EQ(other.role, PodRole::kOther);
}

TEST(PodObservationTest, ParsesKubernetesTimes) {
  using std::chrono::microseconds;
  const TimePoint base = TimePoint(seconds(1772413205));  // 2026-03-02T01:00:05Z
  EXPECT_EQ(ParseKubeTime("2026-03-02T01:00:05Z"), base);
  EXPECT_EQ(ParseKubeTime("2026-03-02T01:00:05.250000Z"), base + microseconds(250000));
  EXPECT_EQ(ParseKubeTime("2026-03-02T01:00:05.123456789Z"), base + microseconds(123456));
  EXPECT_EQ(ParseKubeTime("2026-03-02T02:00:05+01:00"), base);
  EXPECT_FALSE(ParseKubeTime("").has_value());
  EXPECT_FALSE(ParseKubeTime("yesterday").has_value());
  EXPECT_FALSE(ParseKubeTime("2026-03-02T01:00:05").has_value());
}

}  // namespace
}  // namespace sparkd
