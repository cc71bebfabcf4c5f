#include "daemon/store/pg_secrets.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace sparkd::store {
namespace {

constexpr std::string_view kSealedPrefix = "aes256gcm:";
constexpr std::string_view kAad = "sparkd link signing key";
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out;
  char hex[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    out += hex;
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned int byte = 0;
    if (std::sscanf(std::string(hex.substr(i, 2)).c_str(), "%02x", &byte) != 1) {
      return std::nullopt;
    }
    out += static_cast<char>(byte);
  }
  return out;
}

StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Internal("no randomness for a new secret");
  }
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

constexpr const char* kKeyInfoColumns =
    "id, ts_to_micros(created_at), ts_to_micros(retired_at) FROM link_signing_keys";

std::vector<LinkKeyInfo> KeyInfos(const PgResult& rows) {
  std::vector<LinkKeyInfo> keys;
  for (int i = 0; i < rows.rows(); ++i) {
    LinkKeyInfo info;
    info.id = std::stoll(std::string(rows.Get(i, 0)));
    info.created_at = FromMicros(rows.Get(i, 1));
    if (!rows.IsNull(i, 2)) info.retired_at = FromMicros(rows.Get(i, 2));
    keys.push_back(info);
  }
  return keys;
}

}  // namespace

StatusOr<std::string> LoadOrCreateSecret(PgConnection& conn, const std::string& name) {
  ASSIGN_OR_RETURN(std::string fresh, RandomHex(32));
  ASSIGN_OR_RETURN(auto rows, conn.Exec("WITH ins AS (INSERT INTO daemon_secrets (name, value)"
                                        " VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
                                        " RETURNING value)"
                                        " SELECT value FROM ins UNION ALL"
                                        " SELECT value FROM daemon_secrets WHERE name = $1",
                                        {name, fresh}));
  if (rows.rows() == 0) return Aborted("secret " + name + " is being created; retry");
  return std::string(rows.Get(0, 0));
}

KeyCipher::KeyCipher(std::string_view passphrase) {
  SHA256(reinterpret_cast<const unsigned char*>(passphrase.data()), passphrase.size(), key_);
}

bool KeyCipher::IsSealed(std::string_view stored) { return stored.starts_with(kSealedPrefix); }

StatusOr<std::string> KeyCipher::Seal(std::string_view plain) const {
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return Internal("no randomness for a nonce");
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(plain.size() + kTagBytes, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, tail = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_, nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), buf, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), buf + n, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, buf + plain.size()) != 1) {
    return Internal("cannot seal a link signing key");
  }
  return std::string(kSealedPrefix) + Hex(nonce, sizeof nonce) + ":" + Hex(buf, out.size());
}

StatusOr<std::string> KeyCipher::Open(std::string_view sealed) const {
  auto wrong = [] {
    return FailedPrecondition(
        "a link signing key does not open with this link-key-encryption-key (it was sealed "
        "under another one, or altered)");
  };
  if (!IsSealed(sealed)) return wrong();
  std::string_view rest = sealed.substr(kSealedPrefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return wrong();
  auto nonce = Unhex(rest.substr(0, colon));
  auto data = Unhex(rest.substr(colon + 1));
  if (!nonce || !data || nonce->size() != kNonceBytes || data->size() < kTagBytes) return wrong();
  size_t length = data->size() - kTagBytes;
  std::string plain(length, '\0');
  auto* in = reinterpret_cast<unsigned char*>(data->data());
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int n = 0, tail = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_,
                         reinterpret_cast<const unsigned char*>(nonce->data())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &n, in, static_cast<int>(length)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, in + length) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + n, &tail) != 1) {
    return wrong();
  }
  return plain;
}

StatusOr<std::string> PgLinkKeyStore::NewStoredKey() const {
  ASSIGN_OR_RETURN(std::string key, RandomHex(32));
  if (!cipher_) return key;
  return cipher_->Seal(key);
}

StatusOr<std::string> PgLinkKeyStore::Unseal(int64_t id, std::string_view stored) const {
  if (!KeyCipher::IsSealed(stored)) return std::string(stored);
  if (!cipher_) {
    return FailedPrecondition("link signing key " + std::to_string(id) +
                              " is sealed: set link-key-encryption-key "
                              "(SPARKD_LINK_KEY_ENCRYPTION_KEY) to the value it was sealed with");
  }
  return cipher_->Open(stored);
}

StatusOr<std::vector<LinkKey>> PgLinkKeyStore::ActiveKeys() {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(std::string fresh, NewStoredKey());
  // The first key, unless one exists; two replicas starting at once may both add one, which
  // is harmless (both are valid, the newer signs).
  RETURN_IF_ERROR(
      conn->Exec("INSERT INTO link_signing_keys (secret) SELECT $1::text WHERE NOT EXISTS"
                 " (SELECT 1 FROM link_signing_keys WHERE retired_at IS NULL)",
                 {fresh})
          .status());
  ASSIGN_OR_RETURN(auto rows, conn->Exec("SELECT id, secret, ts_to_micros(created_at)"
                                         " FROM link_signing_keys WHERE retired_at IS NULL"
                                         " ORDER BY id"));
  std::vector<LinkKey> keys;
  for (int i = 0; i < rows.rows(); ++i) {
    LinkKey key;
    key.id = std::stoll(std::string(rows.Get(i, 0)));
    std::string_view stored = rows.Get(i, 1);
    ASSIGN_OR_RETURN(key.secret, Unseal(key.id, stored));
    if (cipher_ && !KeyCipher::IsSealed(stored)) {
      // A key stored before encryption was configured: seal it now.
      ASSIGN_OR_RETURN(std::string sealed, cipher_->Seal(key.secret));
      RETURN_IF_ERROR(conn->Exec("UPDATE link_signing_keys SET secret = $2"
                                 " WHERE id = $1::bigint AND secret = $3",
                                 {std::to_string(key.id), sealed, std::string(stored)})
                          .status());
    }
    key.created_at = FromMicros(rows.Get(i, 2));
    keys.push_back(std::move(key));
  }
  return keys;
}

StatusOr<std::vector<LinkKeyInfo>> PgLinkKeyStore::Rotate(
    std::optional<std::chrono::seconds> retire_older_than) {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(std::string fresh, NewStoredKey());
  RETURN_IF_ERROR(InTransaction(*conn, [&](PgConnection& c) -> Status {
    ASSIGN_OR_RETURN(auto added, c.Exec("INSERT INTO link_signing_keys (secret) VALUES ($1)"
                                        " RETURNING id",
                                        {fresh}));
    if (!retire_older_than) return Status::Ok();
    return c
        .Exec(
            "UPDATE link_signing_keys SET retired_at = now()"
            " WHERE retired_at IS NULL AND id <> $1::bigint"
            " AND created_at <= now() - $2::bigint * interval '1 second'",
            {std::string(added.Get(0, 0)), std::to_string(retire_older_than->count())})
        .status();
  }));
  return List();
}

StatusOr<std::vector<LinkKeyInfo>> PgLinkKeyStore::List() {
  ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  ASSIGN_OR_RETURN(auto rows,
                   conn->Exec(std::string("SELECT ") + kKeyInfoColumns + " ORDER BY id DESC"));
  return KeyInfos(rows);
}

}  // namespace sparkd::store
