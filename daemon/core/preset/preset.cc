#include "daemon/core/preset/preset.h"

#include <algorithm>

#include "daemon/core/preset/spark_conf.h"
#include "daemon/core/preset/spec_parts.h"
#include "daemon/core/preset/suggest.h"
#include "daemon/core/preset/validate.h"
#include "daemon/core/preset/yaml_json.h"

namespace sparkd {
namespace {

using nlohmann::json;

constexpr std::string_view kPresetKeys[] = {"description", "extends", "enforce"};
constexpr std::string_view kRequestOnly[] = {"name", "file", "className", "args"};
constexpr std::string_view kWholeFields[] = {
    "args",         "pyFiles", "jars",        "files",       "imagePullSecrets",
    "nodeSelector", "labels",  "annotations", "conf",        "affinity",
    "tolerations",  "env",     "volumes",     "volumeMounts"};
constexpr std::string_view kKeyedFields[] = {"nodeSelector", "labels",  "annotations", "conf",
                                             "env",          "volumes", "volumeMounts"};

// Splits `a.b."c.d"` into {a, b, c.d}.
StatusOr<std::vector<std::string>> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  std::string current;
  bool quoted = false;
  for (char c : path) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '.' && !quoted) {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (quoted) return InvalidArgument(std::string(path) + ": unclosed quote");
  parts.push_back(std::move(current));
  return parts;
}

std::vector<std::string_view> ScalarPaths() {
  std::vector<std::string_view> paths;
  JobSpec probe;
  ForEachScalar(probe, probe, [&](std::string_view p, auto&, auto&) { paths.push_back(p); });
  return paths;
}

StatusOr<std::string> CanonicalEntry(std::string field, const std::string& key) {
  if (field == "sparkConf") field = "conf";
  if (field == "conf") {
    if (std::string_view typed = FieldForConfKey(key); !typed.empty()) return std::string(typed);
    constexpr std::string_view kSelector = "spark.kubernetes.node.selector.";
    if (key.starts_with(kSelector)) {
      return MapEntryPath("nodeSelector", key.substr(kSelector.size()));
    }
  }
  return MapEntryPath(field, key);
}

Status ReadPresetKeys(const json& j, Preset& preset) {
  std::optional<std::string> text;
  if (j.contains("description")) RETURN_IF_ERROR(ReadScalar(j["description"], "description", text));
  preset.description = text.value_or("");
  text.reset();
  if (j.contains("extends")) RETURN_IF_ERROR(ReadScalar(j["extends"], "extends", text));
  preset.extends = text.value_or("");
  std::vector<std::string> enforce;
  if (j.contains("enforce")) RETURN_IF_ERROR(ReadStringList(j["enforce"], "enforce", enforce));
  for (size_t i = 0; i < enforce.size(); ++i) {
    auto path = CanonicalFieldPath(enforce[i]);
    if (!path.ok()) return path.status().WithContext("enforce[" + std::to_string(i) + "]");
    if (std::find(kRequestOnly, std::end(kRequestOnly), *path) != std::end(kRequestOnly)) {
      return InvalidArgument("enforce[" + std::to_string(i) + "]: " + *path +
                             " belongs to the job request and cannot be enforced");
    }
    if (std::find(preset.enforce.begin(), preset.enforce.end(), *path) == preset.enforce.end()) {
      preset.enforce.push_back(std::move(*path));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string LayerName(const PresetRef& ref) {
  std::string name = "preset " + ref.job_type;
  if (ref.version > 0) name += " v" + std::to_string(ref.version);
  return name;
}

StatusOr<std::string> CanonicalFieldPath(std::string_view path) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitPath(path));
  std::vector<std::string_view> scalars = ScalarPaths();
  std::string joined = parts.size() == 2 ? parts[0] + "." + parts[1] : parts[0];
  if (parts.size() <= 2 && std::find(scalars.begin(), scalars.end(), joined) != scalars.end()) {
    return joined;
  }
  std::string& field = parts[0];
  if (parts.size() == 1 &&
      (field == "sparkConf" || std::find(std::begin(kWholeFields), std::end(kWholeFields), field) !=
                                   std::end(kWholeFields))) {
    return field == "sparkConf" ? std::string("conf") : field;
  }
  bool keyed = field == "sparkConf" || std::find(std::begin(kKeyedFields), std::end(kKeyedFields),
                                                 field) != std::end(kKeyedFields);
  if (keyed && parts.size() >= 2) {
    // An unquoted conf key keeps its dots: conf.spark.sql.shuffle.partitions.
    std::string key = parts[1];
    for (size_t i = 2; i < parts.size(); ++i) key += "." + parts[i];
    if (key.empty()) return InvalidArgument(std::string(path) + ": empty key");
    return CanonicalEntry(field, key);
  }
  std::vector<std::string_view> known = scalars;
  known.insert(known.end(), std::begin(kWholeFields), std::end(kWholeFields));
  return InvalidArgument("\"" + std::string(path) + "\" is not a field" + DidYouMean(path, known));
}

StatusOr<Preset> PresetFromJson(const json& j) {
  Preset preset;
  if (j.is_null()) return preset;  // an empty file: a preset that changes nothing
  RETURN_IF_ERROR(ExpectObject(j, "preset"));
  std::vector<std::string_view> extra(std::begin(kPresetKeys), std::end(kPresetKeys));
  RETURN_IF_ERROR(ReadSpecFields(j, extra, preset.spec));
  for (std::string_view key : kRequestOnly) {
    if (j.contains(key)) {
      return InvalidArgument(std::string(key) + ": set by the job request, not by a preset");
    }
  }
  RETURN_IF_ERROR(ReadPresetKeys(j, preset));
  RETURN_IF_ERROR(FoldTypedConf(preset.spec));
  RETURN_IF_ERROR(ValidateSpec(preset.spec, SpecScope::kLayer, preset.warnings));
  return preset;
}

StatusOr<Preset> ParsePreset(std::string_view yaml) {
  ASSIGN_OR_RETURN(json j, YamlToJson(yaml));
  return PresetFromJson(j);
}

json PresetToJson(const Preset& preset) {
  json out = SpecToJson(preset.spec);
  if (!preset.description.empty()) out["description"] = preset.description;
  if (!preset.extends.empty()) out["extends"] = preset.extends;
  if (!preset.enforce.empty()) out["enforce"] = preset.enforce;
  return out;
}

}  // namespace sparkd
