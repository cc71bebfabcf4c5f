#include "daemon/kube/watcher.h"

#include <spdlog/spdlog.h>

#include <set>

namespace sparkd::kube {
namespace {

const nlohmann::json& Metadata(const nlohmann::json& object) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::string MetadataString(const nlohmann::json& object, const char* key) {
  const nlohmann::json& metadata = Metadata(object);
  auto it = metadata.find(key);
  return it != metadata.end() && it->is_string() ? it->get<std::string>() : "";
}

// The uid tells two objects of one name apart; an object without one (never from a real
// server) falls back to namespace/name.
std::string Identity(const nlohmann::json& object) {
  std::string uid = MetadataString(object, "uid");
  if (!uid.empty()) return uid;
  return MetadataString(object, "namespace") + "/" + MetadataString(object, "name");
}

}  // namespace

Watcher::Watcher(Client* client, WatcherOptions options, WatchHandler* handler)
    : client_(client), options_(std::move(options)), handler_(handler) {}

std::string Watcher::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

WatcherStats Watcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Status Watcher::Run() {
  bool need_list = true;
  int failures = 0;
  while (!stop_.stopped()) {
    Status status = need_list ? List() : WatchOnce();
    if (stop_.stopped()) break;
    if (status.ok()) {
      need_list = false;
      failures = 0;
      continue;
    }
    if (status.code() == StatusCode::kOutOfRange && !need_list) {
      spdlog::info("kube: {}: resourceVersion {} expired; listing again", options_.resource.plural,
                   resource_version());
      {
        std::lock_guard lock(mu_);
        ++stats_.relists;
      }
      need_list = true;
      continue;  // no wait: the server is fine, our version is just too old
    }
    Failed(status, ++failures);
  }
  return Status::Ok();
}

void Watcher::Failed(const Status& status, int failures) {
  {
    std::lock_guard lock(mu_);
    stats_.last_error = status;
  }
  auto delay = BackoffDelay(options_.backoff, failures,
                            std::uniform_real_distribution<double>(0.0, 1.0)(random_));
  spdlog::warn("kube: watcher of {}: {}; trying again in {} ms", options_.resource.plural,
               status.ToString(), delay.count());
  (void)stop_.WaitFor(delay);
}

Status Watcher::List() {
  ListOptions list;
  list.label_selector = options_.label_selector;
  list.field_selector = options_.field_selector;
  list.limit = options_.page_size;
  list.stop = &stop_;
  ASSIGN_OR_RETURN(ListResult result, ListAll(*client_, options_.resource, options_.ns, list));
  ListSnapshot snapshot;
  std::map<std::string, nlohmann::json> now;
  for (const auto& object : result.items) now[Identity(object)] = object;
  for (auto& [id, object] : known_) {
    if (!now.contains(id)) snapshot.gone.push_back(std::move(object));
  }
  {
    std::lock_guard lock(mu_);
    snapshot.relisted = stats_.lists > 0;
    ++stats_.lists;
    resource_version_ = result.resource_version;
  }
  known_ = std::move(now);
  snapshot.objects = std::move(result.items);
  snapshot.resource_version = result.resource_version;
  handler_->OnList(snapshot);
  return Status::Ok();
}

void Watcher::Deliver(const WatchEvent& event) {
  std::string version = MetadataString(event.object, "resourceVersion");
  {
    std::lock_guard lock(mu_);
    if (!version.empty()) resource_version_ = version;
    ++(event.type == WatchEventType::kBookmark ? stats_.bookmarks : stats_.events);
  }
  switch (event.type) {
    case WatchEventType::kBookmark:
      return;
    case WatchEventType::kDeleted:
      known_.erase(Identity(event.object));
      break;
    default:
      known_[Identity(event.object)] = event.object;
      break;
  }
  handler_->OnEvent(event);
}

Status Watcher::WatchOnce() {
  WatchOptions watch;
  watch.label_selector = options_.label_selector;
  watch.field_selector = options_.field_selector;
  watch.resource_version = resource_version();
  watch.timeout_seconds = options_.watch_timeout_seconds;
  {
    std::lock_guard lock(mu_);
    ++stats_.watches;
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t events_before = stats().events + stats().bookmarks;
  Status status = client_->Watch(
      options_.resource, options_.ns, watch,
      [this](const WatchEvent& event) {
        Deliver(event);
        return true;
      },
      &stop_);
  if (status.ok()) {
    // A watch that ends at once with nothing is not the server's timeout: do not spin on it.
    bool quiet = stats().events + stats().bookmarks == events_before;
    if (quiet && std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
      return Unavailable("the watch of " + options_.resource.plural + " ended at once");
    }
    return status;
  }
  if (status.code() != StatusCode::kOutOfRange && status.code() != StatusCode::kCancelled) {
    std::lock_guard lock(mu_);
    ++stats_.resumes;
  }
  return status;
}

}  // namespace sparkd::kube
