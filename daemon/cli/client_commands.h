// The client subcommands: submit, status, cancel, logs, list and run talk to a running daemon over
// gRPC (--server or SPARKD_SERVER, default 127.0.0.1:9741).
#pragma once

#include <string>
#include <vector>

namespace sparkd::cli {

int RunSubmit(const std::vector<std::string>& args);
int RunStatus(const std::vector<std::string>& args);
int RunCancel(const std::vector<std::string>& args);
int RunList(const std::vector<std::string>& args);
// Prints the driver's output (raw into a pipe or file, escaped on a terminal); --follow
// streams it until the job has ended.
int RunLogs(const std::vector<std::string>& args);
// Submits, prints every state change and the driver's output, then the report. Exits 0 when
// the job succeeded, 1 when it failed or was cancelled.
int RunRun(const std::vector<std::string>& args);

}  // namespace sparkd::cli
