#include "daemon/api/http/http_server.h"

#include <httplib.h>

#include "daemon/api/grpc/token_auth.h"
#include "daemon/core/job_json.h"
#include "daemon/core/job_links.h"
#include "daemon/core/redact.h"

namespace sparkd::api {
namespace {

// The HTTP status for a Status code, per the gRPC ↔ HTTP mapping of google.rpc.Code.
int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

// See the header. 'unsafe-inline' styles and data: images are what server-rendered pages use;
// scripts, frames, plugins and form posts elsewhere stay off.
constexpr std::pair<const char*, const char*> kSecurityHeaders[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
     "frame-ancestors 'none'"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-store"},
};

void AddSecurityHeaders(const httplib::Request&, httplib::Response& res) {
  for (const auto& [name, value] : kSecurityHeaders) {
    if (!res.has_header(name)) res.set_header(name, value);
  }
}

// The header wins over the query parameters; see the header comment for why both exist. A
// valid signature (?exp=&kid=&sig=, from Job.links) opens the pages of that one job until it
// expires.
StatusOr<Caller> Authenticate(const httplib::Request& req, const TokenAuthenticator& authenticate,
                              const LinkSigner* signer, std::string_view job_id) {
  if (signer && !req.has_header("Authorization") &&
      (req.has_param("sig") || req.has_param("exp"))) {
    RETURN_IF_ERROR(
        signer->Verify(job_id, LinkSignature{req.get_param_value("exp"), req.get_param_value("kid"),
                                             req.get_param_value("sig")}));
    return Caller{"", Role::kPlatformAdmin, "signed link", {}};
  }
  if (req.has_header("Authorization")) {
    auto token = BearerToken(req.get_header_value("Authorization"));
    if (!token) return Unauthenticated("Authorization: expected \"Bearer <token>\"");
    return authenticate(*token);
  }
  if (req.has_param("token")) return authenticate(req.get_param_value("token"));
  return Unauthenticated("no credentials: send Authorization: Bearer <token> or ?token=<token>");
}

}  // namespace

void SendError(httplib::Response& res, const Status& status) {
  res.status = HttpStatusFor(status.code());
  nlohmann::json body = {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
  res.set_content(body.dump(), "application/json");
}

HttpServer::HttpServer(JobService* jobs, Backend* backend, TokenAuthenticator authenticate,
                       const LinkSigner* signer, std::function<Status()> health,
                       ConnectionLimits limits, UiProxyOptions ui)
    : jobs_(jobs),
      backend_(backend),
      authenticate_(std::move(authenticate)),
      signer_(signer),
      health_(std::move(health)),
      server_(std::make_unique<BoundedServer>(limits)),
      ui_proxy_([this](const httplib::Request& req) { return AuthorizedJob(req); }, jobs, backend,
                signer, std::move(ui)) {
  // httplib runs it for every response it writes, errors and unknown routes included.
  server_->set_post_routing_handler(AddSecurityHeaders);
  Routes();
}

HttpServer::~HttpServer() { Stop(); }

StatusOr<Job> HttpServer::AuthorizedJob(const httplib::Request& req) const {
  std::string job_id = req.matches[1].str();
  ASSIGN_OR_RETURN(Caller caller, Authenticate(req, authenticate_, signer_, job_id));
  return jobs_->Get(caller, job_id);
}

void HttpServer::Routes() {
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Status status = health_();
    if (!status.ok()) return SendError(res, status);
    res.set_content("ok\n", "text/plain");
  });
  server_->Get(
      R"(/jobs/([A-Za-z0-9_-]+))", [this](const httplib::Request& req, httplib::Response& res) {
        auto job = AuthorizedJob(req);
        if (!job.ok()) return SendError(res, job.status());
        const Job shown = RedactedJob(*job);
        nlohmann::json body = JobToJson(shown);
        if (!shown.resolved_spec_json.empty()) {
          body["resolved_spec"] = nlohmann::json::parse(shown.resolved_spec_json, nullptr, false);
        }
        body["presets_used"] = nlohmann::json::array();
        for (const auto& ref : job->presets_used) {
          body["presets_used"].push_back(LayerName(ref));
        }
        body["links"] = {{"spark_ui", "/jobs/" + job->id + "/ui"},
                         {"logs", "/jobs/" + job->id + "/logs"}};
        if (JobLinkTemplate(*job, JobLink::kDashboard)) {
          body["links"]["dashboard"] = "/jobs/" + job->id + "/dashboard";
        }
        res.set_content(body.dump(2), "application/json");
      });
  ui_proxy_.Register(*server_);
  server_->Get(R"(/jobs/([A-Za-z0-9_-]+)/dashboard)", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
    auto job = AuthorizedJob(req);
    if (!job.ok()) return SendError(res, job.status());
    std::string url = JobLinkUrl(*job, JobLink::kDashboard, backend_->LinkContext(*job),
                                 std::chrono::system_clock::now());
    if (url.empty()) {
      return SendError(res, NotFound("job " + job->id +
                                     " has no dashboard: none of its presets sets "
                                     "links.dashboard"));
    }
    res.set_redirect(url);
  });
  server_->Get(R"(/jobs/([A-Za-z0-9_-]+)/logs)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 auto job = AuthorizedJob(req);
                 if (!job.ok()) return SendError(res, job.status());
                 if (std::string logs = backend_->LogsUrl(*job); !logs.empty()) {
                   return res.set_redirect(logs);
                 }
                 Job snapshot = *job;
                 res.set_chunked_content_provider(
                     "text/plain; charset=utf-8", [this, snapshot, offset = int64_t{0}](
                                                      size_t, httplib::DataSink& sink) mutable {
                       auto chunk = backend_->ReadDriverLog(snapshot, offset, 256 * 1024);
                       if (!chunk.ok() || chunk->data.empty()) {
                         sink.done();
                         return true;
                       }
                       offset = chunk->next_offset;
                       return sink.write(chunk->data.data(), chunk->data.size());
                     });
               });
}

StatusOr<int> HttpServer::Start(const HttpOptions& options) {
  int port = options.port;
  if (port == 0) {
    port = server_->bind_to_any_port(options.host);
  } else if (!server_->bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port < 0) {
    return Unavailable("cannot listen for HTTP on " + options.host + ":" +
                       std::to_string(options.port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return port;
}

void HttpServer::Stop() {
  if (server_) {
    server_->stop();
    server_->CloseConnections();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace sparkd::api
