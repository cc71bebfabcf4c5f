#include "daemon/cluster/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace sparkd::cluster {
namespace {

// Runs argv, then records its exit status atomically. `exec` would lose the status, so the
// shell stays as the group leader and waits. `command -p` finds mv on the system's default
// path: the job's own PATH may point anywhere, and a missing mv would lose the status.
constexpr const char* kWrapper =
    "\"$@\"; status=$?; echo $status > \"$SPARKD_EXIT_FILE.tmp\" && "
    "command -p mv \"$SPARKD_EXIT_FILE.tmp\" \"$SPARKD_EXIT_FILE\"; exit $status";

// What the child was doing when it failed; sent with errno through the launch pipe.
enum class Stage : int { kSession, kLog, kStdio, kWorkingDir, kPidFile, kProgram, kExec };

const char* StageText(Stage stage) {
  switch (stage) {
    case Stage::kSession:
      return "cannot start a session";
    case Stage::kLog:
      return "cannot open the output file";
    case Stage::kStdio:
      return "cannot redirect its output";
    case Stage::kWorkingDir:
      return "cannot enter the working directory";
    case Stage::kPidFile:
      return "cannot write the pid file";
    case Stage::kProgram:
    case Stage::kExec:
      return "";
  }
  return "";
}

struct ChildFailure {
  Stage stage;
  int error;
};

// Async-signal-safe decimal formatting for the child between fork and exec.
size_t FormatDecimal(long value, char* out) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return n;
}

// Where the child reports to and what it must not leave behind.
struct ChildReport {
  int fd;
  const char* pid_path;
  const char* pid_tmp;
};

// Reports why the child cannot run and ends it. Only async-signal-safe calls: the parent is
// multi-threaded. The pid file goes: nothing runs, so nothing may be adopted after a restart.
[[noreturn]] void ChildFail(const ChildReport& report, Stage stage) {
  ChildFailure failure{stage, errno};
  unlink(report.pid_tmp);
  unlink(report.pid_path);
  (void)!write(report.fd, &failure, sizeof(failure));
  _exit(127);
}

// Reaps the children SpawnDetached started, each as soon as it ends. One thread for the whole
// process (the children are the process's), started with the first child and never stopped:
// it must outlive every child, and it holds nothing but their pidfds.
class ChildReaper {
 public:
  static ChildReaper& Get() {
    static ChildReaper* reaper = new ChildReaper();  // never destroyed: see the class comment
    return *reaper;
  }

  void Watch(pid_t pid) {
    // Through syscall(): glibc 2.36 declares pidfd_open without C linkage for C++.
    int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    std::lock_guard lock(mu_);
    // Without pidfds (an old kernel, a strict seccomp profile) the thread polls the pid.
    pending_.push_back({pid, fd});
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }

 private:
  struct Child {
    pid_t pid;
    int pidfd;  // -1: polled with waitpid
  };

  ChildReaper() : wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    std::thread([this] { Loop(); }).detach();
  }

  void Loop() {
    std::vector<Child> children;
    while (true) {
      std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}};
      bool polling = false;
      for (const Child& c : children) {
        if (c.pidfd >= 0) fds.push_back({c.pidfd, POLLIN, 0});
        polling = polling || c.pidfd < 0;
      }
      if (poll(fds.data(), fds.size(), polling ? 1000 : -1) < 0 && errno != EINTR) return;
      if (fds[0].revents & POLLIN) {
        uint64_t count = 0;
        (void)!read(wake_fd_, &count, sizeof(count));
        std::lock_guard lock(mu_);
        children.insert(children.end(), pending_.begin(), pending_.end());
        pending_.clear();
      }
      std::erase_if(children, [](const Child& c) { return Reaped(c); });
    }
  }

  // True once `c` has ended and is reaped (or turned out not to be ours any more).
  static bool Reaped(const Child& c) {
    siginfo_t info{};
    int rc = c.pidfd >= 0 ? waitid(P_PIDFD, static_cast<id_t>(c.pidfd), &info, WEXITED | WNOHANG)
                          : waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG);
    if (rc == 0 && info.si_pid == 0) return false;  // still running
    if (c.pidfd >= 0) close(c.pidfd);
    return true;
  }

  const int wake_fd_;
  std::mutex mu_;
  std::vector<Child> pending_;  // GUARDED_BY(mu_)
};

// The child's side of SpawnDetached, after fork: only async-signal-safe calls.
[[noreturn]] void RunChild(const SpawnOptions& options, char* const* argv, char* const* envp,
                           const ChildReport& report) {
  // Every descriptor the daemon holds (sockets, listening ports, database connections) closes
  // at exec: a job must not keep the daemon's HTTP port bound after the daemon is gone.
  (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (setsid() < 0) ChildFail(report, Stage::kSession);
  int out = open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) ChildFail(report, Stage::kLog);
  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
      dup2(out, STDERR_FILENO) < 0) {
    ChildFail(report, Stage::kStdio);
  }
  if (chdir(options.working_dir.c_str()) < 0) ChildFail(report, Stage::kWorkingDir);
  int pid_fd = open(report.pid_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (pid_fd < 0) ChildFail(report, Stage::kPidFile);
  char buf[32] = {'p', 'i', 'd', ' '};
  size_t n = 4 + FormatDecimal(getpid(), buf + 4);
  buf[n++] = '\n';
  if (write(pid_fd, buf, n) != static_cast<ssize_t>(n)) {
    ChildFail(report, Stage::kPidFile);
  }
  close(pid_fd);
  if (rename(report.pid_tmp, report.pid_path) < 0) ChildFail(report, Stage::kPidFile);
  // The shell would only say "not found" in the log and exit 127: check the program here,
  // where the errno can still be reported.
  if (access(options.argv[0].c_str(), X_OK) < 0) ChildFail(report, Stage::kProgram);
  execve(argv[0], argv, envp);
  ChildFail(report, Stage::kExec);
}

// Waits for the child's report: end of file once its exec succeeded (the pipe is close-on-
// exec), a ChildFailure if it did not get there.
std::optional<ChildFailure> ReadChildReport(int fd) {
  ChildFailure failure{};
  size_t got = 0;
  while (got < sizeof(failure)) {
    ssize_t n = read(fd, reinterpret_cast<char*>(&failure) + got, sizeof(failure) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got < sizeof(failure)) return std::nullopt;
  return failure;
}

std::string FailureText(const SpawnOptions& options, const ChildFailure& failure) {
  std::string program =
      std::filesystem::path(options.argv.empty() ? "" : options.argv[0]).filename().string();
  std::string text = program + " could not start: ";
  const char* stage = StageText(failure.stage);
  if (*stage) text += std::string(stage) + ": ";
  if (failure.stage == Stage::kProgram) text += options.argv[0] + ": ";
  return text + ErrnoText(failure.error);
}

}  // namespace

std::string ErrnoText(int error) {
  const char* name = strerrorname_np(error);
  return std::string(std::strerror(error)) + " (" + (name ? name : std::to_string(error)) + ")";
}

std::string ProcessId::ToString() const {
  return "pid " + std::to_string(pid) + " start " + std::to_string(start_time);
}

std::optional<ProcessId> ProcessId::Parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string word;
  ProcessId id;
  while (in >> word) {
    if (word == "pid") in >> id.pid;
    if (word == "start") in >> id.start_time;
  }
  if (id.pid <= 0) return std::nullopt;
  return id;
}

std::optional<uint64_t> ProcessStartTime(pid_t pid, bool even_if_ended) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  std::string state;
  fields >> state;  // field 3
  if (!even_if_ended && (state == "Z" || state == "X")) return std::nullopt;
  for (int i = 4; i < 22 && fields >> field; ++i) {
  }
  uint64_t start = 0;
  if (!(fields >> start)) return std::nullopt;
  return start;
}

bool IsRunning(const ProcessId& id) {
  auto start = ProcessStartTime(id.pid);
  if (!start) return false;
  return id.start_time == 0 || *start == id.start_time;
}

StatusOr<ProcessId> SpawnDetached(const SpawnOptions& options) {
  if (options.argv.empty()) return InvalidArgument("SpawnDetached: argv is empty");
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {"/bin/sh", "-c", kWrapper, "sparkd-job"};
  args.insert(args.end(), options.argv.begin(), options.argv.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  env_strings.push_back("SPARKD_EXIT_FILE=" + options.exit_status_path);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string pid_tmp = options.pid_path + ".tmp";

  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) return Internal("pipe: " + ErrnoText(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int error = errno;
    close(report[0]);
    close(report[1]);
    return Internal("fork: " + ErrnoText(error));
  }
  if (pid == 0) {
    close(report[0]);
    RunChild(options, argv.data(), envp.data(),
             ChildReport{report[1], options.pid_path.c_str(), pid_tmp.c_str()});
  }
  close(report[1]);
  std::optional<ChildFailure> failure = ReadChildReport(report[0]);
  close(report[0]);
  if (failure) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string text = FailureText(options, *failure);
    // Past kLog the output file exists: whoever reads the job's log learns why it is empty.
    if (failure->stage > Stage::kLog) {
      std::ofstream(options.output_path, std::ios::app) << "sparkd: " << text << "\n";
    }
    return FailedPrecondition(text);
  }
  ProcessId id{pid, 0};
  // Not reaped before the reaper has it, so the pid cannot be reused: the start time is ours,
  // even when a quick job has already exited (a zombie keeps its stat).
  if (auto start = ProcessStartTime(pid, /*even_if_ended=*/true)) id.start_time = *start;
  ChildReaper::Get().Watch(pid);
  return id;
}

void TerminateGroup(const ProcessId& id, std::chrono::seconds grace) {
  if (!IsRunning(id)) return;
  kill(-id.pid, SIGTERM);
  std::thread([id, grace] {
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!IsRunning(id) && kill(-id.pid, 0) != 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(-id.pid, SIGKILL);
  }).detach();
}

}  // namespace sparkd::cluster
