// What the k8s-native rendering refuses: what Spark itself refuses, what needs the machine of a
// submitting JVM, and conf that would let a job take another job's names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "daemon/core/preset/driver_manifests_testing.h"

namespace sparkd {
namespace {

using ::testing::HasSubstr;
using testing_jobs::PiJob;
using testing_jobs::Settings;

struct ErrorCase {
  std::string name;
  std::function<void(DriverJob&, NativeBackendSettings&)> set;
  std::string message;
};

std::function<void(DriverJob&, NativeBackendSettings&)> SetConf(std::string key,
                                                                std::string value) {
  return [key, value](DriverJob& j, NativeBackendSettings&) { j.spec.conf[key] = value; };
}

const ErrorCase kCases[] = {
    {"driver host", SetConf("spark.driver.host", "x"), "conf.\"spark.driver.host\": not supported"},
    {"bind address", SetConf("spark.driver.bindAddress", "0.0.0.0"), "spark.driver.bindAddress"},
    {"reserved label", SetConf("spark.kubernetes.driver.label.spark-role", "x"),
     "the label spark-role is reserved for Spark"},
    {"reserved label from the spec",
     [](DriverJob& j, NativeBackendSettings&) { j.spec.labels["spark-app-selector"] = "x"; },
     "spark-app-selector is reserved"},
    {"secretKeyRef without a key", SetConf("spark.kubernetes.driver.secretKeyRef.A", "secret"),
     "must be in the form name:key"},
    {"secretKeyRef with two colons", SetConf("spark.kubernetes.driver.secretKeyRef.A", "a:b:c"),
     "must be in the form name:key"},
    {"local primary file",
     [](DriverJob& j, NativeBackendSettings&) { j.spec.file = "/home/me/app.jar"; },
     "file: \"/home/me/app.jar\" is a local file"},
    {"file: URI in jars",
     [](DriverJob& j, NativeBackendSettings&) { j.spec.jars = {"file:///tmp/dep.jar"}; },
     "conf.\"spark.jars\": \"file:///tmp/dep.jar\" is a local file"},
    {"local py file", [](DriverJob& j, NativeBackendSettings&) { j.spec.py_files = {"deps.zip"}; },
     "spark.submit.pyFiles"},
    {"pod template file", SetConf("spark.kubernetes.driver.podTemplateFile", "/t.yaml"),
     "pod template file"},
    {"executor template file", SetConf("spark.kubernetes.executor.podTemplateFile", "/t.yaml"),
     "pod template file"},
    {"driver feature steps", SetConf("spark.kubernetes.driver.pod.featureSteps", "a.B"),
     "JVM code"},
    {"submission token", SetConf("spark.kubernetes.authenticate.submission.oauthToken", "t"),
     "no submission client"},
    {"driver token", SetConf("spark.kubernetes.authenticate.driver.oauthToken", "t"),
     "service account"},
    {"kerberos", SetConf("spark.kubernetes.kerberos.krb5.path", "/etc/krb5.conf"), "Kerberos"},
    {"daemon conf is checked too",
     [](DriverJob&, NativeBackendSettings& s) { s.daemon_conf["spark.driver.host"] = "x"; },
     "spark.driver.host"},
    {"no class for a jar", [](DriverJob& j, NativeBackendSettings&) { j.spec.class_name = ""; },
     "className: required"},
    {"no file", [](DriverJob& j, NativeBackendSettings&) { j.spec.file.reset(); },
     "file: required"},
    {"R app", [](DriverJob& j, NativeBackendSettings&) { j.spec.file = "local:///a.R"; },
     "R applications"},
    {"no image", [](DriverJob&, NativeBackendSettings& s) { s.default_image = ""; },
     "image: required"},
    {"on-demand claim",
     [](DriverJob& j, NativeBackendSettings&) {
       j.spec.conf["spark.kubernetes.driver.volumes.persistentVolumeClaim.d.mount.path"] = "/d";
       j.spec.conf["spark.kubernetes.driver.volumes.persistentVolumeClaim.d.options.claimName"] =
           "OnDemand";
     },
     "does not create claims"},
    {"unknown volume type",
     SetConf("spark.kubernetes.driver.volumes.gcePersistentDisk.d.mount.path", "/d"),
     "volume type `gcePersistentDisk` is not supported"},
    {"volume without a mount path",
     SetConf("spark.kubernetes.driver.volumes.emptyDir.d.options.medium", "Memory"),
     "conf.\"spark.kubernetes.driver.volumes.emptyDir.d.mount.path\": required"},
    {"nfs without options", SetConf("spark.kubernetes.driver.volumes.nfs.d.mount.path", "/d"),
     "conf.\"spark.kubernetes.driver.volumes.nfs.d.options.path\": required for a nfs volume"},
    {"two volumes on one path",
     [](DriverJob& j, NativeBackendSettings&) {
       j.spec.conf["spark.kubernetes.driver.volumes.emptyDir.a.mount.path"] = "/d";
       j.spec.conf["spark.kubernetes.driver.volumes.emptyDir.b.mount.path"] = "/d";
     },
     "duplicated mountPath: `/d`"},
    {"resource without vendor", SetConf("spark.driver.resource.gpu.amount", "1"),
     "spark.driver.resource.gpu.vendor\": required"},
    {"negative shared factor", SetConf("spark.kubernetes.memoryOverheadFactor", "-0.1"),
     "must not be negative"},
    {"zero driver factor",
     [](DriverJob& j, NativeBackendSettings&) { j.spec.driver.memory_overhead_factor = 0; },
     "must be greater than 0"},
    {"port not a number", SetConf("spark.driver.port", "seventy"), "is not a whole number"},
    {"memory not a size", SetConf("spark.driver.memory", "lots"), "is not a size Spark reads"},
    {"team not a label value", [](DriverJob& j, NativeBackendSettings&) { j.team = "Team A"; },
     "sparkd.io/team: \"Team A\""},
};

TEST(DriverManifestsTest, RefusesWhatSparkRefusesOrNeedsASubmittingMachine) {
  for (const ErrorCase& c : kCases) {
    SCOPED_TRACE(c.name);
    DriverJob job = PiJob();
    NativeBackendSettings settings = Settings();
    c.set(job, settings);
    StatusOr<DriverManifests> m = RenderDriverManifests(job, settings);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(m.status().message(), HasSubstr(c.message));
  }
}

TEST(DriverManifestsTest, JobsCannotTakeAnotherJobsNames) {
  DriverJob job = PiJob();
  job.spec.conf["spark.kubernetes.driver.pod.name"] = "someone-elses-driver";
  job.spec.conf["spark.kubernetes.executor.podNamePrefix"] = "someone-else";
  job.spec.conf["spark.app.id"] = "spark-0000";
  StatusOr<DriverManifests> rendered = RenderDriverManifests(job, Settings());
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  const DriverManifests& m = *rendered;
  EXPECT_EQ(m.pod["metadata"]["name"], m.names.driver_pod);
  EXPECT_EQ(m.properties.at("spark.kubernetes.driver.pod.name"), m.names.driver_pod);
  EXPECT_EQ(m.properties.at("spark.kubernetes.executor.podNamePrefix"), m.names.resource_prefix);
  EXPECT_EQ(m.properties.at("spark.app.id"), m.names.app_id);
}

}  // namespace
}  // namespace sparkd
