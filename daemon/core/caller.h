// Who is calling: the team and role of the caller's token, set by the API edge.
#pragma once

#include <string>
#include <vector>

namespace sparkd {

// `admin` is the platform-wide role: an admin manages teams, tokens and every team's presets,
// and sees every team's jobs. A member acts on its own team only.
struct Caller {
  std::string team;
  bool admin = false;
  std::string principal;  // the token's id: recorded as the author of what the caller writes
  // The team's Kubernetes namespaces; its jobs run in one of them, the first by default.
  // Empty: the team is not held to any.
  std::vector<std::string> namespaces;
};

}  // namespace sparkd
