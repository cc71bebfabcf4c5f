#include "daemon/cli/job_request_flags.h"

#include <charconv>
#include <functional>

namespace sparkd::cli {
namespace {

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

}  // namespace

FlagSpec JobRequestFlagSpec() {
  FlagSpec spec;
  spec.valued = {"file", "class", "name", "job-type", "driver-memory", "driver-cores",
                 "executor-memory", "executor-cores", "num-executors", "min-executors",
                 "max-executors", "initial-executors", "conf", "env", "label", "py-files",
                 "jars", "files"};
  spec.repeated = {"conf", "env", "label"};
  spec.switches = {"dynamic-allocation", "local-cluster"};
  return spec;
}

StatusOr<v1::JobRequest> BuildJobRequest(const ParsedFlags& flags) {
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
  AddList(flags, "py-files", job.mutable_py_files());
  AddList(flags, "jars", job.mutable_jars());
  AddList(flags, "files", job.mutable_files());
  if (flags.Has("local-cluster")) job.set_local_mode(v1::LOCAL_MODE_CLUSTER);
  for (const auto& arg : flags.positional) job.add_args(arg);
  for (const auto& arg : flags.passthrough) job.add_args(arg);
  return job;
}

}  // namespace sparkd::cli
