#include "daemon/core/preset/documents.h"

#include "daemon/core/preset/diff.h"
#include "daemon/core/preset/preset.h"
#include "daemon/core/preset/request_json.h"
#include "daemon/core/preset/resolve.h"

namespace sparkd {
namespace {

using nlohmann::json;

StatusOr<Preset> ParseNamed(std::string_view yaml, std::string_view name) {
  auto preset = ParsePreset(yaml);
  if (!preset.ok()) return preset.status().WithContext("preset " + std::string(name));
  return preset;
}

// Defaults and presets given as YAML documents (versions 0, team ""), as a resolver's lookup.
struct PresetFiles {
  Preset defaults;
  std::map<std::string, PresetLayer, std::less<>> layers;

  PresetLookup Lookup() const {
    return [this](std::string_view job_type) -> const PresetLayer* {
      auto it = layers.find(job_type);
      return it == layers.end() ? nullptr : &it->second;
    };
  }
};

StatusOr<PresetFiles> ParsePresetFiles(std::string_view defaults_yaml,
                                       const std::map<std::string, std::string>& presets_yaml) {
  PresetFiles files;
  ASSIGN_OR_RETURN(files.defaults, ParseNamed(defaults_yaml, "defaults"));
  for (const auto& [job_type, yaml] : presets_yaml) {
    ASSIGN_OR_RETURN(Preset preset, ParseNamed(yaml, job_type));
    files.layers[job_type] = PresetLayer{PresetRef{"", job_type, 0}, std::move(preset)};
  }
  return files;
}

}  // namespace

StatusOr<json> ParsePresetDocument(std::string_view yaml) {
  ASSIGN_OR_RETURN(Preset preset, ParsePreset(yaml));
  return json{{"preset", PresetToJson(preset)}, {"warnings", preset.warnings}};
}

StatusOr<json> ValidateRequestDocument(const json& request) {
  ASSIGN_OR_RETURN(JobRequest parsed, ParseRequestJson(request));
  ASSIGN_OR_RETURN(std::vector<std::string> warnings, ValidateRequest(parsed));
  return json{{"warnings", warnings}};
}

StatusOr<json> ResolveDocuments(std::string_view defaults_yaml,
                                const std::map<std::string, std::string>& presets_yaml,
                                const json& request, const RenderContext& context) {
  ASSIGN_OR_RETURN(PresetFiles files, ParsePresetFiles(defaults_yaml, presets_yaml));
  ASSIGN_OR_RETURN(JobRequest parsed, ParseRequestJson(request));
  ASSIGN_OR_RETURN(ResolvedJob resolved, ResolveJob(&files.defaults, files.Lookup(), parsed));
  json out = ResolvedJobToJson(resolved);
  out["sparkConf"] = RenderSparkConf(resolved.spec);
  out["podTemplates"] = {{"driver", RenderPodTemplate(resolved.spec, "driver", context)},
                         {"executor", RenderPodTemplate(resolved.spec, "executor", context)}};
  out["links"] = RenderLinks(resolved.spec, context);
  return out;
}

StatusOr<json> MergeDocuments(std::string_view defaults_yaml,
                              const std::map<std::string, std::string>& presets_yaml,
                              std::string_view job_type) {
  ASSIGN_OR_RETURN(PresetFiles files, ParsePresetFiles(defaults_yaml, presets_yaml));
  ASSIGN_OR_RETURN(ResolveLayers layers, FindLayers(&files.defaults, files.Lookup(), job_type));
  ASSIGN_OR_RETURN(ResolvedJob merged, MergeLayers(layers));
  json out = ResolvedJobToJson(merged);
  out["sparkConf"] = RenderSparkConf(merged.spec);
  return out;
}

StatusOr<json> DiffDocuments(std::string_view before_yaml, std::string_view after_yaml) {
  ASSIGN_OR_RETURN(Preset before, ParseNamed(before_yaml, "before"));
  ASSIGN_OR_RETURN(Preset after, ParseNamed(after_yaml, "after"));
  json out = json::array();
  for (const auto& change : DiffPresets(before, after)) {
    json item = {{"path", change.path}};
    if (change.before) item["before"] = *change.before;
    if (change.after) item["after"] = *change.after;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace sparkd
