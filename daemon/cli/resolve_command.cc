// `sparkd resolve`: the submit flags, sent to JobService.ResolveJob instead of SubmitJob.
#include <iostream>
#include <nlohmann/json.hpp>

#include "daemon/cli/client_common.h"
#include "daemon/cli/job_printer.h"
#include "daemon/cli/job_request_flags.h"
#include "daemon/cli/preset_commands.h"
#include "daemon/cli/terminal_text.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::cli {
namespace {

const char* kResolveUsage =
    "usage: sparkd resolve --file APP [--class MAIN] [--job-type TYPE] [submit options]\n\n"
    "Resolves the job against your team's presets without submitting it, and prints the\n"
    "effective spec, which layer set each field, the Spark conf and any warnings.\n"
    "Takes the options of `sparkd submit` (see sparkd submit --help).\n";

void PrintResolved(const v1::ResolveJobResponse& response, std::ostream& out) {
  out << "presets: " << PresetRefsText(response.presets_used()) << "\n\neffective spec:\n"
      << TerminalText(nlohmann::json::parse(response.effective_spec_json(), nullptr, false).dump(2),
                      Newlines::kKeep)
      << "\n\nset by:\n";
  for (const auto& [path, layer] : std::map<std::string, std::string>(
           response.provenance().begin(), response.provenance().end())) {
    out << "  " << TerminalText(path) << "\t" << TerminalText(layer) << "\n";
  }
  out << "\nspark conf:\n";
  for (const auto& [key, value] : std::map<std::string, std::string>(response.spark_conf().begin(),
                                                                     response.spark_conf().end())) {
    out << "  " << TerminalText(key) << "=" << TerminalText(value) << "\n";
  }
  for (const auto& warning : response.warnings()) {
    out << "warning: " << TerminalText(warning, Newlines::kKeep) << "\n";
  }
}

}  // namespace

int RunResolve(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, JobRequestFlagSpec(), kResolveUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kResolveUsage);
  auto job = BuildJobRequest(*flags);
  if (!job.ok()) return UsageExit(job.status(), kResolveUsage);
  v1::ResolveJobRequest request;
  *request.mutable_job() = std::move(*job);
  v1::ResolveJobResponse response;
  auto status = v1::JobService::NewStub(DaemonChannel(*flags))
                    ->ResolveJob(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  PrintResolved(response, std::cout);
  return 0;
}

}  // namespace sparkd::cli
