#include "daemon/core/classify/event_log.h"

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using nlohmann::json;
using text::Contains;

std::string Field(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return {};
}

const json& Child(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// The string value of `"key": "..."` in a line nlohmann could not parse (cut short), with the
// common escapes undone.
std::string RawString(std::string_view line, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":";
  size_t pos = line.find(needle);
  if (pos == std::string_view::npos) return {};
  std::string_view rest = text::Trim(line.substr(pos + needle.size()));
  if (rest.empty() || rest.front() != '"') return std::string(text::Word(rest));
  std::string out;
  for (size_t i = 1; i < rest.size() && out.size() < 65536; ++i) {
    char c = rest[i];
    if (c == '"') break;
    if (c == '\\' && i + 1 < rest.size()) {
      char e = rest[++i];
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void ExecutorRemoved(const json& j, std::string_view line,
                     const std::function<Facts*(std::string_view)>& subject) {
  std::string id = j.is_object() ? Field(j, "Executor ID") : RawString(line, "Executor ID");
  std::string reason =
      j.is_object() ? Field(j, "Removed Reason") : RawString(line, "Removed Reason");
  if (id.empty()) return;
  Facts* f = subject(id);
  if (!f) return;
  AbsorbLossText(reason, f);
  if (f->loss_text.empty() && f->exit_code == std::nullopt && f->containers.empty() &&
      f->heartbeat.empty() && f->killed_by_driver.empty() && f->decommission.empty() &&
      f->deleted.empty() && f->node_lost.empty() && f->jvm_oom.empty()) {
    f->loss_text = "ExecutorRemoved: " + text::Evidence(reason.empty() ? "(no reason)" : reason);
  }
}

void TaskEnd(const json& j, std::string_view line,
             const std::function<Facts*(std::string_view)>& subject) {
  const json& reason = Child(j, "Task End Reason");
  std::string kind = j.is_object() ? Field(reason, "Reason") : RawString(line, "Reason");
  std::string id =
      j.is_object() ? Field(Child(j, "Task Info"), "Executor ID") : RawString(line, "Executor ID");
  if (kind == "ExecutorLostFailure") {
    std::string lost = j.is_object() ? Field(reason, "Executor ID") : id;
    Facts* f = subject(lost.empty() ? id : lost);
    if (f)
      AbsorbLossText(j.is_object() ? Field(reason, "Loss Reason") : RawString(line, "Loss Reason"),
                     f);
    return;
  }
  std::string cls = j.is_object() ? Field(reason, "Class Name") : RawString(line, "Class Name");
  if (kind == "ExceptionFailure" && Contains(cls, "OutOfMemoryError") && !id.empty()) {
    Facts* f = subject(id == "driver" ? std::string_view() : std::string_view(id));
    if (!f || !f->jvm_oom.empty()) return;
    std::string description =
        j.is_object() ? Field(reason, "Description") : RawString(line, "Description");
    f->jvm_oom = "task failed with " + cls + ": " + text::Evidence(description, 200);
  }
}

}  // namespace

void EventLogLine(std::string_view line, const std::function<Facts*(std::string_view)>& subject) {
  bool removed = Contains(line, "SparkListenerExecutorRemoved");
  bool task_end = Contains(line, "SparkListenerTaskEnd") &&
                  (Contains(line, "ExecutorLostFailure") || Contains(line, "OutOfMemoryError"));
  if (!removed && !task_end) return;
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) j = nullptr;
  if (removed) ExecutorRemoved(j, line, subject);
  if (task_end) TaskEnd(j, line, subject);
}

}  // namespace sparkd::classify
