// The daemon's HTTP side: health and the stable links every job gets (/jobs/{id},
// /jobs/{id}/ui, /jobs/{id}/logs). The Airflow extra links point here, so these URLs must keep
// working for the life of the job record.
//
// Every page but /healthz authenticates like the gRPC API: `Authorization: Bearer <token>`, or
// a `?token=<token>` query parameter, because the Airflow extra links are opened by a browser,
// which cannot add a header to a link. A token in a URL can end up in browser history and in
// proxy logs: teams should use a member token there, never an admin one. This server logs no
// request lines, so the token is not written to the daemon's own log.
//
// Every response, whatever route or error produced it, carries the same security headers (see
// kSecurityHeaders in the .cc): no MIME sniffing, a strict Content-Security-Policy, no framing,
// no Referer (a signed link must not leak from the pages it opens), and no caching (the
// pages are per-caller and change as the job runs). A route that needs other values (a proxied
// Spark UI runs scripts) sets the header itself; the defaults only fill what it left unset.
// Slow and greedy clients are bounded by BoundedServer (bounded_server.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/api/http/bounded_server.h"
#include "daemon/api/http/ui_proxy.h"
#include "daemon/api/link_signer.h"
#include "daemon/core/backend.h"
#include "daemon/core/job_service.h"

namespace sparkd::api {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
};

// The JSON error body and HTTP status for `status` (the gRPC ↔ HTTP mapping of google.rpc.Code).
void SendError(httplib::Response& res, const Status& status);

// Says who a bearer token stands for (TeamStore::Authenticate).
using TokenAuthenticator = std::function<StatusOr<Caller>(std::string_view token)>;

class HttpServer {
 public:
  // `health` answers /healthz: OK when the daemon can serve (e.g. the database answers).
  // `signer` (may be null) accepts signed links (?exp=&kid=&sig=) in place of a token, for that
  // job's pages only. `ui` configures /jobs/{id}/ui (ui_proxy.h).
  HttpServer(JobService* jobs, Backend* backend, TokenAuthenticator authenticate,
             const LinkSigner* signer, std::function<Status()> health, ConnectionLimits limits = {},
             UiProxyOptions ui = {});
  ~HttpServer();

  // Binds and serves on a background thread. Returns the bound port.
  StatusOr<int> Start(const HttpOptions& options);
  void Stop();

 private:
  void Routes();
  // The job named by the route's first match, if the request's credentials may see it.
  StatusOr<Job> AuthorizedJob(const httplib::Request& req) const;

  JobService* jobs_;
  Backend* backend_;
  TokenAuthenticator authenticate_;
  const LinkSigner* signer_;
  std::function<Status()> health_;
  std::unique_ptr<BoundedServer> server_;
  UiProxy ui_proxy_;
  std::thread thread_;
};

}  // namespace sparkd::api
