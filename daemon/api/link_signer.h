// Signs the per-job links the daemon hands out (Job.links), so a browser without a token can
// open exactly that job's pages (status, Spark UI redirect, driver log) and nothing else.
// The signature is HMAC-SHA256(secret, job id), hex; it never expires, like the links.
#pragma once

#include <string>
#include <string_view>

namespace sparkd::api {

class LinkSigner {
 public:
  explicit LinkSigner(std::string secret) : secret_(std::move(secret)) {}

  std::string Sign(std::string_view job_id) const;
  // Constant-time comparison.
  bool Verify(std::string_view job_id, std::string_view signature) const;

 private:
  const std::string secret_;
};

}  // namespace sparkd::api
