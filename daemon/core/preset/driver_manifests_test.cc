#include "daemon/core/preset/driver_manifests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "daemon/core/preset/driver_manifests_testing.h"
#include "daemon/core/preset/validate.h"

namespace sparkd {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_jobs::PiJob;
using testing_jobs::PythonJob;
using testing_jobs::Settings;

DriverManifests Render(const DriverJob& job, NativeBackendSettings settings = Settings()) {
  StatusOr<DriverManifests> m = RenderDriverManifests(job, settings);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : DriverManifests{};
}

const json& Container(const DriverManifests& m) { return m.pod["spec"]["containers"].back(); }

std::vector<std::string> EnvNames(const DriverManifests& m) {
  std::vector<std::string> names;
  for (const json& env : Container(m)["env"]) names.push_back(env["name"]);
  return names;
}

const json& Dependent(const DriverManifests& m, std::string_view kind, size_t nth = 0) {
  for (const DriverObject& d : m.dependents) {
    if (d.object["kind"] == kind && nth-- == 0) return d.object;
  }
  static const json kNone;
  return kNone;
}

struct MemoryCase {
  std::string name;
  bool python;
  std::function<void(JobSpec&)> set;
  std::string memory;         // request = limit
  std::string factor_passed;  // spark.kubernetes.memoryOverheadFactor in spark.properties
};

TEST(DriverManifestsTest, MemoryIsHeapPlusOverheadWithSparksFloorAndFactors) {
  const MemoryCase cases[] = {
      {"default heap: 1g + 384 floor", false, [](JobSpec&) {}, "1408Mi", "0.1"},
      {"small heap gets the 384Mi floor", false, [](JobSpec& s) { s.driver.memory = "300m"; },
       "684Mi", "0.1"},
      {"4g: 10% truncated", false, [](JobSpec& s) { s.driver.memory = "4g"; }, "4505Mi", "0.1"},
      {"8g: 10%", false, [](JobSpec& s) { s.driver.memory = "8g"; }, "9011Mi", "0.1"},
      {"bare number is MiB", false, [](JobSpec& s) { s.driver.memory = "1500"; }, "1884Mi", "0.1"},
      {"explicit overhead wins", false,
       [](JobSpec& s) {
         s.driver.memory = "2g";
         s.driver.memory_overhead = "300m";
       },
       "2348Mi", "0.1"},
      {"explicit overhead below the floor stays", false,
       [](JobSpec& s) {
         s.driver.memory = "2g";
         s.driver.memory_overhead = "100m";
       },
       "2148Mi", "0.1"},
      {"driver factor", false,
       [](JobSpec& s) {
         s.driver.memory = "4g";
         s.driver.memory_overhead_factor = 0.2;
       },
       "4915Mi", "0.1"},
      {"PySpark: 40%", true, [](JobSpec& s) { s.driver.memory = "2g"; }, "2867Mi", "0.4"},
      {"PySpark small heap: floor", true, [](JobSpec& s) { s.driver.memory = "512m"; }, "896Mi",
       "0.4"},
      {"PySpark with the deprecated shared factor", true,
       [](JobSpec& s) {
         s.driver.memory = "2g";
         s.conf["spark.kubernetes.memoryOverheadFactor"] = "0.2";
       },
       "2457Mi", "0.2"},
      {"JVM with the shared factor 1", false,
       [](JobSpec& s) { s.conf["spark.kubernetes.memoryOverheadFactor"] = "1"; }, "2048Mi", "1.0"},
      {"PySpark driver factor beats 0.4", true,
       [](JobSpec& s) {
         s.driver.memory = "4g";
         s.driver.memory_overhead_factor = 0.15;
       },
       "4710Mi", "0.4"},
  };
  for (const MemoryCase& c : cases) {
    SCOPED_TRACE(c.name);
    DriverJob job = c.python ? PythonJob() : PiJob();
    c.set(job.spec);
    DriverManifests m = Render(job);
    const json& resources = Container(m)["resources"];
    EXPECT_EQ(resources["requests"]["memory"], c.memory);
    EXPECT_EQ(resources["limits"]["memory"], c.memory);
    EXPECT_EQ(m.properties["spark.kubernetes.memoryOverheadFactor"], c.factor_passed);
  }
}

TEST(DriverManifestsTest, CpuRequestFromCoresOrRequestAndLimitOnlyWhenSet) {
  DriverJob job = PiJob();
  DriverManifests m = Render(job);
  EXPECT_EQ(Container(m)["resources"]["requests"]["cpu"], "1");
  EXPECT_FALSE(Container(m)["resources"]["limits"].contains("cpu"));
  job.spec.driver.cores = 3;
  EXPECT_EQ(Container(Render(job))["resources"]["requests"]["cpu"], "3");
  job.spec.driver.cpu_request = "500m";
  job.spec.driver.cpu_limit = "2";
  m = Render(job);
  EXPECT_EQ(Container(m)["resources"]["requests"]["cpu"], "500m");
  EXPECT_EQ(Container(m)["resources"]["limits"]["cpu"], "2");
  job.spec.conf["spark.driver.resource.gpu.amount"] = "1";
  job.spec.conf["spark.driver.resource.gpu.vendor"] = "nvidia.com";
  EXPECT_EQ(Container(Render(job))["resources"]["limits"]["nvidia.com/gpu"], "1");
}

TEST(DriverManifestsTest, LabelsAnnotationsAndSparkdMetadata) {
  DriverJob job = PiJob();
  job.spec.name = "Nightly Pi.v2";
  job.spec.labels = {{"cost-center", "42"}, {"sparkd.io/job-id", "someone-else"}};
  job.spec.annotations = {{"trace", "app={{APP_ID}} exec={{EXECUTOR_ID}}"}};
  DriverManifests m = Render(job);
  const json& meta = m.pod["metadata"];
  EXPECT_EQ(meta["name"], "sparkd-j0abc123def456ghjkmn-driver");
  EXPECT_EQ(meta["labels"]["spark-app-selector"], m.names.app_id);
  EXPECT_EQ(meta["labels"]["spark-role"], "driver");
  EXPECT_EQ(meta["labels"]["spark-version"], "3.5.8");
  EXPECT_EQ(meta["labels"]["spark-app-name"], "nightly-pi-v2");
  EXPECT_EQ(meta["labels"]["cost-center"], "42");
  // sparkd's own labels are not the request's to set.
  EXPECT_EQ(meta["labels"]["sparkd.io/job-id"], job.job_id);
  EXPECT_EQ(meta["labels"]["sparkd.io/team"], "blue");
  EXPECT_EQ(meta["labels"]["sparkd.io/job-type"], "platform_default");
  EXPECT_EQ(meta["annotations"]["trace"], "app=" + m.names.app_id + " exec=");
  EXPECT_EQ(meta["annotations"]["sparkd.io/idempotency-key"], "dag/task/run/0");
  EXPECT_EQ(m.properties["spark.kubernetes.executor.label.sparkd.io/job-id"], job.job_id);
  for (const DriverObject& d : m.dependents) {
    SCOPED_TRACE(d.object["metadata"]["name"].get<std::string>());
    EXPECT_EQ(d.object["metadata"]["labels"]["sparkd.io/job-id"], job.job_id);
    EXPECT_EQ(d.object["metadata"]["annotations"]["sparkd.io/idempotency-key"], "dag/task/run/0");
  }
}

TEST(DriverManifestsTest, HeadlessServiceSelectsTheDriverAndNamesItsHost) {
  DriverJob job = PiJob();
  job.spec.conf["spark.kubernetes.driver.service.annotation.lb"] = "internal";
  job.spec.conf["spark.ui.port"] = "4050";
  DriverManifests m = Render(job);
  const json& svc = Dependent(m, "Service");
  EXPECT_EQ(svc["metadata"]["name"], "sparkd-j0abc123def456ghjkmn-driver-svc");
  EXPECT_EQ(svc["metadata"]["labels"]["spark-app-selector"], m.names.app_id);
  EXPECT_EQ(svc["metadata"]["annotations"]["lb"], "internal");
  EXPECT_EQ(svc["spec"]["clusterIP"], "None");
  EXPECT_EQ(svc["spec"]["ipFamilyPolicy"], "SingleStack");
  EXPECT_EQ(svc["spec"]["ipFamilies"], json::array({"IPv4"}));
  EXPECT_EQ(svc["spec"]["selector"], m.pod["metadata"]["labels"]);
  EXPECT_EQ(svc["spec"]["ports"],
            json::parse(R"([{"name":"driver-rpc-port","port":7078,"targetPort":7078},
                            {"name":"blockmanager","port":7079,"targetPort":7079},
                            {"name":"spark-ui","port":4050,"targetPort":4050}])"));
  EXPECT_EQ(Container(m)["ports"][2]["containerPort"], 4050);
  EXPECT_EQ(m.properties["spark.driver.host"],
            "sparkd-j0abc123def456ghjkmn-driver-svc.spark-blue.svc");
  EXPECT_EQ(m.properties["spark.driver.port"], "7078");
  EXPECT_EQ(m.properties["spark.driver.blockManager.port"], "7079");
}

TEST(DriverManifestsTest, ContainerArgsForJvmAndPythonApps) {
  DriverManifests jvm = Render(PiJob());
  EXPECT_EQ(Container(jvm)["name"], "spark-kubernetes-driver");
  EXPECT_EQ(Container(jvm)["args"],
            json::array({"driver", "--properties-file", "/opt/spark/conf/spark.properties",
                         "--class", "org.apache.spark.examples.SparkPi",
                         "local:///opt/spark/examples/jars/spark-examples.jar", "10"}));
  EXPECT_EQ(jvm.properties["spark.kubernetes.resource.type"], "java");
  EXPECT_EQ(jvm.properties["spark.jars"], "local:///opt/spark/examples/jars/spark-examples.jar");
  EXPECT_EQ(jvm.properties["spark.submit.pyFiles"], "");
  EXPECT_EQ(jvm.properties["spark.app.name"], "org.apache.spark.examples.SparkPi");

  DriverJob job = PythonJob();
  job.spec.py_files = {"local:///opt/deps/a.py", "https://repo/b.zip"};
  DriverManifests py = Render(job);
  EXPECT_EQ(
      Container(py)["args"],
      json::array({"driver", "--properties-file", "/opt/spark/conf/spark.properties", "--class",
                   "org.apache.spark.deploy.PythonRunner", "local:///opt/jobs/pi.py", "10"}));
  EXPECT_EQ(py.properties["spark.kubernetes.resource.type"], "python");
  EXPECT_EQ(py.properties["spark.submit.pyFiles"], "local:///opt/deps/a.py,https://repo/b.zip");
  EXPECT_FALSE(py.properties.contains("spark.jars"));
  EXPECT_EQ(py.properties["spark.app.name"], "pi.py");
}

TEST(DriverManifestsTest, EnvInSparksOrder) {
  DriverJob job = PiJob();
  job.spec.env = {{"ZED", "z", std::nullopt},
                  {"ALPHA", "a", std::nullopt},
                  {"DB_PASS", std::nullopt, SecretKeyRef{"db", "password"}}};
  DriverManifests m = Render(job);
  EXPECT_THAT(EnvNames(m), ElementsAre("SPARK_USER", "SPARK_APPLICATION_ID", "ALPHA", "ZED",
                                       "SPARK_DRIVER_BIND_ADDRESS", "DB_PASS", "SPARK_LOCAL_DIRS",
                                       "SPARK_CONF_DIR"));
  const json& env = Container(m)["env"];
  EXPECT_EQ(env[0]["value"], "blue");  // SPARK_USER defaults to the team
  EXPECT_EQ(env[1]["value"], m.names.app_id);
  EXPECT_EQ(env[4]["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP");
  EXPECT_EQ(env[5]["valueFrom"], json::parse(R"({"secretKeyRef":{"key":"password","name":"db"}})"));
  EXPECT_EQ(env[6]["value"], m.names.local_dir);
  EXPECT_EQ(env[7]["value"], "/opt/spark/conf");
  NativeBackendSettings settings = Settings();
  settings.spark_user = "spark";
  EXPECT_EQ(Container(Render(job, settings))["env"][0]["value"], "spark");
}

TEST(DriverManifestsTest, VolumesSecretsLocalDirsAndTheConfVolume) {
  DriverJob job = PiJob();
  job.spec.conf["spark.kubernetes.driver.secrets.tls"] = "/etc/tls";
  job.spec.conf["spark.kubernetes.driver.volumes.persistentVolumeClaim.ckpt.mount.path"] = "/ckpt";
  job.spec.conf["spark.kubernetes.driver.volumes.persistentVolumeClaim.ckpt.options.claimName"] =
      "ckpt-claim";
  job.spec.conf["spark.kubernetes.driver.volumes.emptyDir.scratch.mount.path"] = "/scratch";
  job.spec.conf["spark.kubernetes.driver.volumes.emptyDir.scratch.mount.readOnly"] = "true";
  job.spec.conf["spark.kubernetes.driver.volumes.emptyDir.scratch.options.sizeLimit"] = "1Gi";
  DriverManifests m = Render(job);
  EXPECT_EQ(m.pod["spec"]["volumes"], json::parse(R"([
    {"name":"tls-volume","secret":{"secretName":"tls"}},
    {"name":"ckpt","persistentVolumeClaim":{"claimName":"ckpt-claim","readOnly":false}},
    {"name":"scratch","emptyDir":{"medium":"","sizeLimit":"1Gi"}},
    {"name":"spark-local-dir-1","emptyDir":{}},
    {"name":"spark-conf-volume-driver","configMap":{"name":")" +
                                                  m.names.conf_config_map +
                                                  R"(","items":[{"key":"spark.properties",
                                                   "mode":420,"path":"spark.properties"}]}}])"));
  EXPECT_EQ(Container(m)["volumeMounts"], json::parse(R"([
    {"mountPath":"/etc/tls","name":"tls-volume"},
    {"mountPath":"/ckpt","name":"ckpt","readOnly":false,"subPath":""},
    {"mountPath":"/scratch","name":"scratch","readOnly":true,"subPath":""},
    {"mountPath":")" + m.names.local_dir + R"(","name":"spark-local-dir-1"},
    {"mountPath":"/opt/spark/conf","name":"spark-conf-volume-driver"}])"));
}

TEST(DriverManifestsTest, LocalDirsFromConfTmpfsOrTheTemplate) {
  DriverJob job = PiJob();
  job.spec.conf["spark.local.dir"] = "/tmp/a,/tmp/b";
  job.spec.conf["spark.kubernetes.local.dirs.tmpfs"] = "true";
  DriverManifests m = Render(job);
  EXPECT_EQ(m.pod["spec"]["volumes"][1], json::parse(R"({"name":"spark-local-dir-2",
                                                          "emptyDir":{"medium":"Memory"}})"));
  EXPECT_EQ(Container(m)["env"][3]["value"], "/tmp/a,/tmp/b");

  // A mount named spark-local-dir-* in the spec is the local dir; Spark adds no emptyDir.
  job = PiJob();
  job.spec.volumes = {{"spark-local-dir-1", {{"persistentVolumeClaim", {{"claimName", "ssd"}}}}}};
  job.spec.volume_mounts = {{"spark-local-dir-1", "/data/local", "", std::nullopt}};
  m = Render(job);
  std::vector<std::string> volumes;
  for (const json& v : m.pod["spec"]["volumes"]) volumes.push_back(v["name"]);
  EXPECT_THAT(volumes,
              ElementsAre("spark-local-dir-1", "pod-template-volume", "spark-conf-volume-driver"));
  EXPECT_TRUE(m.pod["spec"]["volumes"][0].contains("persistentVolumeClaim"));
  EXPECT_EQ(Container(m)["env"][3], json::parse(R"({"name":"SPARK_LOCAL_DIRS",
                                                    "value":"/data/local"})"));
}

TEST(DriverManifestsTest, SchedulingFieldsLandWhereThePodTemplatePutsThem) {
  DriverJob job = PiJob();
  job.spec.node_selector = {{"pool", "spark"}};
  job.spec.conf["spark.kubernetes.driver.node.selector.disk"] = "ssd";
  job.spec.tolerations = {{"dedicated", "Equal", "spark", "NoSchedule", std::nullopt}};
  job.spec.priority_class_name = "batch-high";
  job.spec.scheduler_name = "volcano";
  job.spec.service_account = "spark-runner";
  job.spec.image_pull_secrets = {"registry"};
  job.spec.image_pull_policy = "Always";
  job.spec.affinity.node_required = {
      json::parse(R"({"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]})")};
  DriverManifests m = Render(job);
  const json& spec = m.pod["spec"];
  EXPECT_EQ(spec["nodeSelector"], json::parse(R"({"pool":"spark","disk":"ssd"})"));
  EXPECT_EQ(spec["tolerations"][0]["key"], "dedicated");
  EXPECT_EQ(spec["priorityClassName"], "batch-high");
  EXPECT_EQ(spec["schedulerName"], "volcano");
  EXPECT_EQ(spec["serviceAccount"], "spark-runner");
  EXPECT_EQ(spec["serviceAccountName"], "spark-runner");
  EXPECT_EQ(spec["imagePullSecrets"], json::parse(R"([{"name":"registry"}])"));
  EXPECT_EQ(spec["restartPolicy"], "Never");
  EXPECT_TRUE(spec["affinity"]["nodeAffinity"].is_object());
  EXPECT_EQ(spec["containers"].size(), 1u);
  EXPECT_EQ(Container(m)["imagePullPolicy"], "Always");
  EXPECT_EQ(Container(m)["image"], "apache/spark:3.5.8");
}

TEST(DriverManifestsTest, ExecutorTemplateGoesInItsOwnConfigMapBeforeSparkProperties) {
  DriverJob job = PiJob();
  job.spec.tolerations = {{"dedicated", "Exists", "", "NoSchedule", std::nullopt}};
  DriverManifests m = Render(job);
  ASSERT_EQ(m.dependents.size(), 3u);
  EXPECT_EQ(m.dependents[0].resource, "services");
  EXPECT_EQ(m.dependents[1].resource, "configmaps");
  EXPECT_EQ(m.dependents[1].object["metadata"]["name"], m.names.pod_template_config_map);
  EXPECT_EQ(m.dependents[2].object["metadata"]["name"], m.names.conf_config_map);
  const json& template_map = m.dependents[1].object;
  EXPECT_EQ(json::parse(template_map["data"]["podspec-configmap-key"].get<std::string>()),
            json::parse(m.submission.executor_pod_template));
  EXPECT_EQ(template_map["immutable"], true);
  EXPECT_EQ(m.properties["spark.kubernetes.executor.podTemplateFile"],
            "/opt/spark/pod-template/pod-spec-template.yml");
  EXPECT_EQ(Container(m)["volumeMounts"][0],
            json::parse(R"({"mountPath":"/opt/spark/pod-template","name":"pod-template-volume"})"));
}

TEST(DriverManifestsTest, SparkPropertiesConfigMapIsImmutableAndCarriesTheNamespace) {
  DriverManifests m = Render(PiJob());
  const json& conf_map = m.dependents.back().object;
  EXPECT_EQ(conf_map["metadata"]["namespace"], "spark-blue");
  EXPECT_EQ(conf_map["immutable"], true);
  EXPECT_EQ(conf_map["data"]["spark.kubernetes.namespace"], "spark-blue");
  std::string text = conf_map["data"]["spark.properties"];
  EXPECT_THAT(text, HasSubstr("#Java properties built from Kubernetes config map with name: " +
                              m.names.conf_config_map + "\n#Tue Dec 01 19:02:38 UTC 2026\n"));
  EXPECT_THAT(text, HasSubstr("\nspark.master=k8s\\://https\\://kubernetes.default.svc\n"));
  EXPECT_THAT(text, HasSubstr("\nspark.app.submitTime=1796151758641\n"));
  EXPECT_THAT(text, HasSubstr("\nspark.submit.deployMode=cluster\n"));
  EXPECT_THAT(text, HasSubstr("\nspark.kubernetes.submitInDriver=true\n"));
  EXPECT_THAT(text, HasSubstr("\nspark.app.id=" + m.names.app_id + "\n"));
  EXPECT_THAT(
      text,
      HasSubstr("\nspark.kubernetes.executor.podNamePrefix=" + m.names.resource_prefix + "\n"));
}

TEST(DriverManifestsTest, DependentsAreOwnedByTheCreatedPod) {
  DriverManifests m = Render(PiJob());
  std::vector<DriverObject> owned = DependentsOwnedBy(m, "uid-123");
  ASSERT_EQ(owned.size(), m.dependents.size());
  for (const DriverObject& d : owned) {
    EXPECT_EQ(d.object["metadata"]["ownerReferences"],
              json::parse(R"([{"apiVersion":"v1","kind":"Pod","controller":true,
                               "name":"sparkd-j0abc123def456ghjkmn-driver","uid":"uid-123"}])"));
  }
  EXPECT_FALSE(m.dependents[0].object["metadata"].contains("ownerReferences"));
}

TEST(DriverManifestsTest, RenderingIsAFunctionOfTheJob) {
  EXPECT_EQ(DriverManifestsToJson(Render(PiJob())), DriverManifestsToJson(Render(PiJob())));
  DriverJob other = PiJob();
  other.job_id = "j0abc123def456ghjkmp";
  DriverObjectNames a = Render(PiJob()).names;
  DriverObjectNames b = Render(other).names;
  EXPECT_NE(a.app_id, b.app_id);
  EXPECT_NE(a.conf_config_map, b.conf_config_map);
  EXPECT_NE(a.local_dir, b.local_dir);
}

TEST(DriverManifestsTest, NamesAreValidKubernetesNamesForAnyJobId) {
  for (std::string_view id : {"j0abc123def456ghjkmn", "Job_With.Odd/Chars", "",
                              "a-very-long-job-id-that-goes-on-and-on-and-on-and-on-forever"}) {
    SCOPED_TRACE(id);
    DriverObjectNames n = DriverObjectNamesForJob(id);
    EXPECT_EQ(CheckDnsLabel(n.service), "");
    EXPECT_EQ(CheckDnsLabel(n.driver_pod), "");
    EXPECT_EQ(CheckDnsSubdomain(n.conf_config_map), "");
    EXPECT_EQ(CheckDnsSubdomain(n.pod_template_config_map), "");
    EXPECT_LE(n.resource_prefix.size(), 47u);  // + "-exec-<id>" fits a 63-character label
    EXPECT_EQ(CheckLabelValue(n.app_id), "");
    EXPECT_EQ(n.app_id.size(), 38u);  // spark- and 32 hex digits, like Spark's
    EXPECT_TRUE(n.local_dir.starts_with("/var/data/spark-"));
  }
  EXPECT_NE(DriverObjectNamesForJob("a.b").service, DriverObjectNamesForJob("a-b").service);
}

}  // namespace
}  // namespace sparkd
