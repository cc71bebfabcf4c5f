// sparkd: the daemon and its command-line client in one binary.
#include <iostream>
#include <string>
#include <vector>

#include "daemon/cli/admin_commands.h"
#include "daemon/cli/client_commands.h"
#include "daemon/cli/diagnose_command.h"
#include "daemon/cli/preset_commands.h"
#include "daemon/cli/terminal_text.h"
#include "daemon/server/daemon.h"

namespace {

constexpr const char* kUsage =
    "usage: sparkd COMMAND [options]   (sparkd COMMAND --help for each)\n\n"
    "daemon:\n"
    "  serve      run the daemon: gRPC API, HTTP links, and the jobs of its backend\n"
    "  migrate    apply the database schema migrations\n"
    "client (talks to a running daemon):\n"
    "  submit     submit a Spark job and print its id and links\n"
    "  run        submit a job, stream its driver output and state changes, print its report\n"
    "  status     show a job: timeline, executors and why each ended, links\n"
    "  logs       print (or --follow) a job's driver output\n"
    "  cancel     cancel a job\n"
    "  list       list recent jobs\n"
    "  resolve    dry run of submit: the effective spec from your team's presets, and why\n"
    "  presets    apply a folder of presets, list, get, diff and delete them\n"
    "  admin      manage teams and tokens: create, list, revoke (admin token)\n"
    "  (client commands authenticate with the token in SPARKD_TOKEN)\n"
    "offline:\n"
    "  diagnose   say why Spark drivers and executors ended, from pod objects, kubectl output,\n"
    "             driver logs or event logs\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "serve") return sparkd::server::RunServe(args);
  if (command == "migrate") return sparkd::server::RunMigrate(args);
  if (command == "submit") return sparkd::cli::RunSubmit(args);
  if (command == "run") return sparkd::cli::RunRun(args);
  if (command == "status") return sparkd::cli::RunStatus(args);
  if (command == "cancel") return sparkd::cli::RunCancel(args);
  if (command == "logs") return sparkd::cli::RunLogs(args);
  if (command == "list") return sparkd::cli::RunList(args);
  if (command == "resolve") return sparkd::cli::RunResolve(args);
  if (command == "presets") return sparkd::cli::RunPresets(args);
  if (command == "admin") return sparkd::cli::RunAdmin(args);
  if (command == "diagnose") {
    return sparkd::cli::RunDiagnoseCommand(args, std::cin, std::cout, std::cerr);
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "sparkd: unknown command \"" << sparkd::cli::TerminalText(command) << "\"\n\n"
            << kUsage;
  return 2;
}
