#include "daemon/store/pg_secrets.h"

#include <openssl/rand.h>

#include <cstdio>

namespace sparkd::store {

StatusOr<std::string> LoadOrCreateSecret(PgConnection& conn, const std::string& name) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Internal("no randomness for a new secret");
  std::string fresh;
  char hex[3];
  for (unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    fresh += hex;
  }
  ASSIGN_OR_RETURN(auto rows, conn.Exec("WITH ins AS (INSERT INTO daemon_secrets (name, value)"
                                        " VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
                                        " RETURNING value)"
                                        " SELECT value FROM ins UNION ALL"
                                        " SELECT value FROM daemon_secrets WHERE name = $1",
                                        {name, fresh}));
  if (rows.rows() == 0) return Aborted("secret " + name + " is being created; retry");
  return std::string(rows.Get(0, 0));
}

}  // namespace sparkd::store
