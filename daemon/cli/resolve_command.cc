// `sparkd resolve`: the submit flags, sent to JobService.ResolveJob instead of SubmitJob.
#include <charconv>
#include <iostream>

#include <nlohmann/json.hpp>

#include "daemon/cli/client_common.h"
#include "daemon/cli/preset_commands.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::cli {
namespace {

const char* kResolveUsage =
    "usage: sparkd resolve --file APP [--class MAIN] [--job-type TYPE] [submit options]\n\n"
    "Resolves the job against your team's presets without submitting it, and prints the\n"
    "effective spec, which layer set each field, the Spark conf and any warnings.\n"
    "Takes the options of `sparkd submit` (see sparkd submit --help).\n";

// The flags of `sparkd submit` that shape the request.
// TODO: share one request builder with client_commands.cc (BuildSubmit) once it can move.
FlagSpec ResolveSpec() {
  FlagSpec spec;
  spec.valued = {"file", "class", "name", "job-type", "driver-memory", "driver-cores",
                 "executor-memory", "executor-cores", "num-executors", "min-executors",
                 "max-executors", "initial-executors", "conf", "env", "label"};
  spec.repeated = {"conf", "env", "label"};
  spec.switches = {"dynamic-allocation", "local-cluster"};
  return spec;
}

Status SetCount(const ParsedFlags& flags, const std::string& name,
                const std::function<void(int)>& set) {
  auto value = flags.Get(name);
  if (!value) return Status::Ok();
  int n = 0;
  auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (error != std::errc() || end != value->data() + value->size()) {
    return InvalidArgument("--" + name + ": \"" + *value + "\" is not a whole number");
  }
  set(n);
  return Status::Ok();
}

Status SetPairs(const ParsedFlags& flags, const std::string& name,
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

StatusOr<v1::JobRequest> BuildRequest(const ParsedFlags& flags) {
  v1::JobRequest job;
  job.set_file(flags.Get("file").value_or(""));
  job.set_class_name(flags.Get("class").value_or(""));
  job.set_name(flags.Get("name").value_or(""));
  job.set_job_type(flags.Get("job-type").value_or(""));
  job.mutable_driver()->set_memory(flags.Get("driver-memory").value_or(""));
  job.mutable_executor()->set_memory(flags.Get("executor-memory").value_or(""));
  auto* da = job.mutable_dynamic_allocation();
  da->set_enabled(flags.Has("dynamic-allocation"));
  RETURN_IF_ERROR(SetCount(flags, "driver-cores", [&](int n) { job.mutable_driver()->set_cores(n); }));
  RETURN_IF_ERROR(
      SetCount(flags, "executor-cores", [&](int n) { job.mutable_executor()->set_cores(n); }));
  RETURN_IF_ERROR(SetCount(flags, "num-executors", [&](int n) { job.set_executor_instances(n); }));
  RETURN_IF_ERROR(SetCount(flags, "min-executors", [&](int n) { da->set_min_executors(n); }));
  RETURN_IF_ERROR(SetCount(flags, "max-executors", [&](int n) { da->set_max_executors(n); }));
  RETURN_IF_ERROR(
      SetCount(flags, "initial-executors", [&](int n) { da->set_initial_executors(n); }));
  RETURN_IF_ERROR(SetPairs(flags, "conf", job.mutable_conf()));
  RETURN_IF_ERROR(SetPairs(flags, "env", job.mutable_env()));
  RETURN_IF_ERROR(SetPairs(flags, "label", job.mutable_labels()));
  if (flags.Has("local-cluster")) job.set_local_mode(v1::LOCAL_MODE_CLUSTER);
  for (const auto& arg : flags.passthrough) job.add_args(arg);
  return job;
}

void PrintResolved(const v1::ResolveJobResponse& response, std::ostream& out) {
  out << "presets:";
  if (response.presets_used().empty()) out << " none (defaults only)";
  for (const auto& ref : response.presets_used()) {
    out << " " << ref.job_type() << " v" << ref.version();
  }
  out << "\n\neffective spec:\n"
      << nlohmann::json::parse(response.effective_spec_json(), nullptr, false).dump(2)
      << "\n\nset by:\n";
  for (const auto& [path, layer] : std::map<std::string, std::string>(
           response.provenance().begin(), response.provenance().end())) {
    out << "  " << path << "\t" << layer << "\n";
  }
  out << "\nspark conf:\n";
  for (const auto& [key, value] : std::map<std::string, std::string>(
           response.spark_conf().begin(), response.spark_conf().end())) {
    out << "  " << key << "=" << value << "\n";
  }
  for (const auto& warning : response.warnings()) out << "warning: " << warning << "\n";
}

}  // namespace

int RunResolve(const std::vector<std::string>& args) {
  auto flags = ParseCommandFlags(args, ResolveSpec(), kResolveUsage);
  if (!flags.ok()) return UsageExit(flags.status(), kResolveUsage);
  auto job = BuildRequest(*flags);
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
