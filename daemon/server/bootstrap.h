// The bootstrap admin token from the configuration (setting bootstrap-admin-token), applied at
// every start.
#pragma once

#include <string_view>

#include "daemon/core/status.h"
#include "daemon/core/team_store.h"

namespace sparkd::server {

// Registers `token` ("" = none configured) as a platform admin of team `admin`. A token an admin
// has revoked stays revoked: the daemon starts, and a warning naming the setting (never the token)
// asks the operator to remove it. FAILED_PRECONDITION when the token belongs to another team
// or role. Never logs the token.
Status RegisterBootstrapAdminToken(std::string_view token, TeamStore& teams);

}  // namespace sparkd::server
