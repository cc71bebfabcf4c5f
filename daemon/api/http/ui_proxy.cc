#include "daemon/api/http/ui_proxy.h"

#include <httplib.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "daemon/api/http/http_server.h"

namespace sparkd::api {
namespace {

constexpr const char* kCookie = "sparkd_ui";
constexpr const char* kCredentialParams[] = {"token", "sig", "exp", "kid"};
constexpr size_t kQueueBytes = 1024 * 1024;  // read ahead of a slow client at most this much
constexpr auto kCookieForToken = std::chrono::hours(12);
// The Spark UI's pages run inline scripts; everything they load comes through this proxy, so
// 'self' covers it, and nothing may frame them or post elsewhere. (The daemon's own pages get
// a stricter policy, http_server.cc.)
constexpr const char* kSparkUiPolicy =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'";

bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~/!$()*,;=:@").find(c) != std::string_view::npos;
}

// Decoded `rest` is a plain relative path: safe characters only (so no '%' left to decode
// twice, no '\\'), no empty, "." or ".." segment (a trailing '/' is fine).
bool IsPlainPath(std::string_view rest) {
  for (char c : rest) {
    if (!IsPathChar(c)) return false;
  }
  size_t start = 0;
  while (start < rest.size()) {
    size_t slash = rest.find('/', start);
    std::string_view segment = rest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

bool HasSegment(std::string_view path, std::string_view segment) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (path.substr(start, slash == std::string_view::npos ? slash : slash - start) == segment) {
      return true;
    }
    if (slash == std::string_view::npos) return false;
    start = slash + 1;
  }
  return false;
}

// "prefix/" + app + (end or "/...")
bool UnderApp(std::string_view rest, std::string_view prefix, std::string_view app) {
  if (!rest.starts_with(prefix)) return false;
  std::string_view tail = rest.substr(prefix.size());
  return tail.starts_with(app) && (tail.size() == app.size() || tail[app.size()] == '/');
}

std::string UpstreamQuery(const httplib::Request& req) {
  std::string query;
  for (const auto& [key, value] : req.params) {
    bool credential = false;
    for (const char* name : kCredentialParams) credential = credential || key == name;
    if (credential) continue;
    query += (query.empty() ? "?" : "&") + httplib::detail::encode_query_param(key) + "=" +
             httplib::detail::encode_query_param(value);
  }
  return query;
}

std::string JobUiBase(const UiProxyOptions& options, const std::string& job_id) {
  return options.public_prefix + "/jobs/" + job_id + "/ui";
}

// An upstream Location (absolute on the upstream host, or a path) as a path of this proxy.
std::string RewriteLocation(std::string location, const std::string& upstream,
                            const std::string& base) {
  if (location.starts_with(upstream)) location.erase(0, upstream.size());
  if (location.starts_with("http://") || location.starts_with("https://")) return base + "/";
  if (!location.starts_with("/")) location = "/" + location;
  return location.starts_with(base + "/") ? location : base + location;
}

std::vector<std::string> Cookies(const httplib::Request& req, std::string_view name) {
  std::vector<std::string> values;
  for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i) {
    std::string header = req.get_header_value("Cookie", i);
    size_t at = 0;
    while (at < header.size()) {
      size_t end = header.find(';', at);
      std::string_view pair =
          std::string_view(header).substr(at, end == std::string::npos ? end : end - at);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
        values.emplace_back(pair.substr(name.size() + 1));
      }
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  return values;
}

// One upstream response, read on its own thread and handed to the server's writer chunk by
// chunk, so a large page streams instead of being held whole.
struct Upstream {
  std::mutex mu;
  std::condition_variable cv;
  bool headers_ready = false;  // GUARDED_BY(mu)
  bool done = false;           // GUARDED_BY(mu)
  bool cancelled = false;      // GUARDED_BY(mu)
  int status = 0;
  httplib::Headers headers;
  std::deque<std::string> chunks;     // GUARDED_BY(mu)
  size_t queued = 0;                  // GUARDED_BY(mu)
  httplib::Client* client = nullptr;  // GUARDED_BY(mu); set while a request is in flight
  std::thread thread;

  // Ends the upstream request, also one blocked reading, and waits for its thread.
  void Cancel() {
    {
      std::lock_guard lock(mu);
      cancelled = true;
      if (client) client->stop();
    }
    cv.notify_all();
    if (thread.joinable()) thread.join();
  }
};

std::shared_ptr<Upstream> StartUpstream(const std::string& base_url, std::string target,
                                        httplib::Headers headers, const UiProxyOptions& options) {
  auto up = std::make_shared<Upstream>();
  up->thread = std::thread([up = up.get(), base_url, target = std::move(target),
                            headers = std::move(headers), cap = options.max_response_bytes,
                            timeout = options.timeout] {
    httplib::Client client(base_url);
    client.set_url_encode(false);  // the target is encoded already
    client.set_connection_timeout(std::chrono::seconds(3));
    client.set_read_timeout(timeout);
    {
      std::lock_guard lock(up->mu);
      if (up->cancelled) return;
      up->client = &client;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t total = 0;
    client.Get(
        target, headers,
        [&](const httplib::Response& response) {
          std::lock_guard lock(up->mu);
          up->status = response.status;
          up->headers = response.headers;
          up->headers_ready = true;
          up->cv.notify_all();
          return !up->cancelled;
        },
        [&](const char* data, size_t length) {
          std::unique_lock lock(up->mu);
          up->cv.wait(lock, [&] { return up->cancelled || up->queued < kQueueBytes; });
          total += length;
          if (up->cancelled || total > cap || std::chrono::steady_clock::now() > deadline) {
            return false;
          }
          up->chunks.emplace_back(data, length);
          up->queued += length;
          up->cv.notify_all();
          return true;
        });
    std::lock_guard lock(up->mu);
    up->client = nullptr;
    up->done = true;
    up->cv.notify_all();
  });
  return up;
}

void Relay(std::shared_ptr<Upstream> up, const std::string& upstream_url, const std::string& base,
           std::chrono::seconds timeout, httplib::Response& res) {
  {
    std::unique_lock lock(up->mu);
    up->cv.wait_for(lock, timeout, [&] { return up->headers_ready || up->done; });
    if (!up->headers_ready) {
      lock.unlock();
      up->Cancel();
      return SendError(res, Unavailable("the Spark UI did not answer; try again"));
    }
  }
  res.status = up->status;
  res.set_header("Content-Security-Policy", kSparkUiPolicy);
  for (const char* name : {"Cache-Control", "Content-Disposition", "Last-Modified"}) {
    if (up->headers.count(name)) res.set_header(name, up->headers.find(name)->second);
  }
  if (auto it = up->headers.find("Location"); it != up->headers.end()) {
    res.set_header("Location", RewriteLocation(it->second, upstream_url, base));
  }
  std::string type = "application/octet-stream";
  if (auto it = up->headers.find("Content-Type"); it != up->headers.end()) type = it->second;
  res.set_chunked_content_provider(
      type,
      [up](size_t, httplib::DataSink& sink) {
        std::unique_lock lock(up->mu);
        up->cv.wait(lock, [&] { return !up->chunks.empty() || up->done; });
        if (up->chunks.empty()) {
          sink.done();
          return true;
        }
        std::string chunk = std::move(up->chunks.front());
        up->chunks.pop_front();
        up->queued -= chunk.size();
        up->cv.notify_all();
        lock.unlock();
        return sink.write(chunk.data(), chunk.size());
      },
      [up](bool) { up->Cancel(); });
}

}  // namespace

std::optional<std::string> HistoryUpstreamPath(std::string_view rest, std::string_view app_id) {
  if (app_id.empty() || !IsPlainPath(app_id) || app_id.find('/') != std::string_view::npos ||
      !IsPlainPath(rest)) {
    return std::nullopt;
  }
  std::string app(app_id);
  if (rest.empty()) return "/history/" + app + "/jobs/";
  if (rest == "history" || rest.starts_with("history/")) {
    if (!UnderApp(rest, "history/", app)) return std::nullopt;
    return "/" + std::string(rest);
  }
  if (rest == "api" || rest.starts_with("api/")) {
    if (!UnderApp(rest, "api/v1/applications/", app)) return std::nullopt;
    return "/" + std::string(rest);
  }
  if (rest.starts_with("static/")) return "/" + std::string(rest);
  // A page path of the live UI (jobs/, stages/stage/, ...): the same page of the finished app.
  return "/history/" + app + "/" + std::string(rest);
}

std::optional<std::string> LiveUpstreamPath(std::string_view rest) {
  if (!IsPlainPath(rest) || HasSegment(rest, "kill")) return std::nullopt;
  return "/" + std::string(rest);
}

UiProxy::UiProxy(AuthorizedJob authorized, JobService* jobs, Backend* backend,
                 const LinkSigner* signer, UiProxyOptions options)
    : authorized_(std::move(authorized)),
      jobs_(jobs),
      backend_(backend),
      signer_(signer),
      options_(std::move(options)) {}

StatusOr<Job> UiProxy::JobFor(const httplib::Request& req, bool* from_cookie) const {
  *from_cookie = false;
  bool has_credentials = req.has_header("Authorization") || req.has_param("token") ||
                         req.has_param("sig") || req.has_param("exp");
  if (has_credentials || !signer_) return authorized_(req);
  std::string job_id = req.matches[1].str();
  Status last = Unauthenticated(
      "no credentials: open the job's signed link, or send Authorization: Bearer <token>");
  for (const std::string& value : Cookies(req, kCookie)) {
    last = signer_->Verify(job_id, LinkSignature::FromCompact(value));
    if (last.ok()) {
      *from_cookie = true;
      return jobs_->Get(Caller{"", Role::kPlatformAdmin, "signed link", {}}, job_id);
    }
  }
  return last;
}

void UiProxy::Register(httplib::Server& server) {
  // The entry: check the credentials, trade a credential in the URL for the cookie, and go to
  // the UI's root without it.
  server.Get(R"(/jobs/([A-Za-z0-9_-]+)/ui)", [this](const httplib::Request& req,
                                                    httplib::Response& res) {
    bool from_cookie = false;
    auto job = JobFor(req, &from_cookie);
    if (!job.ok()) return SendError(res, job.status());
    std::string base = JobUiBase(options_, job->id);
    if (signer_ && !from_cookie && !req.has_header("Authorization")) {
      // The cookie lasts as long as the signed link it replaces, or a working day for a token.
      TimePoint expires = std::chrono::system_clock::now() + kCookieForToken;
      int64_t exp = 0;
      std::string text = req.get_param_value("exp");
      if (req.has_param("sig") &&
          std::from_chars(text.data(), text.data() + text.size(), exp).ec == std::errc()) {
        expires = TimePoint(std::chrono::seconds(exp));
      }
      std::string cookie = std::string(kCookie) + "=" + signer_->Sign(job->id, expires).Compact() +
                           "; Path=" + base + "; HttpOnly; SameSite=Lax" +
                           (options_.secure_cookie ? "; Secure" : "");
      res.set_header("Set-Cookie", cookie);
    }
    res.set_redirect(base + "/");
  });
  server.Get(R"(/jobs/([A-Za-z0-9_-]+)/ui/(.*))", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
    bool from_cookie = false;
    auto job = JobFor(req, &from_cookie);
    if (!job.ok()) return SendError(res, job.status());
    std::string rest = req.matches[2].str();
    std::string upstream;
    std::optional<std::string> path;
    bool history = false;
    if (job->state == JobState::kRunning && !job->spark_ui_url.empty() &&
        job->spark_ui_url != options_.history_url) {
      upstream = job->spark_ui_url;
      path = LiveUpstreamPath(rest);
    } else if (IsTerminal(job->state) && !options_.history_url.empty() &&
               !backend_->HistoryUrl(*job).empty()) {
      upstream = options_.history_url;
      path = HistoryUpstreamPath(rest, job->spark_app_id);
      history = true;
    } else {
      return SendError(res, FailedPrecondition("job " + job->id + " is " +
                                               std::string(JobStateName(job->state)) +
                                               ": no Spark UI yet, and no history server has it"));
    }
    if (!path) {
      return SendError(res, NotFound("not a page of job " + job->id + "'s Spark UI"));
    }
    std::string base = JobUiBase(options_, job->id);
    httplib::Headers headers;
    if (req.has_header("Accept")) headers.emplace("Accept", req.get_header_value("Accept"));
    if (history) headers.emplace("X-Forwarded-Context", base);
    auto up = StartUpstream(upstream, *path + UpstreamQuery(req), std::move(headers), options_);
    Relay(std::move(up), upstream, base, options_.timeout, res);
  });
}

}  // namespace sparkd::api
