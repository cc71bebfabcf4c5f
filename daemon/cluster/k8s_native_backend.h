// The k8s-native backend: runs each job as the driver Pod, spark.properties ConfigMap and
// headless Service that `spark-submit --deploy-mode cluster` would create, rendered by core
// (preset/driver_manifests.h) and created through the API: no JVM per submission.
//
//   Launch   render → create the pod (409: launched before; read it back) → create the
//            ConfigMap and Service owned by the pod's uid (409: fine). Three creates, O(1).
//   Observe  one GET of the driver pod; used only to reconcile (after a restart, or for a job
//            a re-list did not show). Everything else arrives through the PodWatcher.
//   Kill     delete the driver pod; Kubernetes' garbage collector removes what it owns (the
//            ConfigMap, the Service and the executors, which Spark makes owned by the driver).
//   Logs     the daemon's copy (DriverLogs), followed while the driver runs.
//   Links    the live UI through `ui_url_template`; the history server's page for the app.
//
// A job's backend_ref is "<namespace>/<driver pod>".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/cluster/driver_log.h"
#include "daemon/cluster/pod_watcher.h"
#include "daemon/core/backend.h"
#include "daemon/core/clock.h"
#include "daemon/core/preset/driver_manifests.h"
#include "daemon/kube/client.h"

namespace sparkd::cluster {

struct K8sNativeOptions {
  NativeBackendSettings render;         // default namespace and image, master URL, daemon conf
  std::vector<std::string> namespaces;  // watched; empty: the whole cluster
  std::string data_dir;                 // driver log copies under <data_dir>/jobs/<id>/
  std::string history_url;              // "" = no history server
  // The live Spark UI, as the daemon reaches it to serve /jobs/{id}/ui; placeholders
  // {api_server} {namespace} {service} {driver_pod} {app_id} {job_id}. The default is the
  // driver's Service, as the executors reach it: a daemon inside the cluster. One outside it
  // needs an address it can reach (an ingress).
  std::string ui_url_template = "http://{service}.{namespace}.svc:4040";
  std::string api_server;  // what {api_server} becomes (the client's server URL)
  // The path of the daemon's public URL ("" or e.g. "/sparkd"): each driver gets
  // spark.ui.proxyBase <prefix>/jobs/<id>/ui, so its UI's links work through /jobs/{id}/ui.
  std::string ui_proxy_prefix;
  StuckDeadlines deadlines;
  std::chrono::milliseconds recheck_interval{5000};
  int watch_timeout_seconds = 300;
  bool check_nodes = true;
  std::chrono::seconds log_complete_wait{10};
};

class K8sNativeBackend : public Backend, private ObservationSink {
 public:
  // `client` and `clock` must outlive the backend.
  K8sNativeBackend(kube::Client* client, Clock* clock, K8sNativeOptions options);
  ~K8sNativeBackend() override;

  std::string name() const override { return "k8s-native"; }
  StatusOr<std::string> Launch(const Job& job) override;
  StatusOr<Observation> Observe(const Job& job) override;
  bool Subscribe(ObservationSink* sink) override;
  Status StreamEvidence(const Job& job, const EvidenceSink& sink) override;
  Status Kill(const Job& job) override;
  StatusOr<LogChunk> ReadDriverLog(const Job& job, int64_t offset, int64_t max_bytes) override;
  std::string HistoryUrl(const Job& job) const override;
  // links.logs of the job's spec with {job_id} {app_id} {namespace} {driver_pod} {team} and the
  // job's time range {start_ms} {end_ms} (milliseconds since the epoch; the end is "now" while
  // it runs).
  std::string LogsUrl(const Job& job) const override;
  RenderContext LinkContext(const Job& job) const override;

  // The driver objects a job gets, for tests and dry runs.
  StatusOr<DriverManifests> Render(const Job& job) const;

 private:
  struct PodRef {
    std::string ns;
    std::string name;
  };
  PodRef DriverOf(const Job& job) const;
  std::string UiUrl(const PodIdentity& driver) const;

  // ObservationSink, between the watcher and the supervisor: follows a running driver's log,
  // then passes every call on.
  bool OnObservation(const std::string& job_id, Observation observation) override;
  void OnExecutorEnded(const std::string& job_id, ExecutorRecord record) override;
  void OnResync(const std::set<std::string>& present,
                const std::function<bool(const Job&)>& covers) override;

  kube::Client* const client_;
  Clock* const clock_;
  const K8sNativeOptions options_;
  DriverLogs logs_;
  PodWatcher watcher_;
  ObservationSink* downstream_ = nullptr;  // set by Subscribe, before the watcher starts
};

}  // namespace sparkd::cluster
