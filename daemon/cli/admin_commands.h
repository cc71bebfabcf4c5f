// `sparkd admin create-team|list-teams|create-token|list-tokens|revoke-token`: team and token
// management (admin token required).
#pragma once

#include <string>
#include <vector>

namespace sparkd::cli {

int RunAdmin(const std::vector<std::string>& args);

}  // namespace sparkd::cli
