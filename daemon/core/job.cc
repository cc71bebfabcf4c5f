#include "daemon/core/job.h"

#include <array>
#include <cctype>

#include "daemon/core/secret_env.h"
#include "daemon/core/spark_size.h"
#include "daemon/core/text_rules.h"

namespace sparkd {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 8> kStateNames = {{
    {JobState::kQueued, "QUEUED"},
    {JobState::kSubmitting, "SUBMITTING"},
    {JobState::kSubmitted, "SUBMITTED"},
    {JobState::kRunning, "RUNNING"},
    {JobState::kSucceeded, "SUCCEEDED"},
    {JobState::kFailed, "FAILED"},
    {JobState::kCancelled, "CANCELLED"},
    {JobState::kUnknown, "UNKNOWN"},
}};

Status ValidateSize(std::string_view field, const std::string& value) {
  if (value.empty()) return Status::Ok();
  auto parsed = ParseSparkSize(value);
  if (!parsed.ok()) return parsed.status().WithContext(field);
  return Status::Ok();
}

Status ValidatePositive(std::string_view field, const std::optional<int>& value, int min) {
  if (value && *value < min) {
    return InvalidArgument(std::string(field) + ": must be at least " + std::to_string(min) +
                           ", got " + std::to_string(*value));
  }
  return Status::Ok();
}

Status ValidateResources(std::string_view prefix, const Resources& r) {
  std::string p(prefix);
  RETURN_IF_ERROR(ValidateSize(p + ".memory", r.memory));
  RETURN_IF_ERROR(ValidateSize(p + ".memory_overhead", r.memory_overhead));
  RETURN_IF_ERROR(ValidatePositive(p + ".cores", r.cores, 1));
  return Status::Ok();
}

Status ValidateDynamicAllocation(const DynamicAllocation& d) {
  RETURN_IF_ERROR(ValidatePositive("dynamic_allocation.min_executors", d.min_executors, 0));
  RETURN_IF_ERROR(ValidatePositive("dynamic_allocation.max_executors", d.max_executors, 1));
  RETURN_IF_ERROR(ValidatePositive("dynamic_allocation.initial_executors", d.initial_executors, 0));
  if (d.min_executors && d.max_executors && *d.min_executors > *d.max_executors) {
    return InvalidArgument("dynamic_allocation: min_executors (" +
                           std::to_string(*d.min_executors) + ") exceeds max_executors (" +
                           std::to_string(*d.max_executors) + ")");
  }
  if (d.initial_executors) {
    if (d.min_executors && *d.initial_executors < *d.min_executors) {
      return InvalidArgument("dynamic_allocation.initial_executors: below min_executors");
    }
    if (d.max_executors && *d.initial_executors > *d.max_executors) {
      return InvalidArgument("dynamic_allocation.initial_executors: above max_executors");
    }
  }
  return Status::Ok();
}

namespace limits = request_limits;

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status TooMany(std::string_view field, size_t count, size_t limit, std::string_view what) {
  return InvalidArgument(std::string(field) + ": " + std::to_string(count) + " " +
                         std::string(what) + "; at most " + std::to_string(limit));
}

Status TooLong(std::string_view field, size_t size, size_t limit) {
  return TooMany(field, size, limit, "bytes");
}

Status CheckString(std::string_view field, std::string_view value, size_t max_bytes,
                   TextKind kind) {
  if (value.size() > max_bytes) return TooLong(field, value.size(), max_bytes);
  return CheckText(field, value, kind);
}

// spark-submit reads every argument before the application file as an option or an option's
// value (SparkSubmitOptionParser), so a user value that starts with '-' in such a place could
// become one; application args come after the file and go to the application untouched.
Status CheckNotOption(std::string_view field, std::string_view value) {
  if (!value.starts_with('-')) return Status::Ok();
  return InvalidArgument(std::string(field) + ": " + Quoted(value) +
                         " starts with '-'; spark-submit would read it as an option");
}

// A path or URL: the file and the entries of py_files, jars and files.
Status CheckPath(std::string_view field, std::string_view value) {
  RETURN_IF_ERROR(CheckString(field, value, limits::kPathBytes, TextKind::kName));
  return CheckNotOption(field, value);
}

Status CheckPathList(std::string_view field, const std::vector<std::string>& list) {
  if (list.size() > limits::kListEntries) {
    return TooMany(field, list.size(), limits::kListEntries, "entries");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = std::string(field) + "[" + std::to_string(i) + "]";
    if (list[i].empty()) return InvalidArgument(path + ": empty");
    RETURN_IF_ERROR(CheckPath(path, list[i]));
    // Spark keeps these lists as one comma-separated conf value (spark.jars, ...).
    if (list[i].find(',') != std::string::npos) {
      return InvalidArgument(path + ": " + Quoted(list[i]) +
                             " contains ','; Spark splits these lists at commas, give one "
                             "entry per file");
    }
  }
  return Status::Ok();
}

Status CheckArgs(const std::vector<std::string>& args) {
  if (args.size() > limits::kArgs) return TooMany("args", args.size(), limits::kArgs, "entries");
  size_t total = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    total += args[i].size();
    if (total > limits::kArgsBytes) {
      return InvalidArgument("args: more than " + std::to_string(limits::kArgsBytes) +
                             " bytes in all");
    }
    RETURN_IF_ERROR(CheckText("args[" + std::to_string(i) + "]", args[i], TextKind::kArgument));
  }
  return Status::Ok();
}

struct MapLimits {
  size_t entries;
  std::string_view what;  // "keys", "entries", "labels"
  size_t key_bytes;
  size_t value_bytes;
};

// A bad key is not repeated in the message: it may be megabytes or hold a NUL.
Status CheckMap(std::string_view field, const std::map<std::string, std::string>& map,
                const MapLimits& l) {
  if (map.size() > l.entries) return TooMany(field, map.size(), l.entries, l.what);
  std::string f(field);
  for (const auto& [key, value] : map) {
    if (key.empty()) return InvalidArgument(f + ": empty key");
    if (key.size() > l.key_bytes) {
      return InvalidArgument(f + ": a key of " + std::to_string(key.size()) + " bytes; at most " +
                             std::to_string(l.key_bytes));
    }
    if (std::string why = TextProblem(key, TextKind::kName); !why.empty()) {
      return InvalidArgument(f + ": a key " + why);
    }
    RETURN_IF_ERROR(CheckString(MapEntryPath(field, key), value, l.value_bytes, TextKind::kValue));
  }
  return Status::Ok();
}

// A Java binary name (org.example.Main, org.example.Outer$Inner): identifiers separated by
// dots; non-ASCII letters are legal Java and pass as bytes >= 0x80.
Status CheckClassName(const std::string& name) {
  if (name.empty()) return Status::Ok();
  RETURN_IF_ERROR(CheckString("class_name", name, limits::kPathBytes, TextKind::kName));
  bool start = true;
  for (char ch : name) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool letter = std::isalpha(c) || c == '_' || c == '$' || c >= 0x80;
    bool ok = ch == '.' ? !start : start ? letter : letter || std::isdigit(c);
    if (!ok) {
      return InvalidArgument("class_name: " + Quoted(name) +
                             " is not a Java class name (like org.example.Main)");
    }
    start = ch == '.';
  }
  if (start) {
    return InvalidArgument("class_name: " + Quoted(name) + " ends with '.'");
  }
  return Status::Ok();
}

size_t TextBytes(const JobRequest& r) {
  size_t total = r.name.size() + r.job_type.size() + r.file.size() + r.class_name.size() +
                 r.driver.memory.size() + r.driver.memory_overhead.size() +
                 r.executor.memory.size() + r.executor.memory_overhead.size();
  for (const auto* list : {&r.args, &r.py_files, &r.jars, &r.files}) {
    for (const auto& item : *list) total += item.size();
  }
  for (const auto* map : {&r.conf, &r.env, &r.labels}) {
    for (const auto& [key, value] : *map) total += key.size() + value.size();
  }
  return total;
}

// The request's bounds and text rules, before anything looks at what the strings say: each
// field first (its own limit names it best), then the request as a whole.
Status CheckBounds(const JobRequest& r) {
  RETURN_IF_ERROR(CheckString("name", r.name, limits::kNameBytes, TextKind::kName));
  RETURN_IF_ERROR(CheckString("job_type", r.job_type, limits::kNameBytes, TextKind::kName));
  RETURN_IF_ERROR(CheckPath("file", r.file));
  RETURN_IF_ERROR(CheckClassName(r.class_name));
  RETURN_IF_ERROR(CheckArgs(r.args));
  RETURN_IF_ERROR(CheckPathList("py_files", r.py_files));
  RETURN_IF_ERROR(CheckPathList("jars", r.jars));
  RETURN_IF_ERROR(CheckPathList("files", r.files));
  RETURN_IF_ERROR(CheckMap(
      "conf", r.conf, {limits::kConfKeys, "keys", limits::kConfKeyBytes, limits::kConfValueBytes}));
  RETURN_IF_ERROR(
      CheckMap("env", r.env,
               {limits::kEnvEntries, "entries", limits::kEnvNameBytes, limits::kEnvValueBytes}));
  RETURN_IF_ERROR(CheckMap("labels", r.labels,
                           {limits::kLabels, "labels", limits::kLabelBytes, limits::kLabelBytes}));
  for (const auto& [field, size] :
       {std::pair{"driver.memory", &r.driver.memory},
        std::pair{"driver.memory_overhead", &r.driver.memory_overhead},
        std::pair{"executor.memory", &r.executor.memory},
        std::pair{"executor.memory_overhead", &r.executor.memory_overhead}}) {
    RETURN_IF_ERROR(CheckString(field, *size, limits::kNameBytes, TextKind::kName));
  }
  if (size_t total = TextBytes(r); total > limits::kRequestBytes) {
    return TooMany("request", total, limits::kRequestBytes, "bytes of text");
  }
  return Status::Ok();
}

}  // namespace

std::string_view JobStateName(JobState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "UNKNOWN";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (const auto& [s, n] : kStateNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

bool IsAllowedTransition(JobState from, JobState to) {
  if (IsTerminal(from) || from == to) return false;
  if (to == JobState::kUnknown || from == JobState::kUnknown) return true;
  if (to == JobState::kFailed || to == JobState::kCancelled) return true;
  switch (from) {
    case JobState::kQueued:
      return to == JobState::kSubmitting;
    // SUBMITTING → QUEUED: a replica gave the job back before anything was launched.
    case JobState::kSubmitting:
      return to == JobState::kSubmitted || to == JobState::kQueued;
    // A short app can finish before the daemon saw it run.
    case JobState::kSubmitted:
      return to == JobState::kRunning || to == JobState::kSucceeded;
    case JobState::kRunning:
      return to == JobState::kSucceeded;
    default:
      return false;
  }
}

Status ValidateJobRequest(const JobRequest& r) {
  RETURN_IF_ERROR(CheckBounds(r));
  if (r.file.empty()) return InvalidArgument("file: required (an application jar or .py file)");
  bool python = r.file.ends_with(".py");
  if (!python && r.class_name.empty() && r.file.ends_with(".jar")) {
    return InvalidArgument("class_name: required for a JVM application (" + r.file + ")");
  }
  if (python && !r.class_name.empty()) {
    return InvalidArgument("class_name: must be empty for a Python application (" + r.file + ")");
  }
  RETURN_IF_ERROR(ValidateResources("driver", r.driver));
  RETURN_IF_ERROR(ValidateResources("executor", r.executor));
  RETURN_IF_ERROR(ValidatePositive("executor_instances", r.executor_instances, 1));
  RETURN_IF_ERROR(ValidateDynamicAllocation(r.dynamic_allocation));
  if (r.dynamic_allocation.enabled && r.executor_instances) {
    return InvalidArgument(
        "executor_instances: cannot be set with dynamic_allocation.enabled; set "
        "dynamic_allocation.initial_executors instead");
  }
  RETURN_IF_ERROR(ValidateSecretEnv(r));
  return Status::Ok();
}

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("idempotency_key: required");
  if (key.size() > 512) return InvalidArgument("idempotency_key: longer than 512 bytes");
  return CheckText("idempotency_key", key, TextKind::kName);
}

}  // namespace sparkd
