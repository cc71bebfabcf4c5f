// Command-line flags for the sparkd subcommands: `--name value`, `--name=value`, `--switch`,
// positional arguments, and everything after `--` passed through untouched.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd::cli {

struct FlagSpec {
  std::set<std::string> valued;    // flags that take a value
  std::set<std::string> switches;  // flags that take none
  std::set<std::string> repeated;  // valued flags that may repeat
};

struct ParsedFlags {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> switches;
  std::vector<std::string> positional;
  std::vector<std::string> passthrough;  // after "--"

  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const { return switches.contains(name); }
};

// Unknown flags and missing values are INVALID_ARGUMENT naming the flag.
StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec);

}  // namespace sparkd::cli
