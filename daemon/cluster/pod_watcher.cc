#include "daemon/cluster/pod_watcher.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace sparkd::cluster {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kEventsRereadAfter{60};
// A pod that has been starting longer than this without its status saying why may have a
// reason only its Events tell (a volume that cannot be mounted).
constexpr std::chrono::seconds kSilentStartAfter{15};
const kube::Resource kNodes{"v1", "nodes"};

std::string Fingerprint(const ExecutorRecord& r) {
  return std::string(ExitReasonName(r.reason)) + "|" +
         (r.exit_code ? std::to_string(*r.exit_code) : "-") + "|" + r.evidence + "|" + r.host;
}

bool Vague(ExitReason reason) {
  return reason == ExitReason::kUnknown || reason == ExitReason::kAppError;
}

bool SilentlyStarting(const json& pod, TimePoint now, std::chrono::seconds after) {
  if (!WaitingToStart(pod)) return false;
  const json& status = pod.value("status", json::object());
  for (const json& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False") return false;
  }
  for (const json& c : status.value("containerStatuses", json::array())) {
    std::string waiting = c.value("state", json::object())
                              .value("waiting", json::object())
                              .value("reason", "ContainerCreating");
    if (waiting != "ContainerCreating" && waiting != "PodInitializing") return false;
  }
  auto created =
      ParseKubeTime(pod.value("metadata", json::object()).value("creationTimestamp", ""));
  return created && now - *created > after;
}

}  // namespace

// Feeds one namespace's list and watch into the PodWatcher.
class PodWatcher::Handler : public kube::WatchHandler {
 public:
  Handler(PodWatcher* watcher, std::string ns) : watcher_(watcher), ns_(std::move(ns)) {}

  void OnList(const kube::ListSnapshot& snapshot) override {
    for (const json& pod : snapshot.objects) watcher_->Process(pod, false);
    for (const json& pod : snapshot.gone) watcher_->Process(pod, true);
    watcher_->Resync(ns_, snapshot);
  }

  void OnEvent(const kube::WatchEvent& event) override {
    if (event.type == kube::WatchEventType::kAdded ||
        event.type == kube::WatchEventType::kModified) {
      watcher_->Process(event.object, false);
    } else if (event.type == kube::WatchEventType::kDeleted) {
      watcher_->Process(event.object, true);
    }
  }

 private:
  PodWatcher* const watcher_;
  const std::string ns_;
};

PodWatcher::PodWatcher(kube::Client* client, Clock* clock, PodWatcherOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {}

PodWatcher::~PodWatcher() { Stop(); }

void PodWatcher::Start(ObservationSink* sink) {
  {
    std::lock_guard lock(process_mu_);
    sink_ = sink;
  }
  {
    std::lock_guard lock(recheck_mu_);
    stopping_ = false;
  }
  std::vector<std::string> namespaces = options_.namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  for (const std::string& ns : namespaces) {
    handlers_.push_back(std::make_unique<Handler>(this, ns));
    kube::WatcherOptions w;
    w.resource = kube::kPods;
    w.ns = ns;
    w.label_selector = kSparkdPodSelector;
    w.page_size = options_.page_size;
    w.watch_timeout_seconds = options_.watch_timeout_seconds;
    w.backoff = options_.backoff;
    watchers_.push_back(std::make_unique<kube::Watcher>(client_, w, handlers_.back().get()));
  }
  for (auto& watcher : watchers_) {
    threads_.emplace_back([w = watcher.get()] {
      Status s = w->Run();
      if (!s.ok()) spdlog::warn("pod watch ended: {}", s.ToString());
    });
  }
  recheck_thread_ = std::thread([this] { RecheckLoop(); });
}

void PodWatcher::Stop() {
  for (auto& watcher : watchers_) watcher->Stop();
  {
    std::lock_guard lock(recheck_mu_);
    stopping_ = true;
  }
  recheck_cv_.notify_all();
  for (auto& t : threads_) t.join();
  if (recheck_thread_.joinable()) recheck_thread_.join();
  threads_.clear();
  watchers_.clear();
  handlers_.clear();
  std::lock_guard lock(process_mu_);
  sink_ = nullptr;
}

std::optional<json> PodWatcher::DriverPod(const std::string& job_id) const {
  std::lock_guard lock(drivers_mu_);
  auto it = drivers_.find(job_id);
  if (it == drivers_.end()) return std::nullopt;
  return it->second;
}

std::vector<kube::WatcherStats> PodWatcher::Stats() const {
  std::vector<kube::WatcherStats> stats;
  for (const auto& w : watchers_) stats.push_back(w->stats());
  return stats;
}

void PodWatcher::Process(const json& pod, bool vanished) {
  std::lock_guard lock(process_mu_);
  ProcessLocked(pod, vanished);
}

void PodWatcher::Resync(const std::string& ns, const kube::ListSnapshot& snapshot) {
  std::set<std::string> present;
  for (const json& pod : snapshot.objects) {
    PodIdentity id = IdentifyPod(pod);
    if (id.role == PodRole::kDriver && !id.job_id.empty()) present.insert(id.job_id);
  }
  // A job's backend_ref is "namespace/driver pod" (K8sNativeBackend::Launch).
  auto covers = [ns](const Job& job) {
    return !job.backend_ref.empty() && (ns.empty() || job.backend_ref.starts_with(ns + "/"));
  };
  std::lock_guard lock(process_mu_);
  if (sink_) sink_->OnResync(present, covers);
}

void PodWatcher::ProcessLocked(const json& pod, bool vanished) {
  PodIdentity id = IdentifyPod(pod);
  if (id.job_id.empty() || id.role == PodRole::kOther || !sink_) return;
  TimePoint now = clock_->Now();
  if (vanished) {
    waiting_.erase(id.uid);
  } else if (WaitingToStart(pod)) {
    waiting_[id.uid] = pod;
  } else {
    waiting_.erase(id.uid);
  }
  if (id.role == PodRole::kDriver) {
    {
      std::lock_guard lock(drivers_mu_);
      drivers_[id.job_id] = pod;
    }
    classify::PodContext context = ContextFor(pod, id, vanished, false);
    Observation o = ObserveDriverPod(pod, context, now, options_.deadlines);
    if ((o.driver && Vague(o.driver->reason)) || SilentlyStarting(pod, now, kSilentStartAfter)) {
      context = ContextFor(pod, id, vanished, true);
      o = ObserveDriverPod(pod, context, now, options_.deadlines);
    }
    if (o.phase == Observation::Phase::kRunning && options_.ui_url) {
      o.spark_ui_url = options_.ui_url(id);
    }
    sink_->OnObservation(id.job_id, std::move(o));
    if (vanished) {
      std::lock_guard lock(drivers_mu_);
      drivers_.erase(id.job_id);
    }
    return;
  }
  classify::PodContext context = ContextFor(pod, id, vanished, false);
  auto record = ExecutorPodEnd(pod, context, now, options_.deadlines);
  // Executors are many (thousands may wait for an autoscaler): their Events are read only once
  // the pod could be failed for what they say (the config-error deadline), not after 15 s; the
  // driver, which mounts the same secrets, usually tells first.
  if ((record && Vague(record->reason)) ||
      (!record && SilentlyStarting(pod, now, options_.deadlines.config_error))) {
    context = ContextFor(pod, id, vanished, true);
    record = ExecutorPodEnd(pod, context, now, options_.deadlines);
  }
  if (!record) return;
  std::string fingerprint = Fingerprint(*record);
  auto seen = recorded_.find(id.uid);
  bool same = seen != recorded_.end() && seen->second == fingerprint;
  if (vanished) {
    recorded_.erase(id.uid);
    events_read_.erase(id.uid);
  } else {
    recorded_[id.uid] = fingerprint;
  }
  if (!same) sink_->OnExecutorEnded(id.job_id, std::move(*record));
}

classify::PodContext PodWatcher::ContextFor(const json& pod, const PodIdentity& id, bool vanished,
                                            bool want_events) {
  classify::PodContext context;
  context.vanished = vanished;
  if (vanished && options_.check_nodes && !id.node.empty()) {
    // Only a pod that vanished without its status saying why needs its node looked at.
    classify::PodContext bare;
    bare.vanished = true;
    ExitReason reason = classify::DiagnosePodObject(pod, bare).reason;
    if (reason == ExitReason::kKilledByDriver || reason == ExitReason::kUnknown) {
      context.node_gone = NodeGone(id.node);
    }
  }
  if (want_events) context.events = EventsOf(id);
  return context;
}

std::vector<classify::PodEvent> PodWatcher::EventsOf(const PodIdentity& id) {
  TimePoint now = clock_->Now();
  auto last = events_read_.find(id.uid);
  if (last != events_read_.end() && now - last->second < kEventsRereadAfter) return {};
  events_read_[id.uid] = now;
  kube::ListOptions list;
  list.field_selector = "involvedObject.uid=" + id.uid;
  auto events = client_->List(kube::kEvents, id.namespace_name, list);
  if (!events.ok()) {
    spdlog::debug("events of pod {}/{}: {}", id.namespace_name, id.name,
                  events.status().ToString());
    return {};
  }
  std::vector<classify::PodEvent> out;
  for (const json& e : events->items) {
    out.push_back({e.value("type", ""), e.value("reason", ""), e.value("message", "")});
  }
  return out;
}

bool PodWatcher::NodeGone(const std::string& node) {
  auto got = client_->Get(kNodes, "", node);
  if (got.ok()) return false;
  if (got.status().code() == StatusCode::kNotFound) return true;
  spdlog::debug("node {}: {}", node, got.status().ToString());
  return false;
}

bool PodWatcher::MayBeStuck(const json& pod, TimePoint now) const {
  // Younger than the first verdict that can fall on it, a waiting pod needs no second look:
  // under churn most waiting pods start within seconds, and looking at each every pass costs
  // the watch its latency.
  const StuckDeadlines& d = options_.deadlines;
  std::chrono::seconds first =
      IdentifyPod(pod).role == PodRole::kDriver
          ? std::min({kSilentStartAfter, d.config_error, d.image_pull, d.unschedulable})
          : std::min({d.config_error, d.image_pull, d.unschedulable});
  auto created =
      ParseKubeTime(pod.value("metadata", json::object()).value("creationTimestamp", ""));
  return !created || now - *created >= first;
}

void PodWatcher::RecheckLoop() {
  while (true) {
    {
      std::unique_lock lock(recheck_mu_);
      recheck_cv_.wait_for(lock, options_.recheck_interval, [&] { return stopping_; });
      if (stopping_) return;
    }
    std::vector<std::string> uids;
    {
      std::lock_guard lock(process_mu_);
      TimePoint now = clock_->Now();
      for (const auto& [uid, pod] : waiting_) {
        if (MayBeStuck(pod, now)) uids.push_back(uid);
      }
    }
    // One pod at a time: a pass over thousands of pending pods (each may read its Events)
    // must not hold the watch's events back until it is done.
    for (const std::string& uid : uids) {
      {
        std::lock_guard lock(recheck_mu_);
        if (stopping_) return;
      }
      std::lock_guard lock(process_mu_);
      auto it = waiting_.find(uid);
      if (it == waiting_.end()) continue;  // it started, ended or went meanwhile
      json pod = it->second;               // a copy: processing may drop it from the set
      ProcessLocked(pod, false);
    }
  }
}

}  // namespace sparkd::cluster
