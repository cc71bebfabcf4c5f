// `sparkd presets apply|get|list|history|diff|delete` and `sparkd resolve`: a team's presets from
// the command line, and the dry run of a submit.
#pragma once

#include <string>
#include <vector>

namespace sparkd::cli {

int RunPresets(const std::vector<std::string>& args);
// The dry run: the submit flags, answered with the effective spec, provenance and warnings.
int RunResolve(const std::vector<std::string>& args);

}  // namespace sparkd::cli
