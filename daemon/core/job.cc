#include "daemon/core/job.h"

#include <array>

#include "daemon/core/spark_size.h"

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

Status ValidateMapKeys(std::string_view field, const std::map<std::string, std::string>& map) {
  for (const auto& [key, value] : map) {
    if (key.empty()) return InvalidArgument(std::string(field) + ": empty key");
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
    case JobState::kQueued: return to == JobState::kSubmitting;
    // SUBMITTING → QUEUED: a replica gave the job back before anything was launched.
    case JobState::kSubmitting: return to == JobState::kSubmitted || to == JobState::kQueued;
    // A short app can finish before the daemon saw it run.
    case JobState::kSubmitted: return to == JobState::kRunning || to == JobState::kSucceeded;
    case JobState::kRunning: return to == JobState::kSucceeded;
    default: return false;
  }
}

Status ValidateJobRequest(const JobRequest& r) {
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
  RETURN_IF_ERROR(ValidateMapKeys("conf", r.conf));
  RETURN_IF_ERROR(ValidateMapKeys("env", r.env));
  RETURN_IF_ERROR(ValidateMapKeys("labels", r.labels));
  if (r.name.size() > 200) return InvalidArgument("name: longer than 200 characters");
  return Status::Ok();
}

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("idempotency_key: required");
  if (key.size() > 512) return InvalidArgument("idempotency_key: longer than 512 bytes");
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument("idempotency_key: contains a control character");
    }
  }
  return Status::Ok();
}

}  // namespace sparkd
