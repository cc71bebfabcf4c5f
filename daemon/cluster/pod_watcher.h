// The one pod watcher of the Kubernetes backends: a list+watch per configured namespace (or
// one cluster-wide) of the pods labelled `spark-role` and `sparkd.io/job-id`, resumed from the
// last resourceVersion and listed again on 410 Gone (kube::Watcher), turned into observations
// for the supervisor:
//   driver pod event            → ObservationSink::OnObservation (pod_observation.h)
//   executor pod ended          → ObservationSink::OnExecutorEnded, once per distinct record
//   every list (first, re-list) → ObservationSink::OnResync with the jobs whose driver exists
// API calls: one watch per namespace for all jobs, plus, only for pods whose status does not
// say why they ended or stopped starting, one list of their Events (at most once a minute per
// pod) and, for a pod that vanished without a word, one GET of its node. No per-job GET.
//
// Pods that wait to start (Pending) are looked at again every `recheck_interval` without an
// event, so a stuck driver fails when its deadline passes even if nothing changes.
//
// Thread-safety: Start/Stop from one thread; DriverPod from any. The sink is called from the
// watch threads and the recheck thread, one call at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/backend.h"
#include "daemon/core/clock.h"
#include "daemon/core/pod_observation.h"
#include "daemon/kube/client.h"
#include "daemon/kube/watcher.h"

namespace sparkd::cluster {

struct PodWatcherOptions {
  std::vector<std::string> namespaces;  // empty: one watch across the cluster
  StuckDeadlines deadlines;
  std::chrono::milliseconds recheck_interval{5000};
  // Fills the live UI address of a running driver (pod_observation leaves it empty).
  std::function<std::string(const PodIdentity& driver)> ui_url;
  // Looks at the node of a pod that vanished unexplained (needs `get nodes`; a refusal is
  // taken as "unknown", never as "gone").
  bool check_nodes = true;
  int64_t page_size = 500;
  int watch_timeout_seconds = 300;
  kube::RetryPolicy backoff;
};

// The label selector of every watch: Spark's role label and sparkd's job label.
inline constexpr char kSparkdPodSelector[] = "spark-role in (driver,executor),sparkd.io/job-id";

class PodWatcher {
 public:
  // `client` and `clock` must outlive the watcher.
  PodWatcher(kube::Client* client, Clock* clock, PodWatcherOptions options);
  ~PodWatcher();

  // Starts delivering to `sink` (which must outlive Stop).
  void Start(ObservationSink* sink);
  // Returns once no sink call runs and none will.
  void Stop();

  // The last state seen of a job's driver pod; nullopt when none was seen.
  std::optional<nlohmann::json> DriverPod(const std::string& job_id) const;
  // Stats of each namespace's watch, in the order of options.namespaces.
  std::vector<kube::WatcherStats> Stats() const;

  // One pod as a watch or list delivered it (`vanished`: a DELETED event or gone at a
  // re-list). Public for the namespace handlers; takes the processing lock.
  void Process(const nlohmann::json& pod, bool vanished);
  void Resync(const std::string& ns, const kube::ListSnapshot& snapshot);

 private:
  class Handler;
  // Whether a waiting pod is old enough for a deadline to pass or its Events to matter.
  bool MayBeStuck(const nlohmann::json& pod, TimePoint now) const;
  // Caller holds process_mu_.
  void ProcessLocked(const nlohmann::json& pod, bool vanished);
  classify::PodContext ContextFor(const nlohmann::json& pod, const PodIdentity& id, bool vanished,
                                  bool want_events);
  std::vector<classify::PodEvent> EventsOf(const PodIdentity& id);
  bool NodeGone(const std::string& node);
  void RecheckLoop();

  kube::Client* const client_;
  Clock* const clock_;
  const PodWatcherOptions options_;

  std::vector<std::unique_ptr<Handler>> handlers_;
  std::vector<std::unique_ptr<kube::Watcher>> watchers_;
  std::vector<std::thread> threads_;

  // Held while a pod is processed and the sink called: one call at a time, newest state last.
  std::mutex process_mu_;
  ObservationSink* sink_ = nullptr;                // GUARDED_BY(process_mu_)
  std::map<std::string, nlohmann::json> waiting_;  // GUARDED_BY(process_mu_): by uid
  std::map<std::string, std::string> recorded_;    // GUARDED_BY(process_mu_): uid → record
  std::map<std::string, TimePoint> events_read_;   // GUARDED_BY(process_mu_): uid → when

  mutable std::mutex drivers_mu_;
  std::map<std::string, nlohmann::json> drivers_;  // GUARDED_BY(drivers_mu_): job id → pod

  std::mutex recheck_mu_;
  std::condition_variable recheck_cv_;
  bool stopping_ = false;  // GUARDED_BY(recheck_mu_)
  std::thread recheck_thread_;
};

}  // namespace sparkd::cluster
