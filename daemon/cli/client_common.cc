#include "daemon/cli/client_common.h"

#include <cstdlib>
#include <iostream>

#include "daemon/cli/terminal_text.h"

namespace sparkd::cli {

std::string DaemonAddress(const ParsedFlags& flags) {
  if (auto server = flags.Get("server")) return *server;
  if (const char* env = std::getenv("SPARKD_SERVER"); env && *env) return env;
  return "127.0.0.1:9741";
}

std::shared_ptr<grpc::Channel> DaemonChannel(const ParsedFlags& flags) {
  return grpc::CreateChannel(DaemonAddress(flags), grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> AuthorizedContext(std::chrono::seconds deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (const char* token = std::getenv("SPARKD_TOKEN"); token && *token) {
    context->AddMetadata("authorization", std::string("Bearer ") + token);
  }
  if (deadline.count() > 0) context->set_deadline(std::chrono::system_clock::now() + deadline);
  return context;
}

int ReportError(const grpc::Status& status, const ParsedFlags& flags) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "sparkd: cannot reach the daemon at " << TerminalText(DaemonAddress(flags)) << ": "
              << TerminalText(status.error_message(), Newlines::kKeep) << "\n";
    return kExitUnavailable;
  }
  std::cerr << "sparkd: " << TerminalText(status.error_message(), Newlines::kKeep) << "\n";
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    std::cerr << "sparkd: set SPARKD_TOKEN to a token from `sparkd admin create-token`\n";
  }
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? kExitUsage : 1;
}

StatusOr<ParsedFlags> ParseCommandFlags(const std::vector<std::string>& args, FlagSpec spec,
                                        const char* usage) {
  spec.valued.insert("server");
  spec.switches.insert("help");
  auto flags = ParseFlags(args, spec);
  if (!flags.ok()) return flags.status();
  if (flags->Has("help")) {
    std::cout << usage;
    return Status(StatusCode::kCancelled, "");
  }
  return flags;
}

int UsageExit(const Status& status, const char* usage) {
  if (status.code() == StatusCode::kCancelled) return 0;
  std::cerr << "sparkd: " << TerminalText(status.message(), Newlines::kKeep) << "\n\n" << usage;
  return kExitUsage;
}

}  // namespace sparkd::cli
