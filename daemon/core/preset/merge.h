// Layer merging by the rules of DESIGN.md: scalars replace, maps merge by key, tolerations /
// env / volumes / mounts merge by identity (the later layer's entry replaces), affinity terms
// and dependency lists append, args replace.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "daemon/core/preset/job_spec.h"

namespace sparkd {

// field path → the layer that set it last ("defaults", "preset heavy_shuffle v3", "request").
using Provenance = std::map<std::string, std::string>;

// Applies `layer` on top of `into`; records each path `layer` sets in `provenance` when given.
void MergeSpec(const JobSpec& layer, std::string_view layer_name, JobSpec& into,
               Provenance* provenance);

// Whether `a` and `b` hold the same value at a canonical field path (a scalar, a whole
// collection such as "tolerations", or one entry such as `conf."spark.x"` or `env.TOKEN`).
bool SameAtPath(const JobSpec& a, const JobSpec& b, std::string_view path);

}  // namespace sparkd
