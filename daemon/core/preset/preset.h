// A preset: a team's named, partial job spec (the body platform engineers write in YAML), plus
// the keys it locks (`enforce:`) and the preset it builds on (`extends:`).
//
//   description: strong compute pool
//   extends: platform_default
//   driver: {memory: 4g, cores: 2}
//   executor: {memory: 16g, cores: 4, instances: 10}
//   nodeSelector: {pool: compute}
//   conf: {spark.sql.adaptive.enabled: true}
//   enforce: [executor.memory, nodeSelector, conf."spark.sql.shuffle.partitions"]
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/preset/job_spec.h"
#include "daemon/core/status.h"

namespace sparkd {

struct Preset {
  std::string description;
  std::string extends;               // job_type of a preset of the same team; "" = none
  std::vector<std::string> enforce;  // canonical field paths (see CanonicalFieldPath)
  JobSpec spec;
  std::vector<std::string> warnings;  // from parsing: unknown conf keys and the like
  bool operator==(const Preset& other) const {
    return description == other.description && extends == other.extends &&
           enforce == other.enforce && spec == other.spec;
  }
};

// Which stored preset a layer came from. version 0 = not stored (a dry run from files).
struct PresetRef {
  std::string team;
  std::string job_type;
  int64_t version = 0;
  bool operator==(const PresetRef&) const = default;
};

struct PresetLayer {
  PresetRef ref;
  Preset preset;
};

// "preset platform_default v3": how errors and provenance name a layer.
std::string LayerName(const PresetRef& ref);

// Parses and validates a preset body. Errors are INVALID_ARGUMENT naming the field path:
// unknown keys get a did-you-mean, request-only fields (file, className, args, name) are
// refused, conf keys that duplicate a typed field are folded into it.
StatusOr<Preset> ParsePreset(std::string_view yaml);
StatusOr<Preset> PresetFromJson(const nlohmann::json& json);
nlohmann::json PresetToJson(const Preset& preset);

// Canonical form of a field path written by a person: `sparkConf.spark.x` → `conf."spark.x"`,
// `conf."spark.executor.memory"` → `executor.memory`, `labels."team"` → `labels.team`.
// Accepts scalar fields, whole collections (`tolerations`, `conf`) and map entries.
StatusOr<std::string> CanonicalFieldPath(std::string_view path);

}  // namespace sparkd
