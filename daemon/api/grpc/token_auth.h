// Bearer-token authentication for the gRPC and HTTP edges. The token itself never leaves this
// path: it is hashed by the TeamStore and never logged, and error messages do not echo it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/grpc/job_service_grpc.h"
#include "daemon/core/team_store.h"

namespace sparkd::api {

// "Bearer abc" → "abc" (scheme case-insensitive); nullopt for anything else.
std::optional<std::string> BearerToken(std::string_view authorization);

// Reads `authorization: Bearer <token>` from the call's credentials and asks `teams` who it is.
// Missing, malformed, unknown and revoked tokens are UNAUTHENTICATED. `teams` must outlive the
// returned function. Streams call it again as they run (see job_service_grpc.h).
Authenticator BearerAuthenticator(TeamStore* teams);

}  // namespace sparkd::api
