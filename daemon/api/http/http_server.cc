#include "daemon/api/http/http_server.h"

#include <httplib.h>

#include "daemon/api/grpc/token_auth.h"
#include "daemon/core/job_json.h"

namespace sparkd::api {
namespace {

// The HTTP status for a Status code, per the gRPC ↔ HTTP mapping of google.rpc.Code.
int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

void SendError(httplib::Response& res, const Status& status) {
  res.status = HttpStatusFor(status.code());
  nlohmann::json body = {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
  res.set_content(body.dump(), "application/json");
}

// The header wins over the query parameters; see the header comment for why both exist. A
// valid ?sig= (from Job.links) opens the pages of that one job.
StatusOr<Caller> Authenticate(const httplib::Request& req, const TokenAuthenticator& authenticate,
                              const LinkSigner* signer, std::string_view job_id) {
  if (signer && !req.has_header("Authorization") && req.has_param("sig")) {
    if (!signer->Verify(job_id, req.get_param_value("sig"))) {
      return Unauthenticated("sig: not a valid link signature for job " + std::string(job_id));
    }
    return Caller{"", true, "signed link", {}};
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

HttpServer::HttpServer(JobService* jobs, Backend* backend, TokenAuthenticator authenticate,
                       const LinkSigner* signer, std::function<Status()> health)
    : jobs_(jobs), backend_(backend), authenticate_(std::move(authenticate)), signer_(signer),
      health_(std::move(health)),
      server_(std::make_unique<httplib::Server>()) {
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
  server_->Get(R"(/jobs/([A-Za-z0-9_-]+))", [this](const httplib::Request& req,
                                                   httplib::Response& res) {
    auto job = AuthorizedJob(req);
    if (!job.ok()) return SendError(res, job.status());
    nlohmann::json body = JobToJson(*job);
    if (!job->resolved_spec_json.empty()) {
      body["resolved_spec"] = nlohmann::json::parse(job->resolved_spec_json, nullptr, false);
    }
    body["presets_used"] = nlohmann::json::array();
    for (const auto& ref : job->presets_used) {
      body["presets_used"].push_back(LayerName(ref));
    }
    body["links"] = {{"spark_ui", "/jobs/" + job->id + "/ui"},
                     {"logs", "/jobs/" + job->id + "/logs"}};
    res.set_content(body.dump(2), "application/json");
  });
  server_->Get(R"(/jobs/([A-Za-z0-9_-]+)/ui)", [this](const httplib::Request& req,
                                                      httplib::Response& res) {
    auto job = AuthorizedJob(req);
    if (!job.ok()) return SendError(res, job.status());
    if (job->state == JobState::kRunning && !job->spark_ui_url.empty()) {
      return res.set_redirect(job->spark_ui_url);
    }
    if (std::string history = backend_->HistoryUrl(*job); !history.empty() && IsTerminal(job->state)) {
      return res.set_redirect(history);
    }
    SendError(res, FailedPrecondition("job " + job->id + " is " +
                                      std::string(JobStateName(job->state)) +
                                      ": no Spark UI yet, and no history server has it"));
  });
  server_->Get(R"(/jobs/([A-Za-z0-9_-]+)/logs)", [this](const httplib::Request& req,
                                                        httplib::Response& res) {
    auto job = AuthorizedJob(req);
    if (!job.ok()) return SendError(res, job.status());
    Job snapshot = *job;
    res.set_chunked_content_provider(
        "text/plain; charset=utf-8",
        [this, snapshot, offset = int64_t{0}](size_t, httplib::DataSink& sink) mutable {
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
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sparkd::api
