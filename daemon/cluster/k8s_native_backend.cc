#include "daemon/cluster/k8s_native_backend.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "daemon/core/job_json.h"
#include "daemon/core/job_links.h"
#include "daemon/core/preset/job_spec.h"
#include "daemon/core/preset/render.h"

namespace sparkd::cluster {
namespace {

using nlohmann::json;

const kube::Resource kNodes{"v1", "nodes"};

StatusOr<kube::Resource> ResourceNamed(const std::string& plural) {
  if (plural == "pods") return kube::kPods;
  if (plural == "services") return kube::kServices;
  if (plural == "configmaps") return kube::kConfigMaps;
  return Internal("the renderer asked for an unknown resource \"" + plural + "\"");
}

// The node a deleted pod ran on, from the scheduler's "Scheduled" Event (Events outlive their
// pod by an hour by default).
std::string NodeFromEvents(kube::Client* client, const std::string& ns, const std::string& pod) {
  kube::ListOptions list;
  list.field_selector = "involvedObject.kind=Pod,involvedObject.name=" + pod;
  auto events = client->List(kube::kEvents, ns, list);
  if (!events.ok()) return {};
  std::string node;
  for (const json& e : events->items) {
    std::string message = e.value("message", "");
    auto to = message.rfind(" to ");
    if (e.value("reason", "") == "Scheduled" && to != std::string::npos) {
      node = message.substr(to + 4);
    }
  }
  return node;
}

}  // namespace

K8sNativeBackend::K8sNativeBackend(kube::Client* client, Clock* clock, K8sNativeOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      logs_(client, DriverLogOptions{options_.data_dir}),
      watcher_(client, clock, [this] {
        PodWatcherOptions w;
        w.namespaces = options_.namespaces;
        w.deadlines = options_.deadlines;
        w.recheck_interval = options_.recheck_interval;
        w.watch_timeout_seconds = options_.watch_timeout_seconds;
        w.check_nodes = options_.check_nodes;
        w.ui_url = [this](const PodIdentity& driver) { return UiUrl(driver); };
        return w;
      }()) {}

K8sNativeBackend::~K8sNativeBackend() {
  watcher_.Stop();
  logs_.StopAll();
}

StatusOr<DriverManifests> K8sNativeBackend::Render(const Job& job) const {
  if (job.resolved_spec_json.empty()) {
    return FailedPrecondition("job " + job.id +
                              " has no resolved spec; the k8s-native backend renders from it");
  }
  auto spec_json = json::parse(job.resolved_spec_json, nullptr, false);
  ASSIGN_OR_RETURN(JobSpec spec, SpecFromJson(spec_json));
  DriverJob driver;
  driver.job_id = job.id;
  driver.team = job.team;
  driver.job_type = job.request.job_type;
  driver.idempotency_key = job.idempotency_key;
  driver.submit_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(job.created_at.time_since_epoch())
          .count();
  driver.spec = std::move(spec);
  NativeBackendSettings settings = options_.render;
  settings.daemon_conf["spark.ui.proxyBase"] = options_.ui_proxy_prefix + "/jobs/" + job.id + "/ui";
  return RenderDriverManifests(driver, settings);
}

K8sNativeBackend::PodRef K8sNativeBackend::DriverOf(const Job& job) const {
  auto slash = job.backend_ref.find('/');
  if (slash != std::string::npos) {
    return {job.backend_ref.substr(0, slash), job.backend_ref.substr(slash + 1)};
  }
  // Not launched (or the daemon died inside Launch): where Launch puts it.
  std::string ns = options_.render.default_namespace;
  if (auto spec = SpecFromJson(json::parse(job.resolved_spec_json, nullptr, false));
      spec.ok() && spec->namespace_name) {
    ns = *spec->namespace_name;
  }
  return {ns, DriverObjectNamesForJob(job.id).driver_pod};
}

StatusOr<std::string> K8sNativeBackend::Launch(const Job& job) {
  ASSIGN_OR_RETURN(DriverManifests m, Render(job));
  const std::string& ns = m.namespace_name;
  const std::string& name = m.names.driver_pod;
  const auto& watched = options_.namespaces;
  if (!watched.empty() && std::find(watched.begin(), watched.end(), ns) == watched.end()) {
    // Its pods would never be seen: the job would sit SUBMITTED for ever.
    return FailedPrecondition("namespace \"" + ns +
                              "\" is not one this daemon watches (k8s-namespaces)");
  }
  json pod;
  auto created = client_->Create(kube::kPods, ns, m.pod);
  if (created.ok()) {
    pod = std::move(*created);
  } else if (created.status().code() == StatusCode::kAlreadyExists) {
    // Launched before (a retry, or a daemon that died before recording it): the same job.
    ASSIGN_OR_RETURN(pod, client_->Get(kube::kPods, ns, name));
    std::string owner = pod["metadata"].value("labels", json::object()).value(kJobIdLabel, "");
    if (owner != job.id) {
      return FailedPrecondition("pod " + ns + "/" + name + " exists and belongs to job \"" + owner +
                                "\", not " + job.id);
    }
  } else {
    return created.status();
  }
  std::string uid = pod["metadata"].value("uid", "");
  for (const DriverObject& dependent : DependentsOwnedBy(m, uid)) {
    ASSIGN_OR_RETURN(kube::Resource resource, ResourceNamed(dependent.resource));
    auto made = client_->Create(resource, ns, dependent.object);
    if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) {
      // The pod cannot start without it; it must not wait forever for it either.
      kube::DeleteOptions del;
      del.precondition_uid = uid;
      (void)client_->Delete(kube::kPods, ns, name, del);
      return made.status();
    }
  }
  spdlog::info("job {}: driver pod {}/{} created", job.id, ns, name);
  return ns + "/" + name;
}

StatusOr<Observation> K8sNativeBackend::Observe(const Job& job) {
  PodRef ref = DriverOf(job);
  auto pod = client_->Get(kube::kPods, ref.ns, ref.name);
  if (!pod.ok() && pod.status().code() == StatusCode::kNotFound) {
    std::string what = "driver pod " + ref.ns + "/" + ref.name + " does not exist";
    if (job.state == JobState::kSubmitting) return NotFound(what);  // never launched
    std::string node = NodeFromEvents(client_, ref.ns, ref.name);
    if (!node.empty() && client_->Get(kNodes, "", node).status().code() == StatusCode::kNotFound) {
      Observation lost;
      lost.phase = Observation::Phase::kLost;
      lost.message = what + ": it vanished with its node " + node;
      ExecutorRecord driver;
      driver.pod_name = ref.name;
      driver.host = node;
      driver.reason = ExitReason::kNodeLost;
      driver.evidence = "pod vanished with its node " + node + " (node not found)";
      driver.advice = classify::AdviceFor(ExitReason::kNodeLost, " driver");
      lost.driver = driver;
      return lost;
    }
    return NotFound(what + " (deleted while sparkd was not watching)");
  }
  if (!pod.ok()) return pod.status();
  if (job.state == JobState::kSubmitting) {
    // The daemon died between creating the pod and recording it: finish that launch (every
    // create is idempotent), so the pod does not wait for a ConfigMap nobody makes.
    RETURN_IF_ERROR(Launch(job).status());
  }
  Observation o = ObserveDriverPod(*pod, {}, clock_->Now(), options_.deadlines);
  if (o.phase == Observation::Phase::kRunning) o.spark_ui_url = UiUrl(IdentifyPod(*pod));
  return o;
}

bool K8sNativeBackend::Subscribe(ObservationSink* sink) {
  watcher_.Stop();
  downstream_ = sink;
  if (sink) watcher_.Start(this);
  return true;
}

bool K8sNativeBackend::OnObservation(const std::string& job_id, Observation observation) {
  return downstream_->OnObservation(job_id, std::move(observation));
}

void K8sNativeBackend::OnExecutorEnded(const std::string& job_id, ExecutorRecord record) {
  downstream_->OnExecutorEnded(job_id, std::move(record));
}

void K8sNativeBackend::OnResync(const std::set<std::string>& present,
                                const std::function<bool(const Job&)>& covers) {
  downstream_->OnResync(present, covers);
}

Status K8sNativeBackend::StreamEvidence(const Job& job, const EvidenceSink& sink) {
  PodRef ref = DriverOf(job);
  Status completed = logs_.Complete(job.id, ref.ns, ref.name, options_.log_complete_wait);
  if (!completed.ok()) spdlog::info("job {}: driver log: {}", job.id, completed.ToString());
  std::ifstream in(logs_.PathOf(job.id), std::ios::binary);
  std::string buf(64 * 1024, '\0');
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    sink("driver-log", std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  if (auto pod = watcher_.DriverPod(job.id)) sink("pod/" + ref.name, pod->dump());
  return Status::Ok();
}

Status K8sNativeBackend::Kill(const Job& job) {
  PodRef ref = DriverOf(job);
  kube::DeleteOptions options;
  options.propagation_policy = "Background";
  auto deleted = client_->Delete(kube::kPods, ref.ns, ref.name, options);
  if (!deleted.ok() && deleted.status().code() != StatusCode::kNotFound) return deleted.status();
  return Status::Ok();
}

StatusOr<LogChunk> K8sNativeBackend::ReadDriverLog(const Job& job, int64_t offset,
                                                   int64_t max_bytes) {
  if (!job.backend_ref.empty()) {
    std::error_code ec;
    bool copied = std::filesystem::exists(logs_.PathOf(job.id), ec);
    PodRef ref = DriverOf(job);
    // The log is followed only while someone reads it (a stream per running driver would be
    // an API request per job held open, or retried, all along), and copied whole at the end.
    // A job this daemon has no copy of (it ran while the daemon was down, or another replica
    // drives it) is fetched once.
    if (job.state == JobState::kRunning) {
      logs_.Follow(job.id, ref.ns, ref.name);
    } else if (!copied && IsTerminal(job.state)) {
      (void)logs_.Complete(job.id, ref.ns, ref.name, std::chrono::milliseconds(0));
    }
  }
  return logs_.Read(job.id, offset, max_bytes);
}

std::string K8sNativeBackend::HistoryUrl(const Job& job) const {
  if (options_.history_url.empty() || job.spark_app_id.empty()) return "";
  return options_.history_url + "/history/" + job.spark_app_id + "/jobs/";
}

RenderContext K8sNativeBackend::LinkContext(const Job& job) const {
  PodRef ref = DriverOf(job);
  RenderContext context = Backend::LinkContext(job);
  if (context.app_id.empty()) context.app_id = DriverObjectNamesForJob(job.id).app_id;
  context.namespace_name = ref.ns;
  context.driver_pod = ref.name;
  context.pod_prefix = DriverObjectNamesForJob(job.id).resource_prefix;
  return context;
}

std::string K8sNativeBackend::LogsUrl(const Job& job) const {
  return JobLinkUrl(job, JobLink::kLogs, LinkContext(job), clock_->Now());
}

std::string K8sNativeBackend::UiUrl(const PodIdentity& driver) const {
  DriverObjectNames names = DriverObjectNamesForJob(driver.job_id);
  std::string url = options_.ui_url_template;
  url = ReplaceAll(url, "{api_server}", options_.api_server);
  url = ReplaceAll(url, "{namespace}", driver.namespace_name);
  url = ReplaceAll(url, "{service}", names.service);
  url = ReplaceAll(url, "{driver_pod}", driver.name);
  url = ReplaceAll(url, "{app_id}", names.app_id);
  url = ReplaceAll(url, "{job_id}", driver.job_id);
  return url;
}

}  // namespace sparkd::cluster
