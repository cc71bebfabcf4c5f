#include "daemon/core/executor_timeline.h"

#include <nlohmann/json.hpp>

#include "daemon/core/classify/text.h"

namespace sparkd {
namespace {

TimePoint FromMillis(int64_t millis) { return TimePoint(std::chrono::milliseconds(millis)); }

}  // namespace

void ExecutorTimeline::AddEventLogLine(std::string_view line) {
  // Cheap filter first: almost every line of a big event log is a task or stage event.
  bool added = line.find("\"SparkListenerExecutorAdded\"") != std::string_view::npos;
  bool removed = !added && line.find("\"SparkListenerExecutorRemoved\"") != std::string_view::npos;
  if (!added && !removed) return;
  auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("Executor ID")) return;
  const auto& id_value = event["Executor ID"];
  if (!id_value.is_string()) return;
  std::string id = id_value.get<std::string>();
  auto [it, inserted] = by_id_.try_emplace(id);
  if (inserted) {
    it->second.executor_id = id;
    order_.push_back(id);
  }
  ExecutorRecord& record = it->second;
  int64_t timestamp = event.value("Timestamp", int64_t{0});
  if (added) {
    record.started_at = FromMillis(timestamp);
    if (event.contains("Executor Info") && event["Executor Info"].is_object()) {
      record.host = event["Executor Info"].value("Host", "");
    }
    return;
  }
  record.ended_at = FromMillis(timestamp);
  record.evidence = event.value("Removed Reason", "");
  // Standalone and local-cluster workers report "Command exited with code 52".
  if (auto code = classify::text::IntAfter(record.evidence, "exited with code ")) {
    record.exit_code = *code;
  }
}

std::vector<ExecutorRecord> ExecutorTimeline::Records() const {
  std::vector<ExecutorRecord> records;
  records.reserve(order_.size());
  for (const auto& id : order_) records.push_back(by_id_.at(id));
  return records;
}

}  // namespace sparkd
