// Signs the per-job links the daemon hands out (Job.links), so a browser without a token can
// open exactly that job's pages (status, Spark UI, driver log) and nothing else, until the
// link expires.
//
// A link carries `?exp=<unix seconds>&kid=<key id>&sig=<hex>`, where sig is
// HMAC-SHA256(key kid, "sparkd-link\n" + job id + "\n" + exp). The keys come from the database
// (daemon/core/link_keys.h): the daemon signs with the newest and accepts any key not retired.
// It reloads them when a link names a key it does not know (another replica rotated) and every
// `refresh` otherwise, so a retirement reaches every replica within that time.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/link_keys.h"
#include "daemon/core/status.h"

namespace sparkd::api {

// A link's signature, as its query parameters carry it.
struct LinkSignature {
  std::string exp;  // unix seconds
  std::string kid;
  std::string sig;

  // "exp=...&kid=...&sig=..."
  std::string Query() const;
  // "exp.kid.sig" (a cookie value has no '&' or '='), and back.
  std::string Compact() const;
  static LinkSignature FromCompact(std::string_view text);
};

struct LinkSignerOptions {
  std::chrono::seconds ttl = std::chrono::hours(24 * 7);
  std::chrono::seconds refresh = std::chrono::seconds(30);
};

class LinkSigner {
 public:
  // `load` returns the keys not retired (at least one; LinkKeyStore::ActiveKeys); `clock` must
  // outlive the signer.
  using KeyLoader = std::function<StatusOr<std::vector<LinkKey>>()>;
  LinkSigner(KeyLoader load, Clock* clock, LinkSignerOptions options = {});

  // Loads the keys; the daemon does not start without them. Also after a rotation on this
  // replica, to use the new key at once.
  Status Load();

  // A signature of `job_id` that expires `ttl` from now.
  LinkSignature Sign(std::string_view job_id) const;
  // One that expires at `expires` (not after the ttl: callers pass an earlier time).
  LinkSignature Sign(std::string_view job_id, TimePoint expires) const;

  // OK for a signature of `job_id` by a key not retired that has not expired. Otherwise
  // UNAUTHENTICATED saying why, for the person who opened the link: expired (and when), no
  // expiry (a link of an older sparkd), unknown or retired key, or a wrong signature.
  Status Verify(std::string_view job_id, const LinkSignature& signature) const;

  std::chrono::seconds ttl() const { return options_.ttl; }

 private:
  // Reloads when `force` (not more than once a second) or when the keys are older than
  // options_.refresh; one thread at a time, and without holding the lock, so signing never
  // waits for the database. A failed reload keeps the keys it had.
  void MaybeReload(bool force) const;

  const KeyLoader load_;
  Clock* clock_;
  const LinkSignerOptions options_;
  mutable std::mutex mu_;
  mutable std::map<int64_t, LinkKey> keys_;  // GUARDED_BY(mu_)
  mutable TimePoint loaded_at_;              // GUARDED_BY(mu_)
  mutable TimePoint forced_at_;              // GUARDED_BY(mu_)
  mutable bool reloading_ = false;           // GUARDED_BY(mu_)
};

// The HMAC of the scheme above, hex. Exposed for tests.
std::string LinkMac(std::string_view key, std::string_view job_id, std::string_view exp);

}  // namespace sparkd::api
