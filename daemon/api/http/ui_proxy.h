// /jobs/{id}/ui: the job's Spark UI, served through the daemon behind the same credentials as
// the job's other pages (a token, or the job's signed link). The Spark UIs themselves listen on
// loopback and check no one; this proxy is how the rest of the world reaches them, one job's
// application at a time:
//
// - while the job runs: its driver's live UI, whose pages link under /jobs/{id}/ui because the
//   local backend sets spark.ui.proxyBase for the driver. Everything but the kill links.
// - after it ended: the daemon's Spark History Server, asked with X-Forwarded-Context so its
//   pages link under /jobs/{id}/ui too, and only for paths of the job's own application:
//   history/<app>/..., api/v1/applications/<app>/..., static/...; a bare page path such as
//   jobs/ means that page of the app, so a live UI link keeps working after the end. Any other
//   path (another app, the application listing, dot segments, in any encoding) is 404.
//
// A browser that opens a signed link or a ?token= link gets a cookie scoped to
// /jobs/{id}/ui (HttpOnly, holding a signature of the job id, never the token) so the pages'
// own links and assets load, and is redirected to /jobs/{id}/ui/ without the credential in the
// URL. Responses stream through with a size and time cap.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/link_signer.h"
#include "daemon/core/backend.h"
#include "daemon/core/job_service.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace sparkd::api {

struct UiProxyOptions {
  std::string history_url;     // the daemon's history server, "http://127.0.0.1:18080"; "" = none
  std::string public_prefix;   // the path of the daemon's public URL: "" or e.g. "/sparkd"
  bool secure_cookie = false;  // the public URL is https
  size_t max_response_bytes = 64 * 1024 * 1024;
  std::chrono::seconds timeout{60};  // for one proxied response, headers to last byte
};

// The upstream path for `rest` (the part after /jobs/{id}/ui/, decoded), or nullopt when it is
// not this job's: refused with 404. Pure; for tests.
std::optional<std::string> HistoryUpstreamPath(std::string_view rest, std::string_view app_id);
std::optional<std::string> LiveUpstreamPath(std::string_view rest);

class UiProxy {
 public:
  // The job a request's own credentials (token or signed link) may see; fails without them.
  using AuthorizedJob = std::function<StatusOr<Job>(const httplib::Request&)>;

  // Every pointer must outlive the proxy; `signer` may be null (no cookies, no signed links).
  UiProxy(AuthorizedJob authorized, JobService* jobs, Backend* backend, const LinkSigner* signer,
          UiProxyOptions options);

  void Register(httplib::Server& server);

 private:
  // Credentials first, else the UI cookie of the job.
  StatusOr<Job> JobFor(const httplib::Request& req, bool* from_cookie) const;

  AuthorizedJob authorized_;
  JobService* jobs_;
  Backend* backend_;
  const LinkSigner* signer_;
  const UiProxyOptions options_;
};

}  // namespace sparkd::api
