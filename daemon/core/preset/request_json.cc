#include "daemon/core/preset/request_json.h"

#include <algorithm>

#include "daemon/core/preset/spec_parts.h"
#include "daemon/core/preset/suggest.h"

namespace sparkd {
namespace {

using nlohmann::json;

constexpr std::string_view kKeys[] = {"name",
                                      "job_type",
                                      "file",
                                      "class_name",
                                      "args",
                                      "driver",
                                      "executor",
                                      "executor_instances",
                                      "dynamic_allocation",
                                      "conf",
                                      "env",
                                      "secret_env",
                                      "labels",
                                      "py_files",
                                      "jars",
                                      "files",
                                      "local_mode"};
constexpr std::string_view kResourceKeys[] = {"memory", "cores", "memory_overhead"};
constexpr std::string_view kSecretRefKeys[] = {"name", "key"};
constexpr std::string_view kDynamicKeys[] = {"enabled", "min_executors", "max_executors",
                                             "initial_executors"};

Status CheckKeys(const json& j, std::string_view path, std::span<const std::string_view> known,
                 UnknownKeys unknown) {
  RETURN_IF_ERROR(ExpectObject(j, path.empty() ? "request" : path));
  if (unknown == UnknownKeys::kIgnore) return Status::Ok();
  for (const auto& [key, value] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string full = path.empty() ? key : std::string(path) + "." + key;
      return InvalidArgument(full + ": unknown key" + DidYouMean(key, known));
    }
  }
  return Status::Ok();
}

Status Text(const json& j, std::string_view key, std::string_view path, std::string& out) {
  if (!j.contains(key)) return Status::Ok();
  std::optional<std::string> value;
  RETURN_IF_ERROR(ReadScalar(j[key], path, value));
  out = value.value_or("");
  return Status::Ok();
}

template <typename T>
Status Optional(const json& j, std::string_view key, std::string_view path, std::optional<T>& out) {
  if (!j.contains(key)) return Status::Ok();
  return ReadScalar(j[key], path, out);
}

Status ReadResources(const json& j, const std::string& role, UnknownKeys unknown, Resources& out) {
  if (!j.contains(role)) return Status::Ok();
  const json& r = j[role];
  RETURN_IF_ERROR(CheckKeys(r, role, kResourceKeys, unknown));
  RETURN_IF_ERROR(Text(r, "memory", role + ".memory", out.memory));
  RETURN_IF_ERROR(Text(r, "memory_overhead", role + ".memory_overhead", out.memory_overhead));
  return Optional(r, "cores", role + ".cores", out.cores);
}

Status ReadDynamic(const json& j, UnknownKeys unknown, DynamicAllocation& out) {
  if (!j.contains("dynamic_allocation")) return Status::Ok();
  const json& d = j["dynamic_allocation"];
  RETURN_IF_ERROR(CheckKeys(d, "dynamic_allocation", kDynamicKeys, unknown));
  std::optional<bool> enabled;
  RETURN_IF_ERROR(Optional(d, "enabled", "dynamic_allocation.enabled", enabled));
  out.enabled = enabled.value_or(false);
  RETURN_IF_ERROR(
      Optional(d, "min_executors", "dynamic_allocation.min_executors", out.min_executors));
  RETURN_IF_ERROR(
      Optional(d, "max_executors", "dynamic_allocation.max_executors", out.max_executors));
  return Optional(d, "initial_executors", "dynamic_allocation.initial_executors",
                  out.initial_executors);
}

Status ReadLists(const json& j, JobRequest& r) {
  for (const auto& [key, list] : {std::pair{"args", &r.args}, std::pair{"py_files", &r.py_files},
                                  std::pair{"jars", &r.jars}, std::pair{"files", &r.files}}) {
    if (j.contains(key)) RETURN_IF_ERROR(ReadStringList(j[key], key, *list));
  }
  for (const auto& [key, map] :
       {std::pair{"conf", &r.conf}, std::pair{"env", &r.env}, std::pair{"labels", &r.labels}}) {
    if (j.contains(key)) RETURN_IF_ERROR(ReadStringMap(j[key], key, *map));
  }
  return Status::Ok();
}

// {"API_TOKEN": {"name": "creds", "key": "token"}}; the checks of the names are
// ValidateSecretEnv's.
Status ReadSecretEnv(const json& j, UnknownKeys unknown, JobRequest& r) {
  if (!j.contains("secret_env")) return Status::Ok();
  RETURN_IF_ERROR(ExpectObject(j["secret_env"], "secret_env"));
  for (const auto& [name, ref] : j["secret_env"].items()) {
    std::string path = "secret_env." + name;
    RETURN_IF_ERROR(CheckKeys(ref, path, kSecretRefKeys, unknown));
    SecretKeyRef out;
    RETURN_IF_ERROR(Text(ref, "name", path + ".name", out.name));
    RETURN_IF_ERROR(Text(ref, "key", path + ".key", out.key));
    r.secret_env[name] = std::move(out);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<JobRequest> ParseRequestJson(const json& j, UnknownKeys unknown) {
  RETURN_IF_ERROR(CheckKeys(j, "", kKeys, unknown));
  JobRequest r;
  RETURN_IF_ERROR(Text(j, "name", "name", r.name));
  RETURN_IF_ERROR(Text(j, "job_type", "job_type", r.job_type));
  RETURN_IF_ERROR(Text(j, "file", "file", r.file));
  RETURN_IF_ERROR(Text(j, "class_name", "class_name", r.class_name));
  RETURN_IF_ERROR(ReadResources(j, "driver", unknown, r.driver));
  RETURN_IF_ERROR(ReadResources(j, "executor", unknown, r.executor));
  RETURN_IF_ERROR(Optional(j, "executor_instances", "executor_instances", r.executor_instances));
  RETURN_IF_ERROR(ReadDynamic(j, unknown, r.dynamic_allocation));
  RETURN_IF_ERROR(ReadLists(j, r));
  RETURN_IF_ERROR(ReadSecretEnv(j, unknown, r));
  std::string mode;
  RETURN_IF_ERROR(Text(j, "local_mode", "local_mode", mode));
  if (mode == "threads") {
    r.local_mode = LocalMode::kThreads;
  } else if (mode == "cluster") {
    r.local_mode = LocalMode::kCluster;
  } else if (!mode.empty()) {
    return InvalidArgument("local_mode: \"" + mode + "\" is not one of threads, cluster");
  }
  return r;
}

}  // namespace sparkd
