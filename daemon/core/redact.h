// Redaction of secret-looking values wherever the daemon shows a job (API replies, the HTTP
// pages, the CLI's output through them), and the same rule handed to Spark as
// spark.redaction.regex so its UI and event log hide the same names.
//
// The rule is Spark's (Utils.redact): a value is hidden when its key or the value itself
// matches the pattern. The pattern is Spark 3.5's default, `(?i)secret|password|token|
// access[.]?key`, plus names Spark misses that teams use for credentials (api keys, private
// keys, credentials, passwd). Names are matched anywhere and case-insensitively:
// `DB_PASSWORD`, `spark.hadoop.fs.s3a.secret.key`, `GITHUB_TOKEN`, `API_KEY`.
//
// Redaction is for display: the stored request keeps the values, which a relaunch needs.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/core/job.h"

namespace sparkd {

// What a hidden value reads as (Spark's own marker).
inline constexpr std::string_view kRedactedValue = "*********(redacted)";

// The pattern in Java syntax, as spark.redaction.regex.
std::string SparkRedactionRegex();

bool IsSensitiveName(std::string_view name);
// Spark's rule: the key or the value matches.
bool IsSensitiveEntry(std::string_view key, std::string_view value);

// `entries` with the values of sensitive entries replaced by kRedactedValue.
std::map<std::string, std::string> RedactEntries(std::map<std::string, std::string> entries);

// The spec JSON (SpecToJson's form) with sensitive env values and conf values hidden.
nlohmann::json RedactSpecJson(nlohmann::json spec);
// The same on its text; text that is not JSON reads as "".
std::string RedactSpecJsonText(const std::string& text);

// A job as it may be shown: request env and conf and the resolved spec redacted.
JobRequest RedactedRequest(JobRequest request);
Job RedactedJob(Job job);

}  // namespace sparkd
