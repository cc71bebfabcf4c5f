// What the client subcommands of admin_commands and preset_commands share: the daemon's
// address, the token, usage and RPC error reporting.
//
// The token comes from SPARKD_TOKEN only, never a flag: flags show up in `ps` and shell history.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/cli/flags.h"
#include "daemon/core/status.h"

namespace sparkd::cli {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;

// --server, else SPARKD_SERVER, else 127.0.0.1:9741.
std::string DaemonAddress(const ParsedFlags& flags);
std::shared_ptr<grpc::Channel> DaemonChannel(const ParsedFlags& flags);

// A context carrying `authorization: Bearer $SPARKD_TOKEN` and, unless `deadline` is zero (for
// streams that last as long as a job), a deadline.
std::unique_ptr<grpc::ClientContext> AuthorizedContext(
    std::chrono::seconds deadline = std::chrono::seconds(30));

// Prints the error; returns the exit code (3 unreachable, 2 invalid argument, else 1).
int ReportError(const grpc::Status& status, const ParsedFlags& flags);

// Parses flags; --help prints `usage` and yields CANCELLED (UsageExit returns 0 for it).
StatusOr<ParsedFlags> ParseCommandFlags(const std::vector<std::string>& args, FlagSpec spec,
                                        const char* usage);
int UsageExit(const Status& status, const char* usage);

}  // namespace sparkd::cli
