// The local backend's spark-submit command line: the daemon's conf last, option-shaped values
// kept where spark-submit cannot read them as options, and the file policy checked again at
// launch with symlinks resolved on a real filesystem.
#include "daemon/cluster/local_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace sparkd::cluster {
namespace {

namespace fs = std::filesystem;

class LocalBackendArgsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("sparkd-args-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(root_ / "apps");
    fs::create_directories(root_ / "data" / "jobs" / "other-team-job" / "events");
    std::ofstream(root_ / "apps" / "etl.jar") << "jar";
    std::ofstream(root_ / "data" / "jobs" / "other-team-job" / "driver.log") << "secret";
    FilePolicyOptions files;
    files.roots = {ResolveSymlinks((root_ / "apps").string())};
    files.denied = {ResolveSymlinks((root_ / "data").string())};
    files.resolve = ResolveSymlinks;
    auto policy = FilePolicy::Create(files);
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    LocalBackendOptions options;
    options.spark_home = "/nonexistent-spark";  // nothing is launched
    options.data_dir = (root_ / "data").string();
    options.file_policy = *policy;
    backend_ = std::make_unique<LocalBackend>(options);
  }
  void TearDown() override { fs::remove_all(root_); }

  Job JobWith(JobRequest request) {
    Job job;
    job.id = "j1";
    job.request = std::move(request);
    return job;
  }

  JobRequest Valid() {
    JobRequest r;
    r.file = (root_ / "apps" / "etl.jar").string();
    r.class_name = "org.example.Etl";
    return r;
  }

  // The value of the last `--conf key=...`, which is the one spark-submit keeps.
  static std::optional<std::string> LastConf(const std::vector<std::string>& args,
                                             const std::string& key) {
    std::optional<std::string> value;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--conf" && args[i + 1].starts_with(key + "=")) {
        value = args[i + 1].substr(key.size() + 1);
      }
    }
    return value;
  }

  fs::path root_;
  std::unique_ptr<LocalBackend> backend_;
};

// A job stored with conf that sparkd now refuses (or written past the API) cannot point its
// event log into another team's job folder, nor move the UI or the driver's address.
TEST_F(LocalBackendArgsTest, TheDaemonsConfComesLastAndOwnedKeysOfTheJobAreDropped) {
  JobRequest r = Valid();
  std::string other_events =
      "file://" + (root_ / "data" / "jobs" / "other-team-job" / "events").string();
  r.conf = {{"spark.eventLog.dir", other_events}, {"spark.eventLog.enabled", "false"},
            {"spark.eventLog.compress", "true"},  {"spark.ui.port", "1"},
            {"spark.driver.host", "203.0.113.9"}, {"spark.sql.shuffle.partitions", "7"}};
  auto args = backend_->SubmitArguments(JobWith(r), 4555);
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  std::string own_events = "file://" + (root_ / "data" / "jobs" / "j1" / "events").string();
  EXPECT_EQ(LastConf(*args, "spark.eventLog.dir"), own_events);
  EXPECT_EQ(LastConf(*args, "spark.eventLog.enabled"), "true");
  EXPECT_EQ(LastConf(*args, "spark.eventLog.compress"), "false");
  EXPECT_EQ(LastConf(*args, "spark.ui.port"), "4555");
  EXPECT_EQ(LastConf(*args, "spark.driver.host"), "127.0.0.1");
  EXPECT_EQ(LastConf(*args, "spark.sql.shuffle.partitions"), "7");
  for (const auto& a : *args) {
    EXPECT_EQ(a.find("other-team-job"), std::string::npos) << a;
    EXPECT_EQ(a.find("203.0.113.9"), std::string::npos) << a;
  }
}

TEST_F(LocalBackendArgsTest, ApplicationArgsFollowTheFileWhereSparkSubmitPassesThemOn) {
  JobRequest r = Valid();
  r.args = {"--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=cluster-admin",
            "--master", "yarn"};
  r.name = "--conf";
  auto args = backend_->SubmitArguments(JobWith(r), 4040);
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  auto file = std::find(args->begin(), args->end(), r.file);
  ASSERT_NE(file, args->end());
  EXPECT_EQ(std::vector<std::string>(file + 1, args->end()), r.args);
  // Before the file: the master is the daemon's, and every user value is an option's value.
  EXPECT_EQ((*args)[0], "--master");
  EXPECT_EQ((*args)[1], "local[2]");
  auto name = std::find(args->begin(), file, "--name");
  ASSERT_NE(name, file);
  EXPECT_EQ(*(name + 1), "--conf");
}

// The conf a job runs with is rendered from its resolved spec: a preset's executor.cores = 2
// must shape the local cluster's workers, or the executors never fit and the job hangs.
TEST_F(LocalBackendArgsTest, LocalClusterWorkersHaveTheExecutorsShapeTheJobRunsWith) {
  JobRequest r = Valid();
  r.local_mode = LocalMode::kCluster;
  r.executor_instances = 1;
  r.executor.memory = "512m";
  r.conf = {{"spark.executor.cores", "2"},
            {"spark.executor.instances", "1"},
            {"spark.executor.memory", "512m"}};
  auto args = backend_->SubmitArguments(JobWith(r), 4040);
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ((*args)[1], "local-cluster[1,2,512]");
  EXPECT_EQ(LastConf(*args, "spark.executor.cores"), "2");
  EXPECT_EQ(LastConf(*args, "spark.executor.memory"), "512m");
  r.conf.clear();  // a job stored before its conf was rendered: the request's own fields
  r.executor.cores = 3;
  args = backend_->SubmitArguments(JobWith(r), 4040);
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ((*args)[1], "local-cluster[1,3,512]");
  EXPECT_EQ(LastConf(*args, "spark.executor.cores"), "3");
}

TEST_F(LocalBackendArgsTest, FilesAreCheckedAtLaunchWithSymlinksResolved) {
  fs::create_symlink(root_ / "data" / "jobs" / "other-team-job" / "driver.log",
                     root_ / "apps" / "innocent.jar");
  fs::create_symlink("/etc", root_ / "apps" / "etc");
  struct Case {
    std::function<void(JobRequest&)> mutate;
    std::string error;
  };
  const Case cases[] = {
      {[&](JobRequest& r) { r.file = (root_ / "apps" / "innocent.jar").string(); },
       "resolves to \"" + ResolveSymlinks((root_ / "data").string()) +
           "/jobs/other-team-job/driver.log\", which is inside sparkd's data folder"},
      {[&](JobRequest& r) { r.jars = {(root_ / "apps" / "etc" / "shadow").string()}; },
       "jars[0]: "},
      {[&](JobRequest& r) { r.file = "/etc/shadow"; }, "file: \"/etc/shadow\" is not under"},
      {[&](JobRequest& r) {
         r.conf["spark.files"] =
             (root_ / "data" / "jobs" / "other-team-job" / "driver.log").string();
       },
       "conf.\"spark.files\"[0]"},
      {[&](JobRequest& r) { r.file = "--master"; }, "file: \"--master\" is not an absolute path"},
  };
  for (const auto& c : cases) {
    JobRequest r = Valid();
    c.mutate(r);
    auto args = backend_->SubmitArguments(JobWith(r), 4040);
    ASSERT_FALSE(args.ok()) << c.error;
    EXPECT_EQ(args.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(args.status().message().find(c.error), std::string::npos) << args.status().message();
  }
  EXPECT_TRUE(backend_->SubmitArguments(JobWith(Valid()), 4040).ok());
}

}  // namespace
}  // namespace sparkd::cluster
