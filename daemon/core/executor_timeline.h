// Builds per-executor records (id, host, start, end, removal text, exit code) from Spark event
// log lines: SparkListenerExecutorAdded and SparkListenerExecutorRemoved. The raw evidence the
// classifier turns into reasons.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/job.h"

namespace sparkd {

class ExecutorTimeline {
 public:
  // One event log line; lines of other events and malformed lines are ignored.
  void AddEventLogLine(std::string_view line);

  // Executors in order of first appearance.
  std::vector<ExecutorRecord> Records() const;

 private:
  std::map<std::string, ExecutorRecord> by_id_;
  std::vector<std::string> order_;
};

}  // namespace sparkd
