#include "daemon/cli/job_request_flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sparkd::cli {
namespace {

namespace fs = std::filesystem;

// Runs in a fresh folder holding app.jar, dep.py and lib/x.jar; restores the working directory.
class JobRequestPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = fs::current_path();
    dir_ = fs::temp_directory_path() / ("sparkd-flags-test-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "lib");
    for (const char* name : {"app.jar", "dep.py", "lib/x.jar"}) std::ofstream(dir_ / name) << "x";
    fs::current_path(dir_);
  }
  void TearDown() override {
    fs::current_path(previous_);
    fs::remove_all(dir_);
  }

  StatusOr<v1::JobRequest> Build(const std::vector<std::string>& args) {
    auto flags = ParseFlags(args, JobRequestFlagSpec());
    if (!flags.ok()) return flags.status();
    return BuildJobRequest(*flags);
  }

  fs::path previous_;
  fs::path dir_;
};

TEST_F(JobRequestPathsTest, LocalPathsGoAbsoluteAndUrlsAsGiven) {
  auto built = Build({"--file", "app.jar", "--py-files", "dep.py,s3a://bucket/b.zip", "--jars",
                      "./lib/../lib/x.jar,local:/opt/spark/jars/y.jar", "--files",
                      (dir_ / "dep.py").string() + ",hdfs://nn:8020/data/f.txt"});
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->file(), (dir_ / "app.jar").string());
  EXPECT_EQ(std::vector<std::string>(built->py_files().begin(), built->py_files().end()),
            (std::vector<std::string>{(dir_ / "dep.py").string(), "s3a://bucket/b.zip"}));
  EXPECT_EQ(
      std::vector<std::string>(built->jars().begin(), built->jars().end()),
      (std::vector<std::string>{(dir_ / "lib/x.jar").string(), "local:/opt/spark/jars/y.jar"}));
  EXPECT_EQ(std::vector<std::string>(built->files().begin(), built->files().end()),
            (std::vector<std::string>{(dir_ / "dep.py").string(), "hdfs://nn:8020/data/f.txt"}));
}

TEST_F(JobRequestPathsTest, AMissingLocalPathNamesItsFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--file", "build/app.jar"},
       "--file: \"build/app.jar\" does not exist (looked for " + (dir_ / "build/app.jar").string() +
           ")"},
      {{"--file", "app.jar", "--py-files", "dep.py,gone.py"},
       "--py-files: \"gone.py\" does not exist (looked for " + (dir_ / "gone.py").string() + ")"},
      {{"--file", "app.jar", "--jars", "nope.jar"},
       "--jars: \"nope.jar\" does not exist (looked for " + (dir_ / "nope.jar").string() + ")"},
      {{"--file", "app.jar", "--files", "s3a://b/ok,none.txt"},
       "--files: \"none.txt\" does not exist (looked for " + (dir_ / "none.txt").string() + ")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    auto built = Build(c.args);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(built.status().message(), c.message);
  }
}

// The daemon's file policy judges absolute paths on its own machine, so the CLI does not look.
TEST_F(JobRequestPathsTest, AnAbsolutePathGoesToTheDaemonAsGiven) {
  auto built = Build({"--file", "/nowhere/app.jar", "--jars", "/opt/jobs/lib.jar"});
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->file(), "/nowhere/app.jar");
  EXPECT_EQ(std::vector<std::string>(built->jars().begin(), built->jars().end()),
            (std::vector<std::string>{"/opt/jobs/lib.jar"}));
}

TEST_F(JobRequestPathsTest, NoFileIsLeftForTheDaemonToRefuse) {
  auto built = Build({"--class", "Main"});
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->file(), "");
}

}  // namespace
}  // namespace sparkd::cli
