// `sparkd serve` and `sparkd migrate`: wiring the store, backend, supervisor and APIs together.
#pragma once

#include <string>
#include <vector>

namespace sparkd::server {

int RunServe(const std::vector<std::string>& args);
int RunMigrate(const std::vector<std::string>& args);

}  // namespace sparkd::server
