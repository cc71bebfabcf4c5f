#include "daemon/core/job_links.h"

#include <nlohmann/json.hpp>

#include "daemon/core/job_json.h"
#include "daemon/core/preset/job_spec.h"

namespace sparkd {
namespace {

std::string Millis(TimePoint t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

}  // namespace

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string_view JobLinkName(JobLink link) { return link == JobLink::kLogs ? "logs" : "dashboard"; }

std::optional<std::string> JobLinkTemplate(const Job& job, JobLink link) {
  if (job.resolved_spec_json.empty()) return std::nullopt;
  auto spec = SpecFromJson(nlohmann::json::parse(job.resolved_spec_json, nullptr, false));
  if (!spec.ok()) return std::nullopt;
  return link == JobLink::kLogs ? spec->links.logs : spec->links.dashboard;
}

std::string JobLinkUrl(const Job& job, JobLink link, const RenderContext& context,
                       std::chrono::system_clock::time_point now) {
  std::optional<std::string> url = JobLinkTemplate(job, link);
  if (!url) return "";
  TimePoint start = job.started_at.value_or(job.created_at);
  TimePoint end = job.finished_at.value_or(now);
  *url = ReplaceAll(*url, "{start_ms}", Millis(start));
  *url = ReplaceAll(*url, "{end_ms}", Millis(end));
  *url = ReplaceAll(*url, "{start}", FormatRfc3339(start));
  *url = ReplaceAll(*url, "{end}", FormatRfc3339(end));
  return ExpandPlaceholders(*url, context);
}

}  // namespace sparkd
