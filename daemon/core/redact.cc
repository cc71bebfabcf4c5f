#include "daemon/core/redact.h"

#include <regex>

namespace sparkd {
namespace {

// Spark 3.5's default spark.redaction.regex (without its "(?i)"), then sparkd's additions.
// The syntax is the common subset of ECMAScript (std::regex here) and Java (Spark).
constexpr std::string_view kPattern =
    "secret|password|token|access[.]?key"
    "|passwd|credential|api[._-]?key|private[._-]?key|access[_-]key";

const std::regex& Pattern() {
  static const std::regex kRegex(std::string(kPattern),
                                 std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  return kRegex;
}

void RedactConfObject(nlohmann::json& conf) {
  if (!conf.is_object()) return;
  for (auto& [key, value] : conf.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (IsSensitiveEntry(key, text)) value = kRedactedValue;
  }
}

}  // namespace

std::string SparkRedactionRegex() { return "(?i)" + std::string(kPattern); }

bool IsSensitiveName(std::string_view name) {
  return std::regex_search(name.begin(), name.end(), Pattern());
}

bool IsSensitiveEntry(std::string_view key, std::string_view value) {
  return IsSensitiveName(key) || IsSensitiveName(value);
}

std::map<std::string, std::string> RedactEntries(std::map<std::string, std::string> entries) {
  for (auto& [key, value] : entries) {
    if (IsSensitiveEntry(key, value)) value = kRedactedValue;
  }
  return entries;
}

nlohmann::json RedactSpecJson(nlohmann::json spec) {
  if (!spec.is_object()) return spec;
  for (const char* conf_key : {"conf", "sparkConf"}) {
    if (spec.contains(conf_key)) RedactConfObject(spec[conf_key]);
  }
  if (spec.contains("env") && spec["env"].is_array()) {
    for (auto& var : spec["env"]) {
      if (!var.is_object() || !var.contains("value")) continue;
      std::string name = var.value("name", "");
      std::string value = var["value"].is_string() ? var["value"].get<std::string>() : "";
      if (IsSensitiveEntry(name, value)) var["value"] = kRedactedValue;
    }
  }
  return spec;
}

std::string RedactSpecJsonText(const std::string& text) {
  if (text.empty()) return text;
  nlohmann::json spec = nlohmann::json::parse(text, nullptr, false);
  if (spec.is_discarded()) return "";  // cannot tell what is secret in it: show nothing
  return RedactSpecJson(std::move(spec)).dump();
}

JobRequest RedactedRequest(JobRequest request) {
  request.conf = RedactEntries(std::move(request.conf));
  request.env = RedactEntries(std::move(request.env));
  return request;
}

Job RedactedJob(Job job) {
  job.request = RedactedRequest(std::move(job.request));
  job.resolved_spec_json = RedactSpecJsonText(job.resolved_spec_json);
  return job;
}

}  // namespace sparkd
