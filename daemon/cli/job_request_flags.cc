#include "daemon/cli/job_request_flags.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
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

// "hdfs://", "s3a://", "local:/", "file:///", "https://": Spark's to fetch, left as given. A
// one-letter scheme would be a Windows drive; Spark takes no such URL.
bool IsUrl(std::string_view value) {
  size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon < 2 ||
      !std::isalpha(static_cast<unsigned char>(value[0])))
    return false;
  return std::all_of(value.begin(), value.begin() + colon, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

// A relative local path as an absolute one. The daemon reads a relative path from the job's
// folder, not from where the command ran, so `--file build/app.jar` only means what the user
// meant once it is resolved here; one that does not exist here is refused now rather than by
// spark-submit. Absolute paths (the daemon may run elsewhere) and values that are no path at
// all ("-x") go as given: the daemon checks them against its file policy, naming the field.
StatusOr<std::string> LocalPath(const std::string& flag, const std::string& value) {
  if (value.empty() || IsUrl(value) || value.starts_with('/') || value.starts_with('-')) {
    return value;
  }
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(value, error).lexically_normal();
  if (error || !std::filesystem::exists(path, error)) {
    return InvalidArgument("--" + flag + ": \"" + value + "\" does not exist" +
                           (path.is_absolute() && value != path.string()
                                ? " (looked for " + path.string() + ")"
                                : std::string()));
  }
  return path.string();
}

// NAME=SECRET:KEY, e.g. API_TOKEN=creds:token; the daemon checks the names.
Status SetSecretRefs(const ParsedFlags& flags, v1::JobRequest& job) {
  auto it = flags.values.find("secret-env");
  if (it == flags.values.end()) return Status::Ok();
  for (const auto& item : it->second) {
    auto eq = item.find('=');
    auto colon = eq == std::string::npos ? eq : item.find(':', eq + 1);
    if (eq == 0 || colon == std::string::npos || colon == eq + 1 || colon + 1 == item.size()) {
      return InvalidArgument("--secret-env: \"" + item + "\" is not NAME=SECRET:KEY");
    }
    v1::SecretKeyRef& ref = (*job.mutable_secret_env())[item.substr(0, eq)];
    ref.set_name(item.substr(eq + 1, colon - eq - 1));
    ref.set_key(item.substr(colon + 1));
  }
  return Status::Ok();
}

Status AddPaths(const ParsedFlags& flags, const std::string& name,
                google::protobuf::RepeatedPtrField<std::string>* list) {
  auto value = flags.Get(name);
  if (!value) return Status::Ok();
  size_t start = 0;
  while (start <= value->size()) {
    size_t comma = value->find(',', start);
    std::string item = value->substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) {
      ASSIGN_OR_RETURN(*list->Add(), LocalPath(name, item));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

}  // namespace

FlagSpec JobRequestFlagSpec() {
  FlagSpec spec;
  spec.valued = {"file",
                 "class",
                 "name",
                 "job-type",
                 "driver-memory",
                 "driver-cores",
                 "executor-memory",
                 "executor-cores",
                 "num-executors",
                 "min-executors",
                 "max-executors",
                 "initial-executors",
                 "conf",
                 "env",
                 "secret-env",
                 "label",
                 "py-files",
                 "jars",
                 "files"};
  spec.repeated = {"conf", "env", "secret-env", "label"};
  spec.switches = {"dynamic-allocation", "local-cluster"};
  return spec;
}

StatusOr<v1::JobRequest> BuildJobRequest(const ParsedFlags& flags) {
  v1::JobRequest job;
  ASSIGN_OR_RETURN(*job.mutable_file(), LocalPath("file", flags.Get("file").value_or("")));
  job.set_class_name(flags.Get("class").value_or(""));
  job.set_name(flags.Get("name").value_or(""));
  job.set_job_type(flags.Get("job-type").value_or(""));
  job.mutable_driver()->set_memory(flags.Get("driver-memory").value_or(""));
  job.mutable_executor()->set_memory(flags.Get("executor-memory").value_or(""));
  auto* da = job.mutable_dynamic_allocation();
  da->set_enabled(flags.Has("dynamic-allocation"));
  RETURN_IF_ERROR(
      SetCount(flags, "driver-cores", [&](int n) { job.mutable_driver()->set_cores(n); }));
  RETURN_IF_ERROR(
      SetCount(flags, "executor-cores", [&](int n) { job.mutable_executor()->set_cores(n); }));
  RETURN_IF_ERROR(SetCount(flags, "num-executors", [&](int n) { job.set_executor_instances(n); }));
  RETURN_IF_ERROR(SetCount(flags, "min-executors", [&](int n) { da->set_min_executors(n); }));
  RETURN_IF_ERROR(SetCount(flags, "max-executors", [&](int n) { da->set_max_executors(n); }));
  RETURN_IF_ERROR(
      SetCount(flags, "initial-executors", [&](int n) { da->set_initial_executors(n); }));
  RETURN_IF_ERROR(SetPairs(flags, "conf", job.mutable_conf()));
  RETURN_IF_ERROR(SetPairs(flags, "env", job.mutable_env()));
  RETURN_IF_ERROR(SetSecretRefs(flags, job));
  RETURN_IF_ERROR(SetPairs(flags, "label", job.mutable_labels()));
  RETURN_IF_ERROR(AddPaths(flags, "py-files", job.mutable_py_files()));
  RETURN_IF_ERROR(AddPaths(flags, "jars", job.mutable_jars()));
  RETURN_IF_ERROR(AddPaths(flags, "files", job.mutable_files()));
  if (flags.Has("local-cluster")) job.set_local_mode(v1::LOCAL_MODE_CLUSTER);
  for (const auto& arg : flags.positional) job.add_args(arg);
  for (const auto& arg : flags.passthrough) job.add_args(arg);
  return job;
}

}  // namespace sparkd::cli
