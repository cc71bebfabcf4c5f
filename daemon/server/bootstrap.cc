#include "daemon/server/bootstrap.h"

#include <spdlog/spdlog.h>

namespace sparkd::server {

Status RegisterBootstrapAdminToken(std::string_view token, TeamStore& teams) {
  if (token.empty()) return Status::Ok();
  auto state = teams.EnsureToken("admin", token, Role::kPlatformAdmin);
  if (!state.ok()) return state.status().WithContext("bootstrap-admin-token");
  if (*state == TokenState::kRevoked) {
    // Starting anyway: refusing would turn a revoke into an outage, and the token grants
    // nothing while it is revoked.
    spdlog::warn(
        "bootstrap-admin-token: the configured token has been revoked and stays "
        "revoked; remove bootstrap-admin-token (SPARKD_BOOTSTRAP_ADMIN_TOKEN) from the "
        "configuration");
    return Status::Ok();
  }
  spdlog::info("bootstrap admin token registered: platform admin of team admin");
  return Status::Ok();
}

}  // namespace sparkd::server
