// Validation of a spec: one layer (a preset, the defaults, a request) or the resolved result.
// Errors are INVALID_ARGUMENT naming the field path, with a suggestion where one is likely
// ("executor.memory: \"4gb\" is not a Spark size; did you mean \"4g\"?").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/preset/job_spec.h"
#include "daemon/core/status.h"

namespace sparkd {

enum class SpecScope {
  kLayer,     // checks each field and the pairs set in the same layer
  kResolved,  // also the combinations that only the full spec can answer
};

// Checks `spec`; appends warnings (unknown conf keys, ignored settings) to `warnings`.
Status ValidateSpec(const JobSpec& spec, SpecScope scope, std::vector<std::string>& warnings);

// Kubernetes resource quantities ("500m", "2", "4Gi", "1e3"), as a number of base units.
// Errors suggest the Kubernetes spelling of a Spark-style size ("4g" → did you mean "4Gi"?).
StatusOr<double> ParseK8sQuantity(std::string_view text);

// Kubernetes name rules; each returns "" when `s` is valid, else why it is not.
std::string CheckQualifiedName(std::string_view s);  // label/annotation keys: [prefix/]name
std::string CheckLabelValue(std::string_view s);
std::string CheckDnsLabel(std::string_view s);      // namespaces, volume names
std::string CheckDnsSubdomain(std::string_view s);  // service accounts, secrets, classes

}  // namespace sparkd
