// JSON forms of JobRequest and JobReport: what the store keeps in jsonb and the HTTP API shows.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

nlohmann::json JobRequestToJson(const JobRequest& request);
StatusOr<JobRequest> JobRequestFromJson(const nlohmann::json& json);

// What makes two submissions "the same request" for their idempotency key: the request's JSON
// (keys sorted, unset fields left out), as text. Two requests that differ only in how the
// client spelled unset fields or ordered map entries have the same fingerprint.
// INVALID_ARGUMENT when a text is not valid UTF-8.
StatusOr<std::string> RequestFingerprint(const JobRequest& request);

nlohmann::json JobReportToJson(const JobReport& report);
StatusOr<JobReport> JobReportFromJson(const nlohmann::json& json);

// The whole job as the HTTP API serves it (times as RFC 3339 UTC strings).
nlohmann::json JobToJson(const Job& job);

std::string FormatRfc3339(TimePoint t);

}  // namespace sparkd
