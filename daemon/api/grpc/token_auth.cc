#include "daemon/api/grpc/token_auth.h"

#include <strings.h>

namespace sparkd::api {

std::optional<std::string> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

Authenticator BearerAuthenticator(TeamStore* teams) {
  return [teams](const CallCredentials& credentials) -> StatusOr<Caller> {
    if (!credentials.authorization) {
      return Unauthenticated("no credentials: send the metadata authorization: Bearer <token>");
    }
    auto token = BearerToken(*credentials.authorization);
    if (!token) return Unauthenticated("authorization: expected \"Bearer <token>\"");
    return teams->Authenticate(*token);
  };
}

}  // namespace sparkd::api
