// The preset core as documents in and JSON out: what the Python binding exposes, what the CLI
// uses for a dry run from files, and what the shared case table (tests/cases/presets) checks,
// so the daemon, the provider and the tests run one code path.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/core/preset/render.h"
#include "daemon/core/status.h"

namespace sparkd {

// {"preset": <PresetToJson>, "warnings": [...]}
StatusOr<nlohmann::json> ParsePresetDocument(std::string_view yaml);

// `request` in the JSON form of request_json.h. {"warnings": [...]}
StatusOr<nlohmann::json> ValidateRequestDocument(const nlohmann::json& request);

// Resolves `request` against daemon defaults (YAML, may be empty) and presets keyed by
// job_type (YAML; versions 0, team ""). Returns ResolvedJobToJson plus "sparkConf",
// "podTemplates" {"driver", "executor"} and "links" rendered with `context`.
StatusOr<nlohmann::json> ResolveDocuments(std::string_view defaults_yaml,
                                          const std::map<std::string, std::string>& presets_yaml,
                                          const nlohmann::json& request,
                                          const RenderContext& context = {});

// Merges the layers a job of `job_type` starts from (defaults, the preset it extends, the
// preset) without a request: ResolvedJobToJson of MergeLayers plus "sparkConf".
StatusOr<nlohmann::json> MergeDocuments(std::string_view defaults_yaml,
                                        const std::map<std::string, std::string>& presets_yaml,
                                        std::string_view job_type);

// [{"path", "before", "after"}] with absent sides omitted.
StatusOr<nlohmann::json> DiffDocuments(std::string_view before_yaml, std::string_view after_yaml);

}  // namespace sparkd
