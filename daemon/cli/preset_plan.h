// `sparkd presets apply DIR`: the plan (what each file would do to the daemon's presets) and
// its application with optimistic concurrency, so a concurrent edit is refused, not lost; and
// the table of `sparkd presets history`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/core/preset/diff.h"
#include "daemon/core/preset/preset.h"
#include "daemon/core/status.h"
#include "sparkd/v1/presets.pb.h"

namespace sparkd::cli {

struct PlanStep {
  // kDeleteNotDone: on the daemon, no file, and no --prune.
  enum class Action { kCreate, kUpdate, kUnchanged, kDelete, kDeleteNotDone };
  Action action = Action::kCreate;
  std::string job_type;
  std::string yaml;                  // the file's text (create, update)
  Preset preset;                     // parsed from the file (delete: the daemon's)
  int64_t current_version = 0;       // on the daemon; 0 = none
  std::vector<FieldChange> changes;  // update
};

// The parsed body of a preset from the API.
StatusOr<Preset> PresetFromStored(const v1::Preset& stored);

// Reads DIR/*.yaml (and *.yml), one preset per file named JOB_TYPE.yaml, and compares them
// with `remote` (the team's latest presets). A file that does not parse is INVALID_ARGUMENT
// naming the file, before anything is written. Presets only on the daemon are deleted with
// `prune` (kDelete; INVALID_ARGUMENT when a file extends one of them), else kDeleteNotDone.
// Writes come first, a preset after the one it extends; then deletes, a preset before the one
// it extends.
StatusOr<std::vector<PlanStep>> MakePlan(const std::string& dir,
                                         const std::vector<v1::Preset>& remote, bool prune);

std::string FormatPlan(const std::vector<PlanStep>& plan);

// `versions` newest first (ListPresetVersions): version, time, author, and what each version
// changed from the one before it ("created", "deleted", or the changed field paths).
StatusOr<std::string> FormatHistory(const std::vector<v1::Preset>& versions);

int RunPresetsApply(const std::vector<std::string>& args, const char* usage);

}  // namespace sparkd::cli
