// The keys that sign the per-job links (see daemon/api/link_signer.h), and their rotation.
//
// Keys live in the database shared by every replica, each with an id (the `kid` a link names)
// and a creation time. The daemon signs with the newest key and accepts every key that is not
// retired, so a rotation (a new key) keeps the links already handed out working, and retiring
// the older keys ends them: the way to revoke every signed link after a leak.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/caller.h"
#include "daemon/core/status.h"

namespace sparkd {

using TimePoint = std::chrono::system_clock::time_point;

struct LinkKey {
  int64_t id = 0;
  std::string secret;  // the HMAC key; never logged, never sent
  TimePoint created_at;
};

// What an admin sees of a key: never its secret.
struct LinkKeyInfo {
  int64_t id = 0;
  TimePoint created_at;
  std::optional<TimePoint> retired_at;
};

class LinkKeyStore {
 public:
  virtual ~LinkKeyStore() = default;
  // The keys not retired, oldest first; creates the first key when there is none.
  virtual StatusOr<std::vector<LinkKey>> ActiveKeys() = 0;
  // Adds a new key; then, when `retire_older_than` is set, retires the keys created longer ago
  // than that (never the new one). Returns every key, newest first.
  virtual StatusOr<std::vector<LinkKeyInfo>> Rotate(
      std::optional<std::chrono::seconds> retire_older_than) = 0;
  virtual StatusOr<std::vector<LinkKeyInfo>> List() = 0;
};

// Rotation and listing, for platform admins only (PERMISSION_DENIED for anyone else).
class LinkKeyAdmin {
 public:
  // `store` must outlive this.
  explicit LinkKeyAdmin(LinkKeyStore* store) : store_(store) {}

  // A negative `retire_older_than` is INVALID_ARGUMENT.
  StatusOr<std::vector<LinkKeyInfo>> Rotate(const Caller& caller,
                                            std::optional<std::chrono::seconds> retire_older_than);
  StatusOr<std::vector<LinkKeyInfo>> List(const Caller& caller);

 private:
  LinkKeyStore* store_;
};

// "7d", "12h", "30m", "45s", or a sum of them ("1d12h"); "0s" is zero. INVALID_ARGUMENT
// naming `what` otherwise.
StatusOr<std::chrono::seconds> ParseDuration(std::string_view text, std::string_view what);

}  // namespace sparkd
