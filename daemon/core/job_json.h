// JSON forms of JobRequest and JobReport: what the store keeps in jsonb and the HTTP API shows.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

nlohmann::json JobRequestToJson(const JobRequest& request);
StatusOr<JobRequest> JobRequestFromJson(const nlohmann::json& json);

nlohmann::json JobReportToJson(const JobReport& report);
StatusOr<JobReport> JobReportFromJson(const nlohmann::json& json);

// The whole job as the HTTP API serves it (times as RFC 3339 UTC strings).
nlohmann::json JobToJson(const Job& job);

std::string FormatRfc3339(TimePoint t);

}  // namespace sparkd
