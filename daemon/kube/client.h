// The Kubernetes API client of sparkd: create, get, list, patch and delete any namespaced or
// cluster-scoped resource (pods, services, configmaps, events, custom objects such as
// sparkoperator.k8s.io/v1beta2 sparkapplications), watch them, and stream a pod's log.
//
// Thread-safety: one Client serves many threads at once; every method is thread-safe. The QPS
// limit (a token bucket) is shared by all calls of one client.
// Ownership: the caller owns the Client; callbacks and StopSignals are borrowed for one call.
// Errors: a Status naming the verb, the object and the API server's reason (see api_error.h
// for the table). Failed attempts are retried with backoff on 429, 500/502/503/504 and
// connection errors (honouring Retry-After); see retry.h for which requests are repeated.
// Logging: each attempt is logged at debug level (verb, URL, status, time); never a token.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/kube/config.h"
#include "daemon/kube/retry.h"
#include "daemon/kube/timing.h"
#include "daemon/kube/watch_stream.h"

namespace sparkd::kube {

// A kind of object: its API group/version and its plural name.
struct Resource {
  std::string api_version{};  // "v1" (the core group), "apps/v1", "sparkoperator.k8s.io/v1beta2"
  std::string plural{};       // "pods", "configmaps", "sparkapplications"
};

inline const Resource kPods{"v1", "pods"};
inline const Resource kServices{"v1", "services"};
inline const Resource kConfigMaps{"v1", "configmaps"};
inline const Resource kEvents{"v1", "events"};
inline const Resource kNamespaces{"v1", "namespaces"};
inline const Resource kSparkApplications{"sparkoperator.k8s.io/v1beta2", "sparkapplications"};

struct DeleteOptions {
  std::string propagation_policy{};  // "", "Foreground", "Background" or "Orphan"
  std::optional<int64_t> grace_period_seconds{};
  std::string precondition_uid{};  // delete only this incarnation of the name (else 409 → ABORTED)
};

struct ListOptions {
  std::string label_selector{};          // "spark-role in (driver,executor),sparkd.io/job"
  std::string field_selector{};          // "status.phase=Running"
  int64_t limit = 0;                     // page size; 0: everything in one answer
  std::string continue_token{};          // from the previous page
  std::string resource_version{};        // "": the latest (a quorum read); "0": any cached state
  std::string resource_version_match{};  // "", "NotOlderThan" or "Exact"
  const StopSignal* stop = nullptr;      // ends the call (CANCELLED) from another thread
};

struct ListResult {
  std::vector<nlohmann::json> items;
  std::string resource_version{};  // of the list; a watch from it misses nothing
  std::string continue_token{};    // empty on the last page
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902), an array of operations
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
};

struct PatchOptions {
  std::string subresource{};  // "" or "status"
};

struct WatchOptions {
  std::string label_selector{};
  std::string field_selector{};
  std::string resource_version{};  // events after this one; "" or "0": starts with ADDED events
  bool allow_bookmarks = true;
  // The server ends the watch after this long (and sends a bookmark just before), so an idle
  // watch is renewed and a silently dead connection is noticed.
  int timeout_seconds = 300;
};

struct LogOptions {
  std::string container{};  // required when the pod has several
  bool follow = false;
  bool timestamps = false;
  bool previous = false;
  std::string since_time{};  // RFC 3339
  std::optional<int64_t> tail_lines{};
  std::optional<int64_t> limit_bytes{};
};

// Requests by verb and HTTP status (0: no answer), for /metrics. Each attempt counts.
struct RequestCount {
  std::string verb{};  // "create", "get", "list", "patch", "delete", "watch", "log"
  int http_status = 0;
  uint64_t count = 0;
  bool operator==(const RequestCount&) const = default;
};

struct ClientStats {
  std::vector<RequestCount> requests;  // sorted by verb, then status
  uint64_t retries = 0;
  std::chrono::nanoseconds throttled{0};  // total wait imposed by the QPS limit
};

class Client {
 public:
  virtual ~Client() = default;

  // Returns the created object. `ns` is "" for a cluster-scoped resource. A create repeated by
  // a retry that answers 409 is ALREADY_EXISTS, its message saying an earlier attempt may
  // have made the object (names are deterministic, so that means "already created").
  virtual StatusOr<nlohmann::json> Create(const Resource& resource, std::string_view ns,
                                          const nlohmann::json& object) = 0;
  virtual StatusOr<nlohmann::json> Get(const Resource& resource, std::string_view ns,
                                       std::string_view name) = 0;
  // One page (or everything when options.limit is 0). `ns` "" lists across all namespaces.
  virtual StatusOr<ListResult> List(const Resource& resource, std::string_view ns,
                                    const ListOptions& options) = 0;
  virtual StatusOr<nlohmann::json> Patch(const Resource& resource, std::string_view ns,
                                         std::string_view name, PatchType type,
                                         const nlohmann::json& patch,
                                         const PatchOptions& options = {}) = 0;
  // Returns what the server answers: the object (being deleted, or gone) or a Status object.
  virtual StatusOr<nlohmann::json> Delete(const Resource& resource, std::string_view ns,
                                          std::string_view name,
                                          const DeleteOptions& options = {}) = 0;

  // Streams events to `on_event` (on the calling thread) until the server ends the watch
  // (OK), `on_event` returns false (OK), `stop` is raised (CANCELLED), the resourceVersion is
  // too old (OUT_OF_RANGE: HTTP 410 or an ERROR event with code 410; list again), or the
  // connection breaks (UNAVAILABLE; watch again from the last resourceVersion seen). Only
  // the connection attempt is retried. An ERROR event with another code ends the watch with
  // that code's Status. `ns` "" watches all namespaces.
  virtual Status Watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
                       const std::function<bool(const WatchEvent&)>& on_event,
                       const StopSignal* stop = nullptr) = 0;

  // Streams a pod's log to `on_chunk` in the pieces the server sends (lines may be split)
  // until it ends (OK), `on_chunk` returns false (OK) or `stop` is raised (CANCELLED).
  virtual Status StreamPodLog(std::string_view ns, std::string_view pod, const LogOptions& options,
                              const std::function<bool(std::string_view)>& on_chunk,
                              const StopSignal* stop = nullptr) = 0;

  virtual ClientStats Stats() const = 0;
  // The namespace of the configuration (the context's, or the service account's).
  virtual const std::string& default_namespace() const = 0;
};

struct ClientOptions {
  double qps = 50;  // sustained requests per second; <= 0: no limit
  int burst = 100;  // requests allowed at once above the rate
  RetryPolicy retry{};
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds request_timeout{60};  // any call but a watch or a followed log
  std::string user_agent = "sparkd";
  // The clock of the QPS limit and of backoff waits; null: the steady clock. Not owned.
  MonotonicClock* clock = nullptr;
};

// The libcurl client. INVALID_ARGUMENT when the configuration cannot be used (no server).
StatusOr<std::unique_ptr<Client>> NewClient(KubeConfig config, ClientOptions options = {});

// Lists every page (options.limit per request), following continue tokens. When a continue
// token expires midway (OUT_OF_RANGE) the list starts over without one.
StatusOr<ListResult> ListAll(Client& client, const Resource& resource, std::string_view ns,
                             ListOptions options);

}  // namespace sparkd::kube
