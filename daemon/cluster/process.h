// Detached child processes that outlive the daemon: started in their own session (so a signal
// to the process group reaches spark-submit and every JVM it forks), identified by pid plus
// kernel start time (so a reused pid is never mistaken for ours).
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

StatusOr<ProcessId> SpawnDetached(const SpawnOptions& options);

// The kernel start time of `pid`, nullopt if there is no such (non-zombie) process.
std::optional<uint64_t> ProcessStartTime(pid_t pid);

// True while the process runs (a zombie child is reaped and counts as ended).
bool IsRunning(const ProcessId& id);

// SIGTERM to the whole process group, then SIGKILL after `grace` if it still runs.
// Returns at once; the escalation happens on a background thread.
void TerminateGroup(const ProcessId& id, std::chrono::seconds grace);

}  // namespace sparkd::cluster
