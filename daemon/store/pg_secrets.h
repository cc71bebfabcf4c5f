// Secrets shared by every daemon replica, kept in Postgres so they survive restarts: named
// secrets (daemon_secrets) and the link signing keys (link_signing_keys, sql/0006).
//
// Link keys are stored as hex, or sealed with AES-256-GCM when the daemon is given a
// --link-key-encryption-key: then a copy of the database (a dump, a backup, a replica) does not
// hold what it takes to forge links, and the daemon seals the plain keys it finds at start-up.
#pragma once

#include <string>

#include "daemon/core/link_keys.h"
#include "daemon/core/status.h"
#include "daemon/store/pg.h"

namespace sparkd::store {

// The secret called `name`, created (32 random bytes, hex) on first use. Concurrent first
// uses agree on one value.
StatusOr<std::string> LoadOrCreateSecret(PgConnection& conn, const std::string& name);

// AES-256-GCM under SHA-256(passphrase). Thread-safe (immutable).
class KeyCipher {
 public:
  explicit KeyCipher(std::string_view passphrase);

  // "aes256gcm:<nonce hex>:<ciphertext and tag hex>"
  StatusOr<std::string> Seal(std::string_view plain) const;
  // FAILED_PRECONDITION when `sealed` was sealed under another passphrase or altered.
  StatusOr<std::string> Open(std::string_view sealed) const;
  static bool IsSealed(std::string_view stored);

 private:
  unsigned char key_[32];
};

class PgLinkKeyStore : public LinkKeyStore {
 public:
  // `cipher` may be null (keys stored as hex); both must outlive the store.
  PgLinkKeyStore(PgPool* pool, const KeyCipher* cipher) : pool_(pool), cipher_(cipher) {}

  // Without a cipher, a sealed key is FAILED_PRECONDITION saying the setting is missing.
  StatusOr<std::vector<LinkKey>> ActiveKeys() override;
  StatusOr<std::vector<LinkKeyInfo>> Rotate(
      std::optional<std::chrono::seconds> retire_older_than) override;
  StatusOr<std::vector<LinkKeyInfo>> List() override;

 private:
  // The stored form of a new random key.
  StatusOr<std::string> NewStoredKey() const;
  StatusOr<std::string> Unseal(int64_t id, std::string_view stored) const;

  PgPool* pool_;
  const KeyCipher* cipher_;
};

}  // namespace sparkd::store
