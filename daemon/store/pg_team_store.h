// TeamStore on PostgreSQL. Tokens are random 256-bit secrets; only their SHA-256 is stored
// (api_tokens.token_hash), so the plaintext exists once, in CreateToken's answer.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/core/team_store.h"
#include "daemon/store/pg.h"

namespace sparkd::store {

// Hex SHA-256 of a token: the only form a token is stored or compared in.
std::string TokenHashHex(std::string_view token);

class PgTeamStore : public TeamStore {
 public:
  // `pool` must outlive the store.
  explicit PgTeamStore(PgPool* pool) : pool_(pool) {}

  Status CreateTeam(const Team& team) override;
  StatusOr<Team> GetTeam(const std::string& name) override;
  StatusOr<std::vector<Team>> ListTeams() override;
  StatusOr<std::string> NamespaceOwner(const std::string& name) override;
  StatusOr<IssuedToken> CreateToken(const std::string& team, Role role,
                                    const std::string& description) override;
  StatusOr<std::vector<TokenInfo>> ListTokens(const std::string& team) override;
  StatusOr<TokenInfo> GetToken(const std::string& id) override;
  StatusOr<Caller> Authenticate(std::string_view token) override;
  StatusOr<TokenInfo> RevokeToken(const std::string& id) override;
  StatusOr<TokenState> EnsureToken(const std::string& team, std::string_view token,
                                   Role role) override;

 private:
  // Authenticated tokens, by hash (never the token), for a few seconds: every RPC checks its
  // token, and a query per call cost more than the rest of a submit. A revocation on another
  // replica therefore takes up to kTokenCacheTtl to apply; on this one it applies at once.
  static constexpr std::chrono::seconds kTokenCacheTtl{5};
  struct CachedCaller {
    Caller caller;
    std::chrono::steady_clock::time_point expires;
  };

  PgPool* pool_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedCaller> token_cache_;  // GUARDED_BY(cache_mu_)
};

}  // namespace sparkd::store
