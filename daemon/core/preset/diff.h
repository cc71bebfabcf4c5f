// Structured diff of two preset bodies, for `sparkd presets diff TEAM JOB_TYPE V1 V2` and the
// plan of `sparkd presets apply`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/preset/preset.h"

namespace sparkd {

// One changed leaf: `before` unset = added, `after` unset = removed. Values are JSON text.
struct FieldChange {
  // "executor.memory", `conf."spark.x"`, `tolerations."dedicated:NoSchedule".effect`
  std::string path;
  std::optional<std::string> before;
  std::optional<std::string> after;
  bool operator==(const FieldChange&) const = default;
};

// Changes from `before` to `after`, sorted by path. List entries with an identity (tolerations,
// env, volumes, mounts) are matched by it, so reordering them is no change.
std::vector<FieldChange> DiffPresets(const Preset& before, const Preset& after);

// "executor.memory: \"4g\" → \"8g\"" per line, for the CLI.
std::string FormatChanges(const std::vector<FieldChange>& changes);

}  // namespace sparkd
