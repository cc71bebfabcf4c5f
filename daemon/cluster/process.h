// Detached child processes that outlive the daemon: started in their own session (so a signal
// to the process group reaches spark-submit and every JVM it forks), identified by pid plus
// kernel start time (so a reused pid is never mistaken for ours).
//
// While the daemon runs, the children it started are its own: a reaper thread waits for each
// one (through a pidfd, so it waits for exactly that process and never for children other code
// started) and reaps it the moment it ends, so a long-running daemon keeps no zombies. What a
// child's end means is read from the files it leaves (exit_status), never from the reap, so a
// child that outlived a restarted daemon (adopted, reaped by init) is observed the same way.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd::cluster {

struct ProcessId {
  pid_t pid = 0;
  uint64_t start_time = 0;  // field 22 of /proc/PID/stat; 0 = unknown

  std::string ToString() const;  // "pid 123 start 456"
  static std::optional<ProcessId> Parse(std::string_view text);
};

struct SpawnOptions {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // the whole environment of the child
  std::string working_dir;
  std::string output_path;  // stdout and stderr, appended
  // Written (atomically) by the child itself before it execs, so the process can be found
  // even if the daemon dies right after fork.
  std::string pid_path;
  // Written by the shell that wraps argv when argv exits: its exit status, then renamed into
  // place. Absent when the process group was killed.
  std::string exit_status_path;
};

// Starts `argv` under a shell that records its exit status, and returns once the shell runs.
// When the child cannot get that far (argv[0] or the shell cannot be executed: E2BIG for an
// argument list over the kernel's limit, ENOENT, EACCES; or the log, the working directory or
// the pid file cannot be set up) nothing runs, no pid file is left behind, the reason is
// appended to `output_path` when it could be opened, and the answer is FAILED_PRECONDITION
// "<program> could not start: Argument list too long (E2BIG)".
StatusOr<ProcessId> SpawnDetached(const SpawnOptions& options);

// "Argument list too long (E2BIG)": strerror with the errno's symbolic name.
std::string ErrnoText(int error);

// The kernel start time of `pid`, nullopt if there is no such process or, unless
// `even_if_ended`, it has ended and waits to be reaped (a zombie).
std::optional<uint64_t> ProcessStartTime(pid_t pid, bool even_if_ended = false);

// True while the process runs (a zombie counts as ended; the reaper collects it).
bool IsRunning(const ProcessId& id);

// SIGTERM to the whole process group, then SIGKILL after `grace` if it still runs.
// Returns at once; the escalation happens on a background thread.
void TerminateGroup(const ProcessId& id, std::chrono::seconds grace);

}  // namespace sparkd::cluster
