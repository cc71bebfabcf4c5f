#include "daemon/core/file_policy.h"

#include <gtest/gtest.h>

#include <map>

namespace sparkd {
namespace {

// Roots /srv/apps and /opt/shared, the data folder /srv/apps/.data inside the first, and a
// fake resolver standing in for realpath: two links of the tests' choosing.
FilePolicy TestPolicy(bool host_paths = true) {
  FilePolicyOptions options;
  options.roots = {"/srv/apps/", "/opt/shared"};
  options.denied = {"/srv/apps/.data"};
  options.local_urls_are_host_paths = host_paths;
  options.resolve = [](const std::string& path) {
    static const std::map<std::string, std::string> kLinks = {
        {"/srv/apps/shadow.jar", "/etc/shadow"},
        {"/srv/apps/other-job", "/srv/apps/.data/jobs/j2"},
    };
    for (const auto& [link, target] : kLinks) {
      if (path == link || path.starts_with(link + "/")) return target + path.substr(link.size());
    }
    return path;
  };
  auto policy = FilePolicy::Create(options);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return *policy;
}

TEST(FilePolicyTest, LocalPathsUnderARootAndURLsOfAllowedSchemesPass) {
  FilePolicy policy = TestPolicy();
  for (const char* value :
       {"/srv/apps/etl.jar", "/srv/apps/team-a/jobs/pi.py", "/opt/shared/lib.zip",
        "/srv/apps//./etl.jar", "file:/srv/apps/etl.jar", "file:///opt/shared/x.py",
        "file://localhost/srv/apps/etl.jar", "local:///srv/apps/etl.jar",
        "https://artifacts.example.com/etl.jar", "s3a://bucket/jobs/etl.jar", "GS://bucket/x.py",
        "abfss://c@account.dfs.core.windows.net/x.jar", "hdfs:///apps/x.jar",
        "/srv/apps/.database/x.jar"}) {
    EXPECT_TRUE(policy.Check("file", value).ok())
        << value << ": " << policy.Check("file", value).ToString();
  }
}

TEST(FilePolicyTest, EverythingElseIsRefusedNamingTheFieldAndWhy) {
  FilePolicy policy = TestPolicy();
  struct Case {
    const char* value;
    const char* error;
  };
  const Case cases[] = {
      {"/etc/shadow",
       "file: \"/etc/shadow\" is not under an allowed root (/srv/apps, /opt/shared)"},
      {"/srv/apps/../../etc/passwd", "contains \"..\""},
      {"/srv/apps/a/../b.jar", "contains \"..\""},
      {"file:/srv/apps/%2e%2e/%2e%2e/etc/passwd", "holds '%', '?' or '#'"},
      {"/srv/apps/x.jar#alias", "holds '%', '?' or '#'"},
      {"/srv/apps/.data/jobs/j2/driver.log", "is inside sparkd's data folder"},
      {"/srv/apps/.data", "is inside sparkd's data folder"},
      {"/srv/apps/shadow.jar",
       "\"/srv/apps/shadow.jar\" resolves to \"/etc/shadow\", which is "
       "not under an allowed root"},
      {"/srv/apps/other-job/driver.log",
       "resolves to \"/srv/apps/.data/jobs/j2/driver.log\", "
       "which is inside sparkd's data folder"},
      {"/srv/appsx/etl.jar", "is not under an allowed root"},
      {"etl.jar",
       "\"etl.jar\" is not an absolute path nor a URL (https, s3a, gs, abfss, hdfs, "
       "local)"},
      {"../etl.jar", "is not an absolute path nor a URL"},
      {"spark-internal", "is not an absolute path nor a URL"},
      {"pyspark-shell", "is not an absolute path nor a URL"},
      {"--conf", "is not an absolute path nor a URL"},
      {"", "file: empty"},
      {"http://example.com/x.jar", "the scheme \"http\" is not allowed"},
      {"ftp://example.com/x.jar", "the scheme \"ftp\" is not allowed"},
      {"file://otherhost/srv/apps/x.jar", "names the host \"otherhost\""},
      {"file:relative.jar", "has no absolute path"},
      {"local:/etc/shadow", "is not under an allowed root"},
      {"s3a:", "empty URL"},
  };
  for (const auto& c : cases) {
    Status s = policy.Check("file", c.value);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.value;
    EXPECT_NE(s.message().find(c.error), std::string::npos) << c.value << ": " << s.message();
  }
}

TEST(FilePolicyTest, WithoutRootsNoLocalPathPassesAndTheErrorSaysWhatWould) {
  FilePolicy policy;
  Status s = policy.Check("jars[0]", "/srv/apps/etl.jar");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("jars[0]: \"/srv/apps/etl.jar\" is a local path, and this daemon "
                             "allows none (no file roots configured); use a URL (https,"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(policy.Check("file", "https://x.example.com/etl.jar").ok());
}

TEST(FilePolicyTest, OnKubernetesLocalURLsAreImagePaths) {
  FilePolicy policy = TestPolicy(/*host_paths=*/false);
  EXPECT_TRUE(policy.Check("file", "local:///opt/spark/examples/jars/x.jar").ok());
  EXPECT_FALSE(policy.Check("file", "/opt/spark/examples/jars/x.jar").ok());
  EXPECT_FALSE(policy.Check("file", "file:///etc/shadow").ok());
}

TEST(FilePolicyTest, CreateRefusesRelativeRootsAndFileAsAScheme) {
  FilePolicyOptions relative;
  relative.roots = {"apps"};
  EXPECT_EQ(FilePolicy::Create(relative).status().code(), StatusCode::kInvalidArgument);
  FilePolicyOptions dotdot;
  dotdot.roots = {"/srv/../etc"};
  EXPECT_EQ(FilePolicy::Create(dotdot).status().code(), StatusCode::kInvalidArgument);
  FilePolicyOptions file_scheme;
  file_scheme.schemes = {"https", "FILE"};
  EXPECT_EQ(FilePolicy::Create(file_scheme).status().code(), StatusCode::kInvalidArgument);
}

TEST(FilePolicyTest, ARequestIsCheckedInEveryPlaceItNamesAFile) {
  FilePolicy policy = TestPolicy();
  JobRequest ok;
  ok.file = "/srv/apps/etl.py";
  ok.py_files = {"/srv/apps/lib.zip"};
  ok.jars = {"s3a://bucket/dep.jar"};
  ok.conf = {{"spark.jars", "/srv/apps/a.jar, s3a://b/c.jar,"},
             {"spark.driver.extraClassPath", "/opt/shared/jars/*:/srv/apps/x.jar"},
             {"spark.kubernetes.driver.podTemplateFile", "/srv/apps/pod.yaml"},
             {"spark.sql.shuffle.partitions", "/etc/shadow"}};  // not a file key
  EXPECT_TRUE(policy.CheckRequest(ok).ok()) << policy.CheckRequest(ok).ToString();

  struct Case {
    std::function<void(JobRequest&)> mutate;
    const char* error;
  };
  const Case cases[] = {
      {[](JobRequest& r) { r.file = "/etc/shadow"; }, "file: \"/etc/shadow\""},
      {[](JobRequest& r) { r.py_files.push_back("/etc/passwd"); }, "py_files[1]: \"/etc/passwd\""},
      {[](JobRequest& r) { r.jars = {"x.jar"}; }, "jars[0]: \"x.jar\" is not an absolute path"},
      {[](JobRequest& r) { r.files = {"/srv/apps/.data/jobs/j1/driver.log"}; },
       "files[0]: \"/srv/apps/.data/jobs/j1/driver.log\" is inside sparkd's data folder"},
      {[](JobRequest& r) { r.conf["spark.files"] = "/srv/apps/ok.txt,/etc/shadow"; },
       "conf.\"spark.files\"[1]: \"/etc/shadow\""},
      {[](JobRequest& r) { r.conf["spark.submit.pyFiles"] = "/root/x.py"; },
       "conf.\"spark.submit.pyFiles\"[0]"},
      {[](JobRequest& r) { r.conf["spark.archives"] = "/etc/x.tgz#env"; }, "holds '%', '?' or '#'"},
      {[](JobRequest& r) { r.conf["spark.jars.ivySettings"] = "/home/sparkd/.ivy.xml"; },
       "conf.\"spark.jars.ivySettings\": \"/home/sparkd/.ivy.xml\" is not under"},
      {[](JobRequest& r) { r.conf["spark.kerberos.keytab"] = "/etc/krb5.keytab"; },
       "conf.\"spark.kerberos.keytab\""},
      {[](JobRequest& r) { r.conf["spark.driver.resource.gpu.discoveryScript"] = "/tmp/x.sh"; },
       "conf.\"spark.driver.resource.gpu.discoveryScript\""},
      {[](JobRequest& r) { r.conf["spark.executor.extraClassPath"] = "/srv/apps/a.jar:/etc/*"; },
       "conf.\"spark.executor.extraClassPath\"[1]: \"/etc/*\" is not under"},
      {[](JobRequest& r) { r.conf["spark.driver.extraLibraryPath"] = "lib"; },
       "conf.\"spark.driver.extraLibraryPath\"[0]: \"lib\" is not an absolute path"},
      {[](JobRequest& r) { r.conf["spark.jars.repositories"] = "file:///home/sparkd/.m2"; },
       "conf.\"spark.jars.repositories\"[0]"},
  };
  for (const auto& c : cases) {
    JobRequest r = ok;
    c.mutate(r);
    Status s = policy.CheckRequest(r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.error;
    EXPECT_NE(s.message().find(c.error), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace sparkd
