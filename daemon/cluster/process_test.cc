// SpawnDetached against the real kernel: children that cannot start say why (and leave no pid
// file), children that run record their exit status, and every child is reaped as it ends.
#include "daemon/cluster/process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace sparkd::cluster {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits for `condition` up to `timeout`; the result of its last call.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A zombie keeps its /proc entry until it is reaped.
bool Reaped(pid_t pid) { return !fs::exists("/proc/" + std::to_string(pid)); }

class SpawnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sparkd-process-test-" + std::to_string(getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  SpawnOptions Options(std::vector<std::string> argv, const std::string& name = "job") {
    SpawnOptions options;
    options.argv = std::move(argv);
    options.env = {{"PATH", "/usr/bin:/bin"}};
    options.working_dir = dir_.string();
    options.output_path = (dir_ / (name + ".log")).string();
    options.pid_path = (dir_ / (name + ".pid")).string();
    options.exit_status_path = (dir_ / (name + ".exit")).string();
    return options;
  }

  fs::path dir_;
};

TEST_F(SpawnTest, ChildThatCannotStartSaysWhyAndLeavesNoPidFile) {
  fs::path plain_file = dir_ / "not-a-program";
  std::ofstream(plain_file) << "data\n";
  // One argument over the kernel's MAX_ARG_STRLEN (32 pages): execve fails with E2BIG.
  std::string huge(256 * 1024, 'x');
  struct Case {
    std::string name;
    std::function<void(SpawnOptions&)> spoil;
    std::string message;
  } cases[] = {
      {"huge argument", [&](SpawnOptions& o) { o.argv.push_back(huge); },
       "sh could not start: Argument list too long (E2BIG)"},
      {"huge environment", [&](SpawnOptions& o) { o.env["BIG"] = huge; },
       "sh could not start: Argument list too long (E2BIG)"},
      {"missing program", [&](SpawnOptions& o) { o.argv[0] = (dir_ / "nope").string(); },
       "nope could not start: " + (dir_ / "nope").string() +
           ": No such file or directory (ENOENT)"},
      {"not executable", [&](SpawnOptions& o) { o.argv[0] = plain_file.string(); },
       "not-a-program could not start: " + plain_file.string() + ": Permission denied (EACCES)"},
      {"missing working dir", [&](SpawnOptions& o) { o.working_dir = (dir_ / "gone").string(); },
       "sh could not start: cannot enter the working directory: No such file or directory "
       "(ENOENT)"},
      {"missing log folder", [&](SpawnOptions& o) { o.output_path = (dir_ / "x/y.log").string(); },
       "sh could not start: cannot open the output file: No such file or directory (ENOENT)"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    SpawnOptions options = Options({"/bin/sh", "-c", "exit 0"}, "case");
    c.spoil(options);
    auto spawned = SpawnDetached(options);
    ASSERT_FALSE(spawned.ok());
    EXPECT_EQ(spawned.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(spawned.status().message(), c.message);
    EXPECT_FALSE(fs::exists(options.pid_path)) << "a pid file would be adopted after a restart";
    EXPECT_FALSE(fs::exists(options.pid_path + ".tmp"));
    if (fs::exists(options.output_path)) {
      EXPECT_NE(Slurp(options.output_path).find(c.message), std::string::npos);
    }
    fs::remove(options.output_path);
  }
}

TEST_F(SpawnTest, RecordsTheExitStatusAndReapsTheChild) {
  struct Case {
    std::string name;
    std::map<std::string, std::string> env;
  } cases[] = {
      {"default PATH", {{"PATH", "/usr/bin:/bin"}}},
      // The job's environment is the job's: the wrapper must not need it to record the status.
      {"useless PATH", {{"PATH", "/nonexistent"}}},
      {"no PATH", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SpawnOptions options = Options({"/bin/sh", "-c", "echo out; exit 3"}, c.name.substr(0, 2));
    options.env = c.env;
    auto spawned = SpawnDetached(options);
    ASSERT_TRUE(spawned.ok()) << spawned.status().ToString();
    EXPECT_GT(spawned->start_time, 0u);
    EXPECT_EQ(Slurp(options.pid_path), "pid " + std::to_string(spawned->pid) + "\n");
    ASSERT_TRUE(WaitFor([&] { return fs::exists(options.exit_status_path); }))
        << Slurp(options.output_path);
    EXPECT_EQ(Slurp(options.exit_status_path), "3\n");
    EXPECT_EQ(Slurp(options.output_path), "out\n");
    EXPECT_TRUE(WaitFor([&] { return Reaped(spawned->pid); })) << "left a zombie";
    EXPECT_FALSE(IsRunning(*spawned));
  }
}

TEST_F(SpawnTest, ManyChildrenLeaveNoZombie) {
  std::vector<pid_t> pids;
  for (int i = 0; i < 24; ++i) {
    auto spawned = SpawnDetached(Options({"/bin/true"}, "many-" + std::to_string(i)));
    ASSERT_TRUE(spawned.ok()) << spawned.status().ToString();
    pids.push_back(spawned->pid);
  }
  for (pid_t pid : pids) EXPECT_TRUE(WaitFor([&] { return Reaped(pid); })) << "pid " << pid;
}

TEST_F(SpawnTest, ChildGetsNoneOfTheDaemonsDescriptors) {
  // A descriptor the daemon opened without O_CLOEXEC (httplib's sockets are such).
  int leaky = dup(STDERR_FILENO);
  ASSERT_GE(leaky, 3);
  SpawnOptions options =
      Options({"/bin/sh", "-c", "test ! -e /proc/self/fd/" + std::to_string(leaky)});
  auto spawned = SpawnDetached(options);
  close(leaky);
  ASSERT_TRUE(spawned.ok()) << spawned.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(options.exit_status_path); }));
  EXPECT_EQ(Slurp(options.exit_status_path), "0\n") << "fd " << leaky << " reached the child";
}

TEST_F(SpawnTest, TerminateGroupStopsTheWholeGroup) {
  SpawnOptions options = Options({"/bin/sh", "-c", "sleep 600 & sleep 600; wait"});
  auto spawned = SpawnDetached(options);
  ASSERT_TRUE(spawned.ok()) << spawned.status().ToString();
  ASSERT_TRUE(IsRunning(*spawned));
  TerminateGroup(*spawned, std::chrono::seconds(5));
  EXPECT_TRUE(WaitFor([&] { return kill(-spawned->pid, 0) != 0; })) << "the group still runs";
  EXPECT_TRUE(WaitFor([&] { return Reaped(spawned->pid); }));
  EXPECT_FALSE(fs::exists(options.exit_status_path)) << "a killed group records no status";
}

TEST(ErrnoTextTest, NamesTheError) {
  EXPECT_EQ(ErrnoText(E2BIG), "Argument list too long (E2BIG)");
  EXPECT_EQ(ErrnoText(ENOENT), "No such file or directory (ENOENT)");
}

}  // namespace
}  // namespace sparkd::cluster
