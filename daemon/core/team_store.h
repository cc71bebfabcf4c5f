// TeamStore: teams and their API tokens. PostgreSQL implements it (daemon/store). Tokens are
// secrets: the store keeps only a hash, returns the plaintext once (from CreateToken), and
// nothing here ever logs one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/caller.h"
#include "daemon/core/status.h"

namespace sparkd {

enum class Role { kMember, kAdmin };

std::string_view RoleName(Role role);  // "member", "admin"
std::optional<Role> ParseRole(std::string_view name);

struct Team {
  std::string name;
  std::vector<std::string> namespaces;
};

struct IssuedToken {
  std::string id;     // names the token in listings and revocation; not a secret
  std::string token;  // the secret, returned once
  std::string team;
  Role role = Role::kMember;
};

// Team names: 1-63 characters of [a-z0-9-], starting with a letter (they become labels and
// namespace-like identifiers).
Status ValidateTeamName(std::string_view name);

// Thread-safe.
class TeamStore {
 public:
  virtual ~TeamStore() = default;

  // ALREADY_EXISTS when the name is taken.
  virtual Status CreateTeam(const Team& team) = 0;
  // NOT_FOUND when there is no such team.
  virtual StatusOr<Team> GetTeam(const std::string& name) = 0;

  // A new random token for `team` (NOT_FOUND when the team does not exist).
  virtual StatusOr<IssuedToken> CreateToken(const std::string& team, Role role) = 0;

  // The caller a token stands for. UNAUTHENTICATED when the token is unknown or revoked; the
  // message never contains the token.
  virtual StatusOr<Caller> Authenticate(std::string_view token) = 0;

  // Revoked tokens stop authenticating at once. NOT_FOUND for an unknown id.
  virtual Status RevokeToken(const std::string& id) = 0;

  // Ensures `team` exists and `token` is registered for it with `role`. Idempotent: for the
  // bootstrap admin token from the configuration, applied at every start.
  virtual Status EnsureToken(const std::string& team, std::string_view token, Role role) = 0;
};

}  // namespace sparkd
