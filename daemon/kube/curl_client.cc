// The libcurl Client: URLs, the QPS limit, retries, counters and error mapping around
// CurlTransport's single exchanges.
#include <spdlog/spdlog.h>

#include <cctype>
#include <map>
#include <mutex>
#include <random>

#include "daemon/kube/api_error.h"
#include "daemon/kube/client.h"
#include "daemon/kube/curl_transport.h"
#include "daemon/kube/token_bucket.h"
#include "daemon/kube/token_file.h"

namespace sparkd::kube {
namespace {

constexpr size_t kMaxWatchLine = 64 << 20;  // one object; etcd's own limit is 1.5 MiB

std::string Escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Query parameters; empty values are left out.
class Query {
 public:
  Query& Add(std::string_view key, std::string_view value) {
    if (value.empty()) return *this;
    text_ += (text_.empty() ? "?" : "&") + std::string(key) + "=" + Escape(value);
    return *this;
  }
  Query& Add(std::string_view key, std::optional<int64_t> value) {
    return value ? Add(key, std::to_string(*value)) : *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

std::string CollectionUrl(const std::string& server, const Resource& resource,
                          std::string_view ns) {
  bool core = resource.api_version.find('/') == std::string::npos;
  std::string url = server + (core ? "/api/" : "/apis/") + resource.api_version;
  if (!ns.empty()) url += "/namespaces/" + Escape(ns);
  return url + "/" + resource.plural;
}

std::string ObjectUrl(const std::string& server, const Resource& resource, std::string_view ns,
                      std::string_view name) {
  return CollectionUrl(server, resource, ns) + "/" + Escape(name);
}

Status CheckTarget(const Resource& resource, std::string_view name, bool needs_name,
                   std::string_view what) {
  if (resource.api_version.empty() || resource.plural.empty()) {
    return InvalidArgument(std::string(what) + ": the resource needs an apiVersion and a plural");
  }
  if (needs_name && name.empty()) return InvalidArgument(std::string(what) + ": name is empty");
  return Status::Ok();
}

StatusOr<nlohmann::json> ParseBody(std::string_view what, const std::string& body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Internal(std::string(what) +
                    ": the API server's answer is not JSON: " + body.substr(0, 120));
  }
  return doc;
}

std::string MetadataString(const nlohmann::json& object, const char* key) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  auto value = metadata->find(key);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : "";
}

const char* PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

class CurlClient final : public Client {
 public:
  CurlClient(KubeConfig config, ClientOptions options, std::unique_ptr<CurlTransport> transport)
      : config_(std::move(config)),
        options_(std::move(options)),
        clock_(options_.clock ? options_.clock : SteadyClock()),
        transport_(std::move(transport)),
        bucket_(options_.qps, options_.burst, clock_),
        random_(std::random_device{}()) {
    if (!config_.token_file.empty()) token_file_ = std::make_unique<TokenFile>(config_.token_file);
  }

  StatusOr<nlohmann::json> Create(const Resource& resource, std::string_view ns,
                                  const nlohmann::json& object) override;
  StatusOr<nlohmann::json> Get(const Resource& resource, std::string_view ns,
                               std::string_view name) override;
  StatusOr<ListResult> List(const Resource& resource, std::string_view ns,
                            const ListOptions& options) override;
  StatusOr<nlohmann::json> Patch(const Resource& resource, std::string_view ns,
                                 std::string_view name, PatchType type, const nlohmann::json& patch,
                                 const PatchOptions& options) override;
  StatusOr<nlohmann::json> Delete(const Resource& resource, std::string_view ns,
                                  std::string_view name, const DeleteOptions& options) override;
  Status Watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event,
               const StopSignal* stop) override;
  Status StreamPodLog(std::string_view ns, std::string_view pod, const LogOptions& options,
                      const std::function<bool(std::string_view)>& on_chunk,
                      const StopSignal* stop) override;
  ClientStats Stats() const override;
  const std::string& default_namespace() const override { return config_.default_namespace; }

 private:
  struct Call {
    Call(std::string verb_in, std::string what_in)
        : verb(std::move(verb_in)), what(std::move(what_in)) {}
    std::string verb;  // for counters and messages
    std::string what;  // DescribeRequest(...)
    Repeatable repeatable = Repeatable::kSafe;
    HttpRequest http;
  };

  // Runs `call` under the QPS limit, retrying as retry.h says. Returns a 2xx answer (for a
  // streaming call, also one whose stream broke: the caller decides), or the mapped error.
  StatusOr<HttpResponse> Run(Call& call);
  StatusOr<nlohmann::json> RunForObject(Call& call);
  Status Authorize(HttpRequest& http);
  void Count(const std::string& verb, int http_status);
  std::chrono::milliseconds RetryDelay(const HttpResponse& response, int attempt);
  Status ErrorOf(const Call& call, const HttpResponse& response, int attempts) const;

  const KubeConfig config_;
  const ClientOptions options_;
  MonotonicClock* const clock_;
  const std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<TokenFile> token_file_;
  TokenBucket bucket_;

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> counts_;  // GUARDED_BY(mu_)
  uint64_t retries_ = 0;                                    // GUARDED_BY(mu_)
  std::chrono::nanoseconds throttled_{0};                   // GUARDED_BY(mu_)
  std::mt19937_64 random_;                                  // GUARDED_BY(mu_)
};

Status CurlClient::Authorize(HttpRequest& http) {
  if (token_file_) {
    ASSIGN_OR_RETURN(std::string token, token_file_->Get());
    http.authorization = "Bearer " + token;
  } else if (!config_.token.empty()) {
    http.authorization = "Bearer " + config_.token;
  }
  return Status::Ok();
}

void CurlClient::Count(const std::string& verb, int http_status) {
  std::lock_guard lock(mu_);
  ++counts_[{verb, http_status}];
}

std::chrono::milliseconds CurlClient::RetryDelay(const HttpResponse& response, int attempt) {
  if (auto asked = ParseRetryAfter(response.retry_after, options_.retry)) return *asked;
  std::lock_guard lock(mu_);
  double random01 = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return BackoffDelay(options_.retry, attempt, random01);
}

Status CurlClient::ErrorOf(const Call& call, const HttpResponse& response, int attempts) const {
  if (response.status == 0 || response.outcome != AttemptOutcome::kResponse) {
    std::string error = response.error;
    if (response.status != 0) error += " (after HTTP " + std::to_string(response.status) + ")";
    if (attempts > 1) error += " (" + std::to_string(attempts) + " attempts)";
    return TransportError(call.what, config_.server, error);
  }
  Status status = ApiError(call.what, response.status, response.body);
  if (status.code() == StatusCode::kAlreadyExists && call.verb == "create" && attempts > 1) {
    return AlreadyExists(status.message() +
                         "; this create was retried, and an earlier attempt may have made it");
  }
  if (attempts > 1 && status.code() == StatusCode::kUnavailable) {
    return Unavailable(status.message() + " (" + std::to_string(attempts) + " attempts)");
  }
  return status;
}

StatusOr<HttpResponse> CurlClient::Run(Call& call) {
  RETURN_IF_ERROR(Authorize(call.http).WithContext(call.what));
  const StopSignal* stop = call.http.stop;
  auto stopped = [&] { return Status(StatusCode::kCancelled, call.what + ": stopped"); };
  for (int attempt = 1;; ++attempt) {
    std::chrono::nanoseconds wait = bucket_.Reserve();
    if (wait.count() > 0) {
      {
        std::lock_guard lock(mu_);
        throttled_ += wait;
      }
      if (!clock_->SleepFor(wait, stop)) return stopped();
    }
    auto start = std::chrono::steady_clock::now();
    HttpResponse response = transport_->Perform(call.http);
    Count(call.verb, response.status);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    spdlog::debug("kube: {} {} -> {} in {} ms (attempt {})", call.http.method, call.http.url,
                  response.status ? std::to_string(response.status) : response.error, ms, attempt);
    if (response.stopped) return stopped();
    bool success = response.status >= 200 && response.status < 300;
    // A stream that got its 2xx has handed data over: repeating it is the caller's decision.
    if (success && (response.outcome == AttemptOutcome::kResponse || call.http.on_data)) {
      return response;
    }
    bool again = attempt < options_.retry.max_attempts &&
                 ShouldRetry(response.outcome, response.status, call.repeatable);
    if (!again) return ErrorOf(call, response, attempt);
    std::chrono::milliseconds delay = RetryDelay(response, attempt);
    {
      std::lock_guard lock(mu_);
      ++retries_;
    }
    spdlog::debug("kube: retrying {} in {} ms", call.what, delay.count());
    if (!clock_->SleepFor(delay, stop)) return stopped();
  }
}

StatusOr<nlohmann::json> CurlClient::RunForObject(Call& call) {
  ASSIGN_OR_RETURN(HttpResponse response, Run(call));
  return ParseBody(call.what, response.body);
}

StatusOr<nlohmann::json> CurlClient::Create(const Resource& resource, std::string_view ns,
                                            const nlohmann::json& object) {
  std::string name = object.is_object() ? MetadataString(object, "name") : "";
  std::string generate = object.is_object() ? MetadataString(object, "generateName") : "";
  Call call{"create", DescribeRequest("create", resource.api_version, resource.plural, ns,
                                      name.empty() ? generate + "*" : name)};
  RETURN_IF_ERROR(CheckTarget(resource, "", false, call.what));
  if (name.empty() && generate.empty()) {
    return InvalidArgument(call.what + ": the object needs metadata.name or generateName");
  }
  // The server picks a generated name: a repeat would make a second object.
  if (name.empty()) call.repeatable = Repeatable::kUnsafe;
  call.http.method = "POST";
  call.http.url = CollectionUrl(config_.server, resource, ns);
  call.http.body = object.dump();
  call.http.content_type = "application/json";
  call.http.timeout = options_.request_timeout;
  return RunForObject(call);
}

StatusOr<nlohmann::json> CurlClient::Get(const Resource& resource, std::string_view ns,
                                         std::string_view name) {
  Call call{"get", DescribeRequest("get", resource.api_version, resource.plural, ns, name)};
  RETURN_IF_ERROR(CheckTarget(resource, name, true, call.what));
  call.http.url = ObjectUrl(config_.server, resource, ns, name);
  call.http.timeout = options_.request_timeout;
  return RunForObject(call);
}

StatusOr<ListResult> CurlClient::List(const Resource& resource, std::string_view ns,
                                      const ListOptions& options) {
  Call call{"list", DescribeRequest("list", resource.api_version, resource.plural, ns, "")};
  RETURN_IF_ERROR(CheckTarget(resource, "", false, call.what));
  Query query;
  query.Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector)
      .Add("limit", options.limit > 0 ? std::optional<int64_t>(options.limit) : std::nullopt)
      .Add("continue", options.continue_token)
      .Add("resourceVersion", options.resource_version)
      .Add("resourceVersionMatch", options.resource_version_match);
  call.http.url = CollectionUrl(config_.server, resource, ns) + query.str();
  call.http.timeout = options_.request_timeout;
  call.http.stop = options.stop;
  ASSIGN_OR_RETURN(nlohmann::json doc, RunForObject(call));
  auto items = doc.find("items");
  if (!doc.is_object() || (items != doc.end() && !items->is_null() && !items->is_array())) {
    return Internal(call.what + ": the answer has no list of items");
  }
  ListResult result;
  if (items != doc.end() && items->is_array()) {
    result.items.reserve(items->size());
    for (auto& item : *items) result.items.push_back(std::move(item));
  }
  result.resource_version = MetadataString(doc, "resourceVersion");
  result.continue_token = MetadataString(doc, "continue");
  return result;
}

StatusOr<nlohmann::json> CurlClient::Patch(const Resource& resource, std::string_view ns,
                                           std::string_view name, PatchType type,
                                           const nlohmann::json& patch,
                                           const PatchOptions& options) {
  Call call{"patch", DescribeRequest("patch", resource.api_version, resource.plural, ns, name)};
  if (!options.subresource.empty()) call.what += " (" + options.subresource + ")";
  RETURN_IF_ERROR(CheckTarget(resource, name, true, call.what));
  if (type == PatchType::kJson ? !patch.is_array() : !patch.is_object()) {
    return InvalidArgument(call.what + (type == PatchType::kJson
                                            ? ": a JSON patch is an array of operations"
                                            : ": a merge patch is a JSON object"));
  }
  // A JSON patch may append ("add" to "/-"): applied twice, it appends twice.
  if (type == PatchType::kJson) call.repeatable = Repeatable::kUnsafe;
  call.http.method = "PATCH";
  call.http.url = ObjectUrl(config_.server, resource, ns, name);
  if (!options.subresource.empty()) call.http.url += "/" + Escape(options.subresource);
  call.http.body = patch.dump();
  call.http.content_type = PatchContentType(type);
  call.http.timeout = options_.request_timeout;
  return RunForObject(call);
}

StatusOr<nlohmann::json> CurlClient::Delete(const Resource& resource, std::string_view ns,
                                            std::string_view name, const DeleteOptions& options) {
  Call call{"delete", DescribeRequest("delete", resource.api_version, resource.plural, ns, name)};
  RETURN_IF_ERROR(CheckTarget(resource, name, true, call.what));
  nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.precondition_uid.empty()) {
    body["preconditions"] = {{"uid", options.precondition_uid}};
  }
  call.http.method = "DELETE";
  call.http.url = ObjectUrl(config_.server, resource, ns, name);
  call.http.body = body.dump();
  call.http.content_type = "application/json";
  call.http.timeout = options_.request_timeout;
  return RunForObject(call);
}

Status CurlClient::Watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
                         const std::function<bool(const WatchEvent&)>& on_event,
                         const StopSignal* stop) {
  Call call{"watch", DescribeRequest("watch", resource.api_version, resource.plural, ns, "")};
  RETURN_IF_ERROR(CheckTarget(resource, "", false, call.what));
  Query query;
  query.Add("watch", "1")
      .Add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "")
      .Add("resourceVersion", options.resource_version)
      .Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector)
      .Add("timeoutSeconds", options.timeout_seconds > 0
                                 ? std::optional<int64_t>(options.timeout_seconds)
                                 : std::nullopt);
  call.http.url = CollectionUrl(config_.server, resource, ns) + query.str();
  // The server ends the watch at timeoutSeconds; curl gives up a little later, when the
  // connection has died without a word.
  call.http.timeout = options.timeout_seconds > 0
                          ? std::chrono::seconds(options.timeout_seconds + 30)
                          : std::chrono::seconds(0);
  call.http.stop = stop;
  LineSplitter splitter(kMaxWatchLine);
  Status event_error;
  bool ended_by_consumer = false;
  auto on_line = [&](std::string_view line) {
    auto event = ParseWatchEvent(line);
    if (!event.ok()) {
      event_error = event.status().WithContext(call.what);
      return false;
    }
    if (event->type == WatchEventType::kError) {
      event_error = WatchError(call.what, event->object);
      return false;
    }
    if (!on_event(*event)) ended_by_consumer = true;
    return !ended_by_consumer;
  };
  call.http.on_data = [&](std::string_view data) { return splitter.Feed(data, on_line); };
  ASSIGN_OR_RETURN(HttpResponse response, Run(call));
  if (!event_error.ok()) return event_error;
  if (ended_by_consumer) return Status::Ok();
  if (splitter.overflowed()) {
    return Internal(call.what + ": an event longer than " + std::to_string(kMaxWatchLine) +
                    " bytes");
  }
  if (response.outcome != AttemptOutcome::kResponse || splitter.pending() > 0) {
    return TransportError(call.what, config_.server, "the watch broke: " + response.error);
  }
  return Status::Ok();
}

Status CurlClient::StreamPodLog(std::string_view ns, std::string_view pod,
                                const LogOptions& options,
                                const std::function<bool(std::string_view)>& on_chunk,
                                const StopSignal* stop) {
  Call call{"log", DescribeRequest("log", "v1", "pods", ns, pod)};
  RETURN_IF_ERROR(CheckTarget(kPods, pod, true, call.what));
  Query query;
  query.Add("container", options.container)
      .Add("follow", options.follow ? "true" : "")
      .Add("timestamps", options.timestamps ? "true" : "")
      .Add("previous", options.previous ? "true" : "")
      .Add("sinceTime", options.since_time)
      .Add("tailLines", options.tail_lines)
      .Add("limitBytes", options.limit_bytes);
  call.http.url = ObjectUrl(config_.server, kPods, ns, pod) + "/log" + query.str();
  call.http.accept = "*/*";
  call.http.timeout = options.follow ? std::chrono::seconds(0) : options_.request_timeout;
  call.http.stop = stop;
  call.http.on_data = on_chunk;
  ASSIGN_OR_RETURN(HttpResponse response, Run(call));
  if (response.ended_by_data) return Status::Ok();
  if (response.outcome != AttemptOutcome::kResponse) {
    return TransportError(call.what, config_.server, "the log stream broke: " + response.error);
  }
  return Status::Ok();
}

ClientStats CurlClient::Stats() const {
  std::lock_guard lock(mu_);
  ClientStats stats;
  for (const auto& [key, count] : counts_) stats.requests.push_back({key.first, key.second, count});
  stats.retries = retries_;
  stats.throttled = throttled_;
  return stats;
}

}  // namespace

StatusOr<std::unique_ptr<Client>> NewClient(KubeConfig config, ClientOptions options) {
  if (config.server.empty()) return InvalidArgument("kube client: no API server URL");
  ASSIGN_OR_RETURN(auto transport,
                   CurlTransport::Create(config, options.connect_timeout, options.user_agent));
  return std::unique_ptr<Client>(
      new CurlClient(std::move(config), std::move(options), std::move(transport)));
}

}  // namespace sparkd::kube
