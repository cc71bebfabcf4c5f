// The links a job's presets give it (links.logs, links.dashboard): URL templates filled for the
// job when someone follows them, so a running job's range ends now and a finished one's at its
// end. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/clock.h"
#include "daemon/core/job.h"
#include "daemon/core/preset/render.h"

namespace sparkd {

enum class JobLink { kLogs, kDashboard };
std::string_view JobLinkName(JobLink link);  // "logs", "dashboard"

// The template the job's resolved spec has for `link`; nullopt when it has none.
std::optional<std::string> JobLinkTemplate(const Job& job, JobLink link);

// The template filled: the context's names ({job_id}, {app_id}, {team}, {namespace},
// {driver_pod}, {pod_prefix}) and the job's time range, {start}/{end} in RFC 3339 and
// {start_ms}/{end_ms} in Unix milliseconds, from its start (else creation) to its end (else
// `now`). "" when the spec has no such link.
std::string JobLinkUrl(const Job& job, JobLink link, const RenderContext& context,
                       std::chrono::system_clock::time_point now);

// Every `from` in `text` replaced by `to` (the URL templates' placeholders).
std::string ReplaceAll(std::string text, std::string_view from, std::string_view to);

}  // namespace sparkd
