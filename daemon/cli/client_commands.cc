#include "daemon/cli/client_commands.h"

#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "daemon/cli/client_common.h"
#include "daemon/cli/job_printer.h"
#include "daemon/cli/job_request_flags.h"
#include "daemon/cli/terminal_text.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::cli {
namespace {

const std::string kSubmitUsage =
    std::string("usage: sparkd submit|run --file APP [--class MAIN] [options] [-- ARGS...]\n\n") +
    kJobRequestFlagsHelp +
    "  --key KEY                idempotency key (default: a new random key)\n"
    "  --server HOST:PORT       the daemon (env SPARKD_SERVER, default 127.0.0.1:9741)\n"
    "  --quiet                  run: do not stream the driver's output\n"
    "The token comes from SPARKD_TOKEN.\n";

FlagSpec SubmitSpec() {
  FlagSpec spec = JobRequestFlagSpec();
  spec.valued.insert("key");
  spec.switches.insert("quiet");
  return spec;
}

std::string RandomKey() {
  std::random_device rd;
  std::ostringstream key;
  key << "cli/" << (std::getenv("USER") ? std::getenv("USER") : "user") << "/" << std::hex << rd()
      << rd();
  return key.str();
}

StatusOr<v1::SubmitJobRequest> BuildSubmit(const ParsedFlags& flags) {
  v1::SubmitJobRequest request;
  ASSIGN_OR_RETURN(*request.mutable_job(), BuildJobRequest(flags));
  request.set_idempotency_key(flags.Get("key").value_or(RandomKey()));
  return request;
}

std::unique_ptr<v1::JobService::Stub> Connect(const ParsedFlags& flags) {
  return v1::JobService::NewStub(DaemonChannel(flags));
}

// Streams the driver's output to stdout until the job has ended and its output is drained (or,
// without `follow`, up to what is written now), or `context` is cancelled. The output is the
// application's: raw into a pipe or a file, escaped on a terminal (see terminal_text.h).
grpc::Status StreamLog(v1::JobService::Stub* stub, const std::string& job_id, bool follow,
                       grpc::ClientContext* context) {
  v1::ReadJobLogRequest request;
  request.set_job_id(job_id);
  request.set_follow(follow);
  auto reader = stub->ReadJobLog(context, request);
  v1::ReadJobLogResponse chunk;
  const bool terminal = StdoutIsTerminal();
  TerminalStream screen;
  while (reader->Read(&chunk)) {
    std::cout << (terminal ? screen.Feed(chunk.data()) : chunk.data()) << std::flush;
  }
  if (terminal) std::cout << screen.Finish() << std::flush;
  return reader->Finish();
}

void FollowLog(v1::JobService::Stub* stub, const std::string& job_id,
               grpc::ClientContext* context) {
  (void)StreamLog(stub, job_id, /*follow=*/true, context);
}

}  // namespace

int RunSubmit(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, SubmitSpec(), kSubmitUsage.c_str());
  if (!flags.ok()) return UsageExit(flags.status(), kSubmitUsage.c_str());
  auto request = BuildSubmit(*flags);
  if (!request.ok()) return UsageExit(request.status(), kSubmitUsage.c_str());
  v1::SubmitJobResponse response;
  grpc::Status status = Connect(*flags)->SubmitJob(AuthorizedContext().get(), *request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  std::cout << TerminalText(response.job().id())
            << (response.created() ? "" : " (already submitted)") << "\n";
  PrintLinks(response.job(), std::cout);
  return 0;
}

int RunRun(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, SubmitSpec(), kSubmitUsage.c_str());
  if (!flags.ok()) return UsageExit(flags.status(), kSubmitUsage.c_str());
  auto request = BuildSubmit(*flags);
  if (!request.ok()) return UsageExit(request.status(), kSubmitUsage.c_str());
  auto stub = Connect(*flags);
  v1::SubmitJobResponse submitted;
  grpc::Status status = stub->SubmitJob(AuthorizedContext().get(), *request, &submitted);
  if (!status.ok()) return ReportError(status, *flags);
  const std::string job_id = submitted.job().id();
  std::cerr << "job " << TerminalText(job_id) << " submitted\n";
  PrintLinks(submitted.job(), std::cerr);

  auto log_context = AuthorizedContext(std::chrono::seconds(0));
  std::thread log_thread;
  if (!flags->Has("quiet"))
    log_thread = std::thread(FollowLog, stub.get(), job_id, log_context.get());
  auto watch_context = AuthorizedContext(std::chrono::seconds(0));
  v1::WatchJobRequest watch;
  watch.set_job_id(job_id);
  auto reader = stub->WatchJob(watch_context.get(), watch);
  v1::WatchJobResponse update;
  v1::Job last = submitted.job();
  while (reader->Read(&update)) {
    last = update.job();
    if (update.has_event()) PrintEvent(update.event(), std::cerr);
  }
  status = reader->Finish();
  if (!status.ok()) log_context->TryCancel();
  if (log_thread.joinable()) log_thread.join();
  if (!status.ok()) return ReportError(status, *flags);
  PrintReport(last, std::cerr);
  return last.state() == v1::JOB_STATE_SUCCEEDED ? 0 : 1;
}

int RunStatus(const std::vector<std::string>& args) {
  const char* usage = "usage: sparkd status JOB_ID [--server HOST:PORT]\n";
  auto flags = ParseCommandFlags(args, {}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("JOB_ID: required"), usage);
  v1::GetJobRequest request;
  request.set_job_id(flags->positional[0]);
  v1::GetJobResponse response;
  grpc::Status status = Connect(*flags)->GetJob(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  PrintJob(response.job(), std::cout);
  return 0;
}

int RunCancel(const std::vector<std::string>& args) {
  const char* usage = "usage: sparkd cancel JOB_ID [--reason TEXT] [--server HOST:PORT]\n";
  auto flags = ParseCommandFlags(args, FlagSpec{{"reason"}, {}, {}}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("JOB_ID: required"), usage);
  v1::CancelJobRequest request;
  request.set_job_id(flags->positional[0]);
  request.set_reason(flags->Get("reason").value_or(""));
  v1::CancelJobResponse response;
  grpc::Status status = Connect(*flags)->CancelJob(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  std::cout << TerminalText(response.job().id()) << " " << StateName(response.job().state())
            << "\n";
  return 0;
}

int RunLogs(const std::vector<std::string>& args) {
  const char* usage =
      "usage: sparkd logs JOB_ID [--follow] [--server HOST:PORT]\n\n"
      "Prints the driver's output; --follow keeps printing until the job has ended.\n"
      "Control sequences are escaped when stdout is a terminal, kept raw otherwise.\n";
  auto flags = ParseCommandFlags(args, FlagSpec{{}, {"follow"}, {}}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  if (flags->positional.size() != 1) return UsageExit(InvalidArgument("JOB_ID: required"), usage);
  auto context =
      AuthorizedContext(flags->Has("follow") ? std::chrono::seconds(0) : std::chrono::seconds(300));
  grpc::Status status =
      StreamLog(Connect(*flags).get(), flags->positional[0], flags->Has("follow"), context.get());
  return status.ok() ? 0 : ReportError(status, *flags);
}

int RunList(const std::vector<std::string>& args) {
  const char* usage =
      "usage: sparkd list [--state STATE]... [--team TEAM] [--limit N] [--server HOST:PORT]\n";
  auto flags = ParseCommandFlags(args, FlagSpec{{"state", "team", "limit"}, {}, {"state"}}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  v1::ListJobsRequest request;
  if (auto it = flags->values.find("state"); it != flags->values.end()) {
    for (const auto& name : it->second) {
      v1::JobState state;
      if (!v1::JobState_Parse("JOB_STATE_" + name, &state)) {
        return UsageExit(InvalidArgument("--state: \"" + name + "\" is not a job state"), usage);
      }
      request.add_states(state);
    }
  }
  request.set_team(flags->Get("team").value_or(""));
  int limit = 20;
  if (auto value = flags->Get("limit")) {
    try {
      limit = std::stoi(*value);
    } catch (const std::exception&) {
      return UsageExit(InvalidArgument("--limit: \"" + *value + "\" is not a whole number"), usage);
    }
  }
  if (limit <= 0) return UsageExit(InvalidArgument("--limit: must be at least 1"), usage);
  // A page may hold fewer jobs than asked for (pages are bounded in bytes too): follow the
  // pages until `limit` jobs or the last page.
  std::vector<v1::JobSummary> jobs;
  auto stub = Connect(*flags);
  do {
    request.set_page_size(limit - static_cast<int>(jobs.size()));
    v1::ListJobsResponse response;
    grpc::Status status = stub->ListJobs(AuthorizedContext().get(), request, &response);
    if (!status.ok()) return ReportError(status, *flags);
    for (auto& job : *response.mutable_jobs()) jobs.push_back(std::move(job));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && static_cast<int>(jobs.size()) < limit);
  PrintJobTable(jobs, std::cout);
  return 0;
}

}  // namespace sparkd::cli
