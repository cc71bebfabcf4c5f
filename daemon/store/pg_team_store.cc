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
    if (escaped) {
      current += c;
      escaped = false;
      continue;
    }
    if (c == '\\') {
      escaped = true;
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      any = true;
      continue;
    }
    if (c == ',' && !quoted) {
      items.push_back(current);
      current.clear();
      any = false;
      continue;
    }
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
  token.role = ParseRole(rows.Get(row, 2)).value_or(Role::kMember);
  token.description = rows.Get(row, 3);
  token.created_at = FromMicros(rows.Get(row, 4));
  if (!rows.IsNull(row, 5)) token.revoked_at = FromMicros(rows.Get(row, 5));
  return token;
}

// A team's namespaces in its order, as a text[] literal for ParseTextArray; `team` names the
// teams.name column of the query it is part of.
std::string NamespacesOf(std::string_view team) {
  return "array(SELECT n.namespace FROM team_namespaces n WHERE n.team = " + std::string(team) +
         " ORDER BY n.position)::text";
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
  RETURN_IF_ERROR(ValidateTeamNamespaces(team.namespaces));
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  // Set when a namespace turned out to be taken: which one, reported after the rollback.
  bool namespace_taken = false;
  Status status = InTransaction(*conn, [&](PgConnection& c) -> Status {
    ASSIGN_OR_RETURN(auto inserted,
                     c.Exec("INSERT INTO teams (name) VALUES ($1) ON CONFLICT DO NOTHING"
                            " RETURNING name",
                            {team.name}));
    if (inserted.rows() == 0) return AlreadyExists("team " + team.name + " already exists");
    // The primary key of team_namespaces decides between racing creates: the loser's insert
    // waits for the winner to commit, then skips the row. Sorted, so two creates that want
    // the same namespaces take them in the same order and never deadlock.
    ASSIGN_OR_RETURN(auto claimed,
                     c.Exec("INSERT INTO team_namespaces (namespace, team, position)"
                            " SELECT ns, $1, ord FROM unnest($2::text[]) WITH ORDINALITY AS"
                            " listed (ns, ord) ORDER BY ns"
                            " ON CONFLICT (namespace) DO NOTHING RETURNING namespace",
                            {team.name, TextArray(team.namespaces)}));
    if (claimed.rows() != static_cast<int>(team.namespaces.size())) {
      namespace_taken = true;
      return Aborted("namespace taken");
    }
    return Status::Ok();
  });
  if (!namespace_taken) return status;
  // The winner has committed (the insert above waited for it), so its row is visible now.
  ASSIGN_OR_RETURN(auto owner, conn->Exec("SELECT namespace, team FROM team_namespaces"
                                          " WHERE namespace = ANY($1::text[])"
                                          " ORDER BY namespace LIMIT 1",
                                          {TextArray(team.namespaces)}));
  if (owner.rows() == 0) return Aborted("a concurrent change won; try again");
  return FailedPrecondition("namespaces: \"" + std::string(owner.Get(0, 0)) +
                            "\" already belongs to team " + std::string(owner.Get(0, 1)) +
                            "; a namespace belongs to one team");
}

StatusOr<Team> PgTeamStore::GetTeam(const std::string& name) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec("SELECT name, " + NamespacesOf("teams.name") +
                                             " FROM teams WHERE name = $1",
                                         {name}));
  if (rows.rows() == 0) return NotFound("team " + name + " not found");
  return Team{std::string(rows.Get(0, 0)), ParseTextArray(rows.Get(0, 1))};
}

StatusOr<std::vector<Team>> PgTeamStore::ListTeams() {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Exec("SELECT name, " + NamespacesOf("teams.name") +
                                         " FROM teams ORDER BY name"));
  std::vector<Team> teams;
  for (int row = 0; row < rows.rows(); ++row) {
    teams.push_back(Team{std::string(rows.Get(row, 0)), ParseTextArray(rows.Get(row, 1))});
  }
  return teams;
}

StatusOr<std::string> PgTeamStore::NamespaceOwner(const std::string& name) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec("SELECT team FROM team_namespaces WHERE namespace = $1", {name}));
  if (rows.rows() == 0) return std::string();
  return std::string(rows.Get(0, 0));
}

StatusOr<IssuedToken> PgTeamStore::CreateToken(const std::string& team, Role role,
                                               const std::string& description) {
  ASSIGN_OR_RETURN(std::string secret, RandomHex(32));
  ASSIGN_OR_RETURN(std::string id, RandomHex(8));
  IssuedToken issued{"tok_" + id, "sparkd_" + secret, team, role};
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec("INSERT INTO api_tokens (id, team, role, token_hash, description)"
                              " SELECT $1, name, $3::token_role, decode($4, 'hex'), $5"
                              " FROM teams WHERE name = $2 RETURNING id",
                              {issued.id, team, std::string(RoleName(role)),
                               TokenHashHex(issued.token), description}));
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

StatusOr<TokenInfo> PgTeamStore::GetToken(const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(
      auto rows,
      conn->Exec(std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE id = $1", {id}));
  if (rows.rows() == 0) return NotFound("token " + id + " not found");
  return TokenFromRow(rows, 0);
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
                   conn->Exec("SELECT t.team, t.role::text, t.id, " + NamespacesOf("t.team") +
                                  " FROM api_tokens t JOIN teams ON teams.name = t.team"
                                  " WHERE t.token_hash = decode($1, 'hex') AND"
                                  " t.revoked_at IS NULL",
                              {hash}));
  if (rows.rows() == 0) return Unauthenticated("unknown or revoked token");
  // An unknown role grants the least.
  Caller caller{std::string(rows.Get(0, 0)), ParseRole(rows.Get(0, 1)).value_or(Role::kMember),
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
      return FailedPrecondition(
          "the configured token is registered for another team or role; "
          "remove it from the configuration");
    }
    if (rows.Get(0, 2) == "t") state = TokenState::kRevoked;
    return Status::Ok();
  }));
  return state;
}

}  // namespace sparkd::store
