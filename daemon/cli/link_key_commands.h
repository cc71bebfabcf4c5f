// `sparkd admin rotate-link-key` and `sparkd admin list-link-keys`.
#pragma once

#include <string>
#include <vector>

namespace sparkd::cli {

// `usage` is the admin commands' usage text, printed on a usage error.
int RotateLinkKey(const std::vector<std::string>& args, const char* usage);
int ListLinkKeys(const std::vector<std::string>& args, const char* usage);

}  // namespace sparkd::cli
