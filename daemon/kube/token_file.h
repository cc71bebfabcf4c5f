// A bearer token kept in a file and read again whenever the file changes. Projected
// service-account tokens rotate: the kubelet swaps in a new file (an atomic symlink change)
// well before the old token expires, so a token read once at start-up stops working.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "daemon/core/status.h"

namespace sparkd::kube {

// Thread-safe.
class TokenFile {
 public:
  explicit TokenFile(std::string path) : path_(std::move(path)) {}

  // The token, re-read when the file's identity, size or modification time changed since the
  // last read (one stat per call). When the file cannot be read any more, the last token read
  // is kept (the server says 401 if it has expired); with none, UNAUTHENTICATED names the file.
  StatusOr<std::string> Get();

  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };

  const std::string path_;
  std::mutex mu_;
  std::string token_;    // GUARDED_BY(mu_)
  Stamp stamp_;          // GUARDED_BY(mu_)
  bool read_ = false;    // GUARDED_BY(mu_)
  bool warned_ = false;  // GUARDED_BY(mu_): once per spell of an unreadable file
};

}  // namespace sparkd::kube
