// TeamStore: teams and their API tokens. PostgreSQL implements it (daemon/store). Tokens are
// secrets: the store keeps only a hash, returns the plaintext once (from CreateToken), and
// nothing here ever logs one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/caller.h"
#include "daemon/core/status.h"

namespace sparkd {

// The stored names: "member", "team_admin", "platform_admin" (sql/0005 token_role).
std::string_view RoleName(Role role);
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

// A token as listings show it: everything but the secret and its hash.
struct TokenInfo {
  std::string id;
  std::string team;
  Role role = Role::kMember;
  std::string description;
  std::chrono::system_clock::time_point created_at;
  std::optional<std::chrono::system_clock::time_point> revoked_at;  // unset while it is valid
};

// What EnsureToken found the configured token to be.
enum class TokenState { kActive, kRevoked };

// Team names: 1-63 characters of [a-z0-9-], starting with a letter (they become labels and
// namespace-like identifiers).
Status ValidateTeamName(std::string_view name);

// A team's namespaces: Kubernetes namespace names (DNS-1123 labels: 1-63 characters of
// [a-z0-9-], starting and ending with a letter or digit), each listed once. Errors name the
// entry ("namespaces[1]: ...").
Status ValidateTeamNamespaces(const std::vector<std::string>& namespaces);

inline constexpr size_t kMaxTokenDescriptionChars = 200;

// Token descriptions: optional, at most kMaxTokenDescriptionChars characters of UTF-8 without
// control characters (they are printed in tables on admins' terminals).
Status ValidateTokenDescription(std::string_view description);

// Thread-safe.
class TeamStore {
 public:
  virtual ~TeamStore() = default;

  // ALREADY_EXISTS when the name is taken; FAILED_PRECONDITION naming the namespace and its
  // team when one of the namespaces belongs to another team (a namespace has one owner, also
  // under concurrent creates).
  virtual Status CreateTeam(const Team& team) = 0;
  // NOT_FOUND when there is no such team.
  virtual StatusOr<Team> GetTeam(const std::string& name) = 0;
  // Every team, by name.
  virtual StatusOr<std::vector<Team>> ListTeams() = 0;
  // The team that owns `name` among its namespaces, "" when none does.
  virtual StatusOr<std::string> NamespaceOwner(const std::string& name) = 0;

  // A new random token for `team` (NOT_FOUND when the team does not exist). `description` is
  // stored as given; callers validate it.
  virtual StatusOr<IssuedToken> CreateToken(const std::string& team, Role role,
                                            const std::string& description) = 0;
  // The tokens of `team` ("" = every team), revoked ones included, by team, then creation.
  virtual StatusOr<std::vector<TokenInfo>> ListTokens(const std::string& team) = 0;
  // One token, revoked or not; NOT_FOUND for an unknown id. A token's team and role never
  // change, so what this answers stays true for the token's life.
  virtual StatusOr<TokenInfo> GetToken(const std::string& id) = 0;

  // The caller a token stands for. UNAUTHENTICATED when the token is unknown or revoked; the
  // message never contains the token.
  virtual StatusOr<Caller> Authenticate(std::string_view token) = 0;

  // A revoked token stops authenticating at once through this store; other stores (replicas)
  // may accept it for up to the few seconds they cache authentications. Idempotent: revoking a
  // revoked token succeeds and keeps its first revoked_at. Returns the token as revoked.
  // NOT_FOUND for an unknown id.
  virtual StatusOr<TokenInfo> RevokeToken(const std::string& id) = 0;

  // Ensures `team` exists and `token` is registered for it with `role`. Idempotent: for the
  // bootstrap admin token from the configuration, applied at every start. Never brings a
  // revoked token back: it stays revoked and the answer is kRevoked. FAILED_PRECONDITION when
  // the token is registered for another team or role.
  virtual StatusOr<TokenState> EnsureToken(const std::string& team, std::string_view token,
                                           Role role) = 0;
};

}  // namespace sparkd
