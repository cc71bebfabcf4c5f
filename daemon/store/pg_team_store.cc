#include "daemon/store/pg_team_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace sparkd::store {
namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

StatusOr<std::string> RandomHex(size_t bytes) {
  std::array<unsigned char, 64> buffer{};
  if (bytes > buffer.size() || RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
    return Internal("no random bytes from OpenSSL");
  }
  return Hex(buffer.data(), bytes);
}

// "{a,b}" for a text[] parameter. Namespaces are Kubernetes names, which need no quoting,
// but quote anyway so a bad name is stored as given rather than splitting the array.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ",";
    out += "\"";
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

std::vector<std::string> ParseTextArray(std::string_view text) {
  std::vector<std::string> items;
  if (text.size() < 2) return items;
  std::string current;
  bool quoted = false, escaped = false, any = false;
  for (char c : text.substr(1, text.size() - 2)) {
    if (escaped) { current += c; escaped = false; continue; }
    if (c == '\\') { escaped = true; continue; }
    if (c == '"') { quoted = !quoted; any = true; continue; }
    if (c == ',' && !quoted) { items.push_back(current); current.clear(); any = false; continue; }
    current += c;
    any = true;
  }
  if (any || !current.empty()) items.push_back(current);
  return items;
}

// A token's listing columns, read by TokenFromRow; never token_hash.
constexpr const char* kTokenColumns =
    "id, team, role::text, description, ts_to_micros(created_at), ts_to_micros(revoked_at)";

TokenInfo TokenFromRow(const PgResult& rows, int row) {
  TokenInfo token;
  token.id = rows.Get(row, 0);
  token.team = rows.Get(row, 1);
  token.role = rows.Get(row, 2) == "admin" ? Role::kAdmin : Role::kMember;
  token.description = rows.Get(row, 3);
  token.created_at = FromMicros(rows.Get(row, 4));
  if (!rows.IsNull(row, 5)) token.revoked_at = FromMicros(rows.Get(row, 5));
  return token;
}

}  // namespace

std::string TokenHashHex(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size);
}

Status PgTeamStore::CreateTeam(const Team& team) {
  RETURN_IF_ERROR(ValidateTeamName(team.name));
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  auto inserted = conn->Exec("INSERT INTO teams (name, namespaces) VALUES ($1, $2::text[])",
                             {team.name, TextArray(team.namespaces)});
  if (inserted.status().code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("team " + team.name + " already exists");
  }
  return inserted.status();
}

StatusOr<Team> PgTeamStore::GetTeam(const std::string& name) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec("SELECT name, namespaces FROM teams WHERE name = $1", {name}));
  if (rows.rows() == 0) return NotFound("team " + name + " not found");
  return Team{std::string(rows.Get(0, 0)), ParseTextArray(rows.Get(0, 1))};
}

StatusOr<std::vector<Team>> PgTeamStore::ListTeams() {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec("SELECT name, namespaces FROM teams ORDER BY name"));
  std::vector<Team> teams;
  for (int row = 0; row < rows.rows(); ++row) {
    teams.push_back(Team{std::string(rows.Get(row, 0)), ParseTextArray(rows.Get(row, 1))});
  }
  return teams;
}

StatusOr<IssuedToken> PgTeamStore::CreateToken(const std::string& team, Role role,
                                               const std::string& description) {
  ASSIGN_OR_RETURN(std::string secret, RandomHex(32));
  ASSIGN_OR_RETURN(std::string id, RandomHex(8));
  IssuedToken issued{"tok_" + id, "sparkd_" + secret, team, role};
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(
      auto rows,
      conn->Exec("INSERT INTO api_tokens (id, team, role, token_hash, description)"
                 " SELECT $1, name, $3::token_role, decode($4, 'hex'), $5"
                 " FROM teams WHERE name = $2 RETURNING id",
                 {issued.id, team, std::string(RoleName(role)), TokenHashHex(issued.token),
                  description}));
  if (rows.rows() == 0) return NotFound("team " + team + " not found");
  return issued;
}

StatusOr<std::vector<TokenInfo>> PgTeamStore::ListTokens(const std::string& team) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec(std::string("SELECT ") + kTokenColumns +
                                             " FROM api_tokens WHERE ($1 = '' OR team = $1)"
                                             " ORDER BY team, created_at, id",
                                         {team}));
  std::vector<TokenInfo> tokens;
  for (int row = 0; row < rows.rows(); ++row) tokens.push_back(TokenFromRow(rows, row));
  return tokens;
}

StatusOr<Caller> PgTeamStore::Authenticate(std::string_view token) {
  if (token.empty()) return Unauthenticated("no token: send authorization: Bearer <token>");
  std::string hash = TokenHashHex(token);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = token_cache_.find(hash); it != token_cache_.end() && it->second.expires > now) {
      return it->second.caller;
    }
  }
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec("SELECT t.team, t.role, t.id, teams.namespaces FROM api_tokens t"
                              " JOIN teams ON teams.name = t.team"
                              " WHERE t.token_hash = decode($1, 'hex') AND t.revoked_at IS NULL",
                              {hash}));
  if (rows.rows() == 0) return Unauthenticated("unknown or revoked token");
  Caller caller{std::string(rows.Get(0, 0)), rows.Get(0, 1) == "admin",
                std::string(rows.Get(0, 2)), ParseTextArray(rows.Get(0, 3))};
  std::lock_guard lock(cache_mu_);
  if (token_cache_.size() > 10000) token_cache_.clear();  // bounded: tokens are few in practice
  token_cache_[hash] = CachedCaller{caller, now + kTokenCacheTtl};
  return caller;
}

StatusOr<TokenInfo> PgTeamStore::RevokeToken(const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  // coalesce: a second revoke changes nothing, so revoked_at stays the first revocation's.
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec(std::string("UPDATE api_tokens SET revoked_at = "
                                          "coalesce(revoked_at, now()) WHERE id = $1 RETURNING ") +
                                  kTokenColumns,
                              {id}));
  if (rows.rows() == 0) return NotFound("token " + id + " not found");
  std::lock_guard lock(cache_mu_);
  token_cache_.clear();  // the cache is keyed by hash, not id: forget every entry
  return TokenFromRow(rows, 0);
}

StatusOr<TokenState> PgTeamStore::EnsureToken(const std::string& team, std::string_view token,
                                              Role role) {
  if (token.size() < 16) {
    return InvalidArgument("token: at least 16 characters, or anyone could guess it");
  }
  RETURN_IF_ERROR(ValidateTeamName(team));
  ASSIGN_OR_RETURN(std::string id, RandomHex(8));
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  std::string hash = TokenHashHex(token);
  TokenState state = TokenState::kActive;
  RETURN_IF_ERROR(InTransaction(*conn, [&](PgConnection& c) -> Status {
    RETURN_IF_ERROR(
        c.Exec("INSERT INTO teams (name) VALUES ($1) ON CONFLICT DO NOTHING", {team}).status());
    RETURN_IF_ERROR(c.Exec("INSERT INTO api_tokens (id, team, role, token_hash)"
                           " VALUES ($1, $2, $3::token_role, decode($4, 'hex'))"
                           " ON CONFLICT (token_hash) DO NOTHING",
                           {"tok_" + id, team, std::string(RoleName(role)), hash})
                        .status());
    // A token that exists already must be the same grant, so a re-assigned bootstrap token
    // never gains a role; a revoked one is left revoked (the insert above did nothing).
    ASSIGN_OR_RETURN(auto rows, c.Exec("SELECT team, role::text, revoked_at IS NOT NULL"
                                       " FROM api_tokens WHERE token_hash = decode($1, 'hex')",
                                       {hash}));
    if (rows.rows() != 1 || rows.Get(0, 0) != team || rows.Get(0, 1) != RoleName(role)) {
      return FailedPrecondition("the configured token is registered for another team or role; "
                                "remove it from the configuration");
    }
    if (rows.Get(0, 2) == "t") state = TokenState::kRevoked;
    return Status::Ok();
  }));
  return state;
}

}  // namespace sparkd::store
