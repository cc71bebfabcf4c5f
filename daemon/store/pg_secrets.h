// Secrets shared by every daemon replica, kept in Postgres so they survive restarts.
#pragma once

#include <string>

#include "daemon/core/status.h"
#include "daemon/store/pg.h"

namespace sparkd::store {

// The secret called `name`, created (32 random bytes, hex) on first use. Concurrent first
// uses agree on one value.
StatusOr<std::string> LoadOrCreateSecret(PgConnection& conn, const std::string& name);

}  // namespace sparkd::store
