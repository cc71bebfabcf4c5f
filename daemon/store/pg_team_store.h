// TeamStore on PostgreSQL. Tokens are random 256-bit secrets; only their SHA-256 is stored
// (api_tokens.token_hash), so the plaintext exists once, in CreateToken's answer.
#pragma once

#include <string>
#include <string_view>

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
  StatusOr<IssuedToken> CreateToken(const std::string& team, Role role) override;
  StatusOr<Caller> Authenticate(std::string_view token) override;
  Status RevokeToken(const std::string& id) override;
  Status EnsureToken(const std::string& team, std::string_view token, Role role) override;

 private:
  PgPool* pool_;
};

}  // namespace sparkd::store
