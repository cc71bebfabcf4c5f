// What sparkd knows about Spark conf keys: which ones are typed spec fields in disguise, which
// have typed values worth checking, and which would let a job escape its team's sandbox.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/preset/conf_policy.h"
#include "daemon/core/preset/job_spec.h"
#include "daemon/core/status.h"

namespace sparkd {

// The conf key a typed scalar field renders to ("executor.memory" → "spark.executor.memory"), or
// "" when the field has no single conf key (links, name, file, ...).
std::string_view ConfKeyForField(std::string_view field_path);

// The spec field a conf key stands for ("spark.executor.memory" → "executor.memory"), "" if none.
std::string_view FieldForConfKey(std::string_view conf_key);

// Moves conf keys that duplicate a typed field (spark.executor.memory, spark.kubernetes.node
// .selector.*, ...) into that field, so merging, enforcement and rendering see one value. A conf
// key that disagrees with the same layer's typed field is an error naming both.
Status FoldTypedConf(JobSpec& layer);

// Checks one conf entry of any layer: the key rules of conf_policy.h (daemon-owned keys,
// spelling, env names, -D in *JavaOptions), then the value of a known key (booleans, sizes,
// whole numbers, durations, fractions). Unknown keys are allowed, as Spark allows them, with a
// warning that suggests a known key.
Status ValidateConfEntry(std::string_view key, std::string_view value,
                         std::vector<std::string>& warnings);

}  // namespace sparkd
