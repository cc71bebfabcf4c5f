#include "daemon/cli/client_commands.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <random>
#include <thread>

#include "daemon/cli/flags.h"
#include "daemon/cli/job_printer.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::cli {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitUnavailable = 3;

const char* kSubmitUsage =
    "usage: sparkd submit|run --file APP [--class MAIN] [options] [-- ARGS...]\n\n"
    "  --file APP               application jar or .py file (required)\n"
    "  --class MAIN             main class of a JVM application\n"
    "  --name NAME              application name\n"
    "  --job-type TYPE          the team preset to apply\n"
    "  --driver-memory SIZE     e.g. 1g      --driver-cores N\n"
    "  --executor-memory SIZE   e.g. 4g      --executor-cores N\n"
    "  --num-executors N        executor count (local backend: with --local-cluster)\n"
    "  --dynamic-allocation     with --min-executors N --max-executors N --initial-executors N\n"
    "  --conf KEY=VALUE         Spark conf, repeatable\n"
    "  --env NAME=VALUE         driver environment, repeatable\n"
    "  --label KEY=VALUE        job label, repeatable\n"
    "  --py-files A,B  --jars A,B  --files A,B\n"
    "  --local-cluster          local backend: one JVM per executor (local-cluster[...])\n"
    "  --key KEY                idempotency key (default: a new random key)\n"
    "  --server HOST:PORT       the daemon (env SPARKD_SERVER, default 127.0.0.1:9741)\n"
    "  --quiet                  run: do not stream the driver's output\n";

FlagSpec SubmitSpec() {
  FlagSpec spec;
  spec.valued = {"file", "class", "name", "job-type", "driver-memory", "driver-cores",
                 "executor-memory", "executor-cores", "num-executors", "min-executors",
                 "max-executors", "initial-executors", "conf", "env", "label", "py-files",
                 "jars", "files", "key", "server"};
  spec.repeated = {"conf", "env", "label"};
  spec.switches = {"dynamic-allocation", "local-cluster", "quiet", "help"};
  return spec;
}

std::string ServerAddress(const ParsedFlags& flags) {
  if (auto server = flags.Get("server")) return *server;
  if (const char* env = std::getenv("SPARKD_SERVER"); env && *env) return env;
  return "127.0.0.1:9741";
}

std::unique_ptr<v1::JobService::Stub> Connect(const ParsedFlags& flags) {
  return v1::JobService::NewStub(
      grpc::CreateChannel(ServerAddress(flags), grpc::InsecureChannelCredentials()));
}

void AddToken(grpc::ClientContext& context) {
  if (const char* token = std::getenv("SPARKD_TOKEN"); token && *token) {
    context.AddMetadata("authorization", std::string("Bearer ") + token);
  }
}

int ReportRpcError(const grpc::Status& status, const ParsedFlags& flags) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "sparkd: cannot reach the daemon at " << ServerAddress(flags) << ": "
              << status.error_message() << "\n";
    return kExitUnavailable;
  }
  std::cerr << "sparkd: " << status.error_message() << "\n";
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? kExitUsage : 1;
}

StatusOr<int> ParseCount(const ParsedFlags& flags, const std::string& name) {
  auto value = flags.Get(name);
  if (!value) return -1;
  try {
    size_t used = 0;
    int n = std::stoi(*value, &used);
    if (used == value->size()) return n;
  } catch (const std::exception&) {
  }
  return InvalidArgument("--" + name + ": \"" + *value + "\" is not a whole number");
}

Status AddPairs(const ParsedFlags& flags, const std::string& name,
                google::protobuf::Map<std::string, std::string>* map) {
  auto it = flags.values.find(name);
  if (it == flags.values.end()) return Status::Ok();
  for (const auto& pair : it->second) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--" + name + ": \"" + pair + "\" is not KEY=VALUE");
    }
    (*map)[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return Status::Ok();
}

void AddList(const ParsedFlags& flags, const std::string& name,
             google::protobuf::RepeatedPtrField<std::string>* list) {
  auto value = flags.Get(name);
  if (!value) return;
  size_t start = 0;
  while (start <= value->size()) {
    size_t comma = value->find(',', start);
    std::string item = value->substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) *list->Add() = item;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

std::string RandomKey() {
  std::random_device rd;
  std::ostringstream key;
  key << "cli/" << (std::getenv("USER") ? std::getenv("USER") : "user") << "/" << std::hex
      << rd() << rd();
  return key.str();
}

StatusOr<v1::SubmitJobRequest> BuildSubmit(const ParsedFlags& flags) {
  v1::SubmitJobRequest request;
  auto* job = request.mutable_job();
  job->set_file(flags.Get("file").value_or(""));
  job->set_class_name(flags.Get("class").value_or(""));
  job->set_name(flags.Get("name").value_or(""));
  job->set_job_type(flags.Get("job-type").value_or(""));
  job->mutable_driver()->set_memory(flags.Get("driver-memory").value_or(""));
  job->mutable_executor()->set_memory(flags.Get("executor-memory").value_or(""));
  ASSIGN_OR_RETURN(int driver_cores, ParseCount(flags, "driver-cores"));
  if (driver_cores >= 0) job->mutable_driver()->set_cores(driver_cores);
  ASSIGN_OR_RETURN(int executor_cores, ParseCount(flags, "executor-cores"));
  if (executor_cores >= 0) job->mutable_executor()->set_cores(executor_cores);
  ASSIGN_OR_RETURN(int executors, ParseCount(flags, "num-executors"));
  if (executors >= 0) job->set_executor_instances(executors);
  auto* da = job->mutable_dynamic_allocation();
  da->set_enabled(flags.Has("dynamic-allocation"));
  ASSIGN_OR_RETURN(int min_executors, ParseCount(flags, "min-executors"));
  if (min_executors >= 0) da->set_min_executors(min_executors);
  ASSIGN_OR_RETURN(int max_executors, ParseCount(flags, "max-executors"));
  if (max_executors >= 0) da->set_max_executors(max_executors);
  ASSIGN_OR_RETURN(int initial_executors, ParseCount(flags, "initial-executors"));
  if (initial_executors >= 0) da->set_initial_executors(initial_executors);
  RETURN_IF_ERROR(AddPairs(flags, "conf", job->mutable_conf()));
  RETURN_IF_ERROR(AddPairs(flags, "env", job->mutable_env()));
  RETURN_IF_ERROR(AddPairs(flags, "label", job->mutable_labels()));
  AddList(flags, "py-files", job->mutable_py_files());
  AddList(flags, "jars", job->mutable_jars());
  AddList(flags, "files", job->mutable_files());
  if (flags.Has("local-cluster")) job->set_local_mode(v1::LOCAL_MODE_CLUSTER);
  for (const auto& arg : flags.passthrough) job->add_args(arg);
  for (const auto& arg : flags.positional) job->add_args(arg);
  request.set_idempotency_key(flags.Get("key").value_or(RandomKey()));
  return request;
}

StatusOr<ParsedFlags> ParseOrUsage(const std::vector<std::string>& args, const FlagSpec& spec,
                                   const char* usage) {
  auto flags = ParseFlags(args, spec);
  if (!flags.ok()) return flags.status();
  if (flags->Has("help")) {
    std::cout << usage;
    return Status(StatusCode::kCancelled, "");
  }
  return flags;
}

int UsageError(const Status& status, const char* usage) {
  if (status.code() == StatusCode::kCancelled) return 0;  // --help
  std::cerr << "sparkd: " << status.message() << "\n\n" << usage;
  return kExitUsage;
}

// Streams the driver's output to stdout until the job has ended and its output is drained,
// or `context` is cancelled.
void FollowLog(v1::JobService::Stub* stub, const std::string& job_id,
               grpc::ClientContext* context) {
  v1::ReadJobLogRequest request;
  request.set_job_id(job_id);
  request.set_follow(true);
  AddToken(*context);
  auto reader = stub->ReadJobLog(context, request);
  v1::ReadJobLogResponse chunk;
  while (reader->Read(&chunk)) std::cout << chunk.data() << std::flush;
  (void)reader->Finish();
}

}  // namespace

int RunSubmit(const std::vector<std::string>& args) {
  auto flags = ParseOrUsage(args, SubmitSpec(), kSubmitUsage);
  if (!flags.ok()) return UsageError(flags.status(), kSubmitUsage);
  auto request = BuildSubmit(*flags);
  if (!request.ok()) return UsageError(request.status(), kSubmitUsage);
  grpc::ClientContext context;
  AddToken(context);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubmitJobResponse response;
  grpc::Status status = Connect(*flags)->SubmitJob(&context, *request, &response);
  if (!status.ok()) return ReportRpcError(status, *flags);
  std::cout << response.job().id() << (response.created() ? "" : " (already submitted)") << "\n";
  PrintLinks(response.job(), std::cout);
  return 0;
}

int RunRun(const std::vector<std::string>& args) {
  auto flags = ParseOrUsage(args, SubmitSpec(), kSubmitUsage);
  if (!flags.ok()) return UsageError(flags.status(), kSubmitUsage);
  auto request = BuildSubmit(*flags);
  if (!request.ok()) return UsageError(request.status(), kSubmitUsage);
  auto stub = Connect(*flags);
  v1::SubmitJobResponse submitted;
  {
    grpc::ClientContext context;
    AddToken(context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status status = stub->SubmitJob(&context, *request, &submitted);
    if (!status.ok()) return ReportRpcError(status, *flags);
  }
  const std::string job_id = submitted.job().id();
  std::cerr << "job " << job_id << " submitted\n";
  PrintLinks(submitted.job(), std::cerr);

  grpc::ClientContext log_context;
  std::thread log_thread;
  if (!flags->Has("quiet")) {
    log_thread = std::thread(FollowLog, stub.get(), job_id, &log_context);
  }
  grpc::ClientContext watch_context;
  AddToken(watch_context);
  v1::WatchJobRequest watch;
  watch.set_job_id(job_id);
  auto reader = stub->WatchJob(&watch_context, watch);
  v1::WatchJobResponse update;
  v1::Job last = submitted.job();
  while (reader->Read(&update)) {
    last = update.job();
    if (update.has_event()) PrintEvent(update.event(), std::cerr);
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) log_context.TryCancel();
  if (log_thread.joinable()) log_thread.join();
  if (!status.ok()) return ReportRpcError(status, *flags);
  PrintReport(last, std::cerr);
  return last.state() == v1::JOB_STATE_SUCCEEDED ? 0 : 1;
}

int RunStatus(const std::vector<std::string>& args) {
  const char* usage = "usage: sparkd status JOB_ID [--server HOST:PORT]\n";
  auto flags = ParseOrUsage(args, FlagSpec{{"server"}, {"help"}, {}}, usage);
  if (!flags.ok()) return UsageError(flags.status(), usage);
  if (flags->positional.size() != 1) return UsageError(InvalidArgument("JOB_ID: required"), usage);
  grpc::ClientContext context;
  AddToken(context);
  v1::GetJobRequest request;
  request.set_job_id(flags->positional[0]);
  v1::GetJobResponse response;
  grpc::Status status = Connect(*flags)->GetJob(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, *flags);
  PrintJob(response.job(), std::cout);
  return 0;
}

int RunCancel(const std::vector<std::string>& args) {
  const char* usage = "usage: sparkd cancel JOB_ID [--reason TEXT] [--server HOST:PORT]\n";
  auto flags = ParseOrUsage(args, FlagSpec{{"server", "reason"}, {"help"}, {}}, usage);
  if (!flags.ok()) return UsageError(flags.status(), usage);
  if (flags->positional.size() != 1) return UsageError(InvalidArgument("JOB_ID: required"), usage);
  grpc::ClientContext context;
  AddToken(context);
  v1::CancelJobRequest request;
  request.set_job_id(flags->positional[0]);
  request.set_reason(flags->Get("reason").value_or(""));
  v1::CancelJobResponse response;
  grpc::Status status = Connect(*flags)->CancelJob(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, *flags);
  std::cout << response.job().id() << " " << StateName(response.job().state()) << "\n";
  return 0;
}

int RunList(const std::vector<std::string>& args) {
  const char* usage =
      "usage: sparkd list [--state STATE]... [--team TEAM] [--limit N] [--server HOST:PORT]\n";
  auto flags = ParseOrUsage(args, FlagSpec{{"server", "state", "team", "limit"}, {"help"}, {"state"}},
                            usage);
  if (!flags.ok()) return UsageError(flags.status(), usage);
  v1::ListJobsRequest request;
  if (auto it = flags->values.find("state"); it != flags->values.end()) {
    for (const auto& name : it->second) {
      v1::JobState state;
      if (!v1::JobState_Parse("JOB_STATE_" + name, &state)) {
        return UsageError(InvalidArgument("--state: \"" + name + "\" is not a job state"), usage);
      }
      request.add_states(state);
    }
  }
  request.set_team(flags->Get("team").value_or(""));
  auto limit = ParseCount(*flags, "limit");
  if (!limit.ok()) return UsageError(limit.status(), usage);
  request.set_page_size(*limit > 0 ? *limit : 20);
  grpc::ClientContext context;
  AddToken(context);
  v1::ListJobsResponse response;
  grpc::Status status = Connect(*flags)->ListJobs(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, *flags);
  PrintJobTable(response.jobs(), std::cout);
  return 0;
}

}  // namespace sparkd::cli
