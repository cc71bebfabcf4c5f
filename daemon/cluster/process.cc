#include "daemon/cluster/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace sparkd::cluster {
namespace {

// Runs argv, then records its exit status atomically. `exec` would lose the status, so the
// shell stays as the group leader and waits.
constexpr const char* kWrapper =
    "\"$@\"; status=$?; echo $status > \"$SPARKD_EXIT_FILE.tmp\" && "
    "mv \"$SPARKD_EXIT_FILE.tmp\" \"$SPARKD_EXIT_FILE\"; exit $status";

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

[[noreturn]] void ChildFail(const char* what) {
  (void)!write(STDERR_FILENO, what, std::strlen(what));
  _exit(127);
}

}  // namespace

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

std::optional<uint64_t> ProcessStartTime(pid_t pid) {
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
  if (state == "Z" || state == "X") return std::nullopt;
  for (int i = 4; i < 22 && fields >> field; ++i) {
  }
  uint64_t start = 0;
  if (!(fields >> start)) return std::nullopt;
  return start;
}

bool IsRunning(const ProcessId& id) {
  // Reap it if it is our child, so a finished process is not kept as a zombie.
  int status = 0;
  (void)waitpid(id.pid, &status, WNOHANG);
  auto start = ProcessStartTime(id.pid);
  if (!start) return false;
  return id.start_time == 0 || *start == id.start_time;
}

StatusOr<ProcessId> SpawnDetached(const SpawnOptions& options) {
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

  pid_t pid = fork();
  if (pid < 0) return Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (setsid() < 0) ChildFail("setsid failed\n");
    int out = open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) ChildFail("cannot open the driver log\n");
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(out, STDERR_FILENO) < 0) {
      ChildFail("dup2 failed\n");
    }
    if (chdir(options.working_dir.c_str()) < 0) ChildFail("cannot enter the job directory\n");
    int pid_fd = open(pid_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (pid_fd < 0) ChildFail("cannot write the pid file\n");
    char buf[32] = {'p', 'i', 'd', ' '};
    size_t n = 4 + FormatDecimal(getpid(), buf + 4);
    buf[n++] = '\n';
    if (write(pid_fd, buf, n) != static_cast<ssize_t>(n)) ChildFail("cannot write the pid file\n");
    close(pid_fd);
    if (rename(pid_tmp.c_str(), options.pid_path.c_str()) < 0) ChildFail("rename pid file\n");
    execve(argv[0], argv.data(), envp.data());
    ChildFail("exec /bin/sh failed\n");
  }
  ProcessId id{pid, 0};
  // The child is ours until it execs; its start time does not change across exec.
  if (auto start = ProcessStartTime(pid)) id.start_time = *start;
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
    int status = 0;
    (void)waitpid(id.pid, &status, WNOHANG);
  }).detach();
}

}  // namespace sparkd::cluster
