#include "daemon/core/preset/conf_policy.h"

#include <gtest/gtest.h>

namespace sparkd {
namespace {

using Options = std::vector<std::string>;

// The expected splits are what Spark's launcher (CommandBuilderUtils.parseOptionString) gives.
TEST(ConfPolicyTest, JavaOptionsSplitAsSparksLauncherSplitsThem) {
  struct Case {
    std::string text;
    Options options;
  };
  const Case cases[] = {
      {"", {}},
      {"   ", {}},
      {"-Xss4m -Dfoo=bar", {"-Xss4m", "-Dfoo=bar"}},
      {"  -Da=1\t\n-Db=2  ", {"-Da=1", "-Db=2"}},
      {"-Dx=\"a b\" 'c d'", {"-Dx=a b", "c d"}},
      {"-D'spark'.master=x", {"-Dspark.master=x"}},
      {"-D\\spark.x=1", {"-Dspark.x=1"}},
      {"\"\" ''", {"", ""}},
      {"'a \"b\" c'", {"a \"b\" c"}},
      {"\"a 'b' \\\" c\"", {"a 'b' \" c"}},
      {"'a\\b'", {"a\\b"}},
      {"a\\ b", {"a b"}},
      {"-Da=1\u3000-Dspark.master=x", {"-Da=1", "-Dspark.master=x"}},  // ideographic space
      {"-Da=1\u2028-Db=2\u00a0c", {"-Da=1", "-Db=2\u00a0c"}},          // NBSP is not
      {"-Dname=東京", {"-Dname=東京"}},
  };
  for (const auto& c : cases) {
    auto split = SplitJavaOptions(c.text);
    ASSERT_TRUE(split.ok()) << c.text << ": " << split.status().ToString();
    EXPECT_EQ(*split, c.options) << c.text;
  }
  for (std::string bad : {"'open", "\"open", "trailing\\", "a 'b\" c"}) {
    EXPECT_EQ(SplitJavaOptions(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConfPolicyTest, EveryLayerIsRefusedDaemonOwnedKeysInAnySpelling) {
  for (const char* key : {"spark.eventLog.dir",
                          "spark.eventLog.enabled",
                          "spark.eventlog.DIR",
                          "spark.eventLog.rolling.enabled",
                          "spark.ui.port",
                          "spark.ui.proxyBase",
                          "spark.master",
                          "SPARK.MASTER",
                          "spark.submit.deployMode",
                          "spark.app.id",
                          "spark.driver.host",
                          "spark.driver.bindAddress",
                          "spark.driver.port",
                          "spark.blockManager.port",
                          "spark.local.dir",
                          "spark.kubernetes.driver.pod.name",
                          "spark.kubernetes.executor.podNamePrefix",
                          "spark.kubernetes.resourceStagingServer.uri",
                          "spark.kubernetes.submitInDriver",
                          "spark.redaction.regex",
                          "spark.history.fs.logDirectory",
                          "spark.metrics.conf",
                          "spark.metrics.conf.*.sink.csv.directory",
                          "spark.jars.ivy",
                          "spark.kubernetes.driver.master",
                          "spark.kubernetes.context"}) {
    Status s = CheckConfPolicy(key, "x");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(s.message().find("set by sparkd"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(key), std::string::npos) << s.message();
  }
  for (const char* key : {"spark.ui.enabled", "spark.eventLogx", "spark.sql.shuffle.partitions",
                          "spark.kubernetes.driver.podTemplateFile", "spark.localdir"}) {
    EXPECT_TRUE(CheckConfPolicy(key, "x").ok())
        << key << ": " << CheckConfPolicy(key, "x").ToString();
  }
}

TEST(ConfPolicyTest, KeysAreSpelledPlainlyAndNotAsCaseVariantsOfSandboxKeys) {
  struct Case {
    std::string key;
    const char* error;
  };
  const Case cases[] = {
      {" spark.kubernetes.namespace", "contains whitespace"},
      {"spark.kubernetes.namespace ", "contains whitespace"},
      {"spark.x\ty", "contains whitespace"},
      {"spark.kubernetes.authenticate.driver.serviceAccountName=admin", "contains '='"},
      {"spark.x\xc3\xa9", "is not printable ASCII"},
      {"", "conf: empty key"},
      {"spark.Kubernetes.Namespace", "differs only by case from a key that sets where or how"},
      {"spark.kubernetes.Authenticate.driver.oauthToken",
       "differs only by case from a key that sets the job's credentials"},
      {"spark.kubernetes.executor.volumes.HOSTPATH.x.mount.path", "differs only by case"},
  };
  for (const auto& c : cases) {
    Status s = CheckConfPolicy(c.key, "v");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.key;
    EXPECT_NE(s.message().find(c.error), std::string::npos) << c.key << ": " << s.message();
  }
  // The exact sandbox spelling is a preset's to use (requests are refused in resolve.cc).
  EXPECT_TRUE(CheckConfPolicy("spark.kubernetes.namespace", "team-a").ok());
  EXPECT_TRUE(SandboxReason("spark.kubernetes.authenticate.driver.serviceAccountName"));
  EXPECT_FALSE(SandboxReason("spark.kubernetes.Namespace"));
}

TEST(ConfPolicyTest, JavaOptionsMayNotSetSparkConfNorReadOptionsFromFiles) {
  struct Case {
    const char* key;
    std::string value;
    const char* error;  // "" = accepted
  };
  const Case cases[] = {
      {"spark.driver.extraJavaOptions", "-XX:+UseG1GC -Dlog4j.configuration=x -Dfoo", ""},
      {"spark.driver.extraJavaOptions",
       "-Dspark.kubernetes.authenticate.driver.serviceAccountName=cluster-admin",
       "-Dspark.kubernetes.authenticate.driver.serviceAccountName sets Spark conf as a JVM "
       "system property"},
      {"spark.executor.extraJavaOptions", "-Xss4m -D'spark'.eventLog.dir=/x",
       "-Dspark.eventLog.dir"},
      {"spark.driver.defaultJavaOptions", "\"-Dspark.master=yarn\"", "-Dspark.master"},
      {"spark.executor.defaultJavaOptions", "-DSPARK.foo=1", "-DSPARK.foo"},
      {"spark.yarn.am.extraJavaOptions", "-Dspark.x=1", "-Dspark.x"},
      {"spark.driver.ExtraJavaOptions", "-Dspark.x=1", "-Dspark.x"},
      {"spark.driver.extraJavaOptions", "-Da=1\u3000-Dspark.master=x", "-Dspark.master"},
      {"spark.driver.extraJavaOptions", "-DHADOOP_USER_NAME=hdfs", "-DHADOOP_USER_NAME"},
      {"spark.driver.extraJavaOptions", "@/srv/apps/opts", "read options from a file"},
      {"spark.driver.extraJavaOptions", "-XX:VMOptionsFile=/tmp/o", "read options from a file"},
      {"spark.driver.extraJavaOptions", "-XX:Flags=/tmp/o", "read options from a file"},
      {"spark.driver.extraJavaOptions", "-Dx='unclosed", "an unclosed quote"},
      {"spark.driver.extraJavaOptions", "-Dx=1\n-Dspark.master=x", "control character U+000A"},
  };
  for (const auto& c : cases) {
    Status s = CheckConfPolicy(c.key, c.value);
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(s.ok()) << c.value << ": " << s.ToString();
      continue;
    }
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.value;
    EXPECT_NE(s.message().find(c.error), std::string::npos) << c.value << ": " << s.message();
    EXPECT_NE(s.message().find(c.key), std::string::npos) << s.message();
  }
}

TEST(ConfPolicyTest, EnvironmentNamesTheLaunchChainReadsAreRefusedInEnvAndConf) {
  for (const char* name : {"SPARK_CONF_DIR",
                           "SPARK_SUBMIT_OPTS",
                           "SPARK_DRIVER_OPTS",
                           "SPARK_JAVA_OPTS",
                           "SPARK_JAVA_OPT_0",
                           "SPARK_HOME",
                           "SPARK_LOCAL_DIRS",
                           "SPARK_USER",
                           "SPARKD_JOB_ID",
                           "JAVA_TOOL_OPTIONS",
                           "_JAVA_OPTIONS",
                           "JDK_JAVA_OPTIONS",
                           "JAVA_HOME",
                           "CLASSPATH",
                           "PATH",
                           "LD_PRELOAD",
                           "LD_LIBRARY_PATH",
                           "PYSPARK_PYTHON",
                           "PYSPARK_DRIVER_PYTHON",
                           "PYTHONPATH",
                           "PYTHONSTARTUP",
                           "HOME",
                           "HADOOP_CONF_DIR",
                           "HADOOP_USER_NAME",
                           "KUBECONFIG",
                           "KUBERNETES_SERVICE_HOST",
                           "BASH_ENV",
                           "ENV",
                           "IFS",
                           "GCONV_PATH",
                           "KRB5CCNAME",
                           "ld_preload",
                           "Path",
                           "BASH_FUNC_x%%",
                           "A=B",
                           "1X",
                           "",
                           "A-B",
                           "A.B"}) {
    EXPECT_TRUE(EnvNameReason(name)) << name;
  }
  for (const char* name :
       {"MODE", "AWS_REGION", "DB_HOST", "TZ", "LANG", "_x", "PATHS_TO_SCAN", "MY_SPARK_SETTING"}) {
    EXPECT_FALSE(EnvNameReason(name)) << name << ": " << *EnvNameReason(name);
  }
  for (const char* key :
       {"spark.executorEnv.LD_PRELOAD", "spark.kubernetes.driverEnv.SPARK_JAVA_OPT_0",
        "spark.yarn.appMasterEnv.JAVA_TOOL_OPTIONS", "spark.kubernetes.driver.secretKeyRef.PATH",
        "spark.executorenv.PYTHONPATH", "spark.kubernetes.executor.secretKeyRef.HOME"}) {
    Status s = CheckConfPolicy(key, "x");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(s.message().find("sets the environment variable"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(CheckConfPolicy("spark.executorEnv.MODE", "batch").ok());
}

TEST(ConfPolicyTest, FileKeysAreKnownByKind) {
  EXPECT_EQ(FileKindOfConfKey("spark.jars"), ConfFileKind::kFileList);
  EXPECT_EQ(FileKindOfConfKey("spark.submit.pyFiles"), ConfFileKind::kFileList);
  EXPECT_EQ(FileKindOfConfKey("spark.kubernetes.driver.podTemplateFile"), ConfFileKind::kFile);
  EXPECT_EQ(FileKindOfConfKey("spark.executor.resource.gpu.discoveryScript"), ConfFileKind::kFile);
  EXPECT_EQ(FileKindOfConfKey("spark.driver.extraClassPath"), ConfFileKind::kHostPathList);
  EXPECT_EQ(FileKindOfConfKey("spark.sql.shuffle.partitions"), ConfFileKind::kNone);
}

}  // namespace
}  // namespace sparkd
