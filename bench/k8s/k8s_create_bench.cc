// The ceiling of k8s-native submission: N apps' driver objects (the Pod, then its Service and
// spark.properties ConfigMap owned by the created pod's uid, exactly as K8sNativeBackend::Launch
// makes them) created by --concurrency threads, each one app after another, as the daemon's
// launchers do (its launch-concurrency), by the daemon's own Kubernetes client. Every app is
// rendered before the clock starts, so what is timed is the client and the API server only. Prints
// one JSON line: {"apps": N, "seconds": S, "apps_per_min": R}.
//
//   k8s_create_bench --kubeconfig FILE --namespace NS --apps N [--image IMAGE]
//                    [--scheduler-name NAME] [--qps Q] [--concurrency C]
// --scheduler-name keeps the pods away from the cluster's scheduler (a name nobody serves), so
// the run measures creation only; --qps is the client's limit (0, the default: none).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/preset/driver_manifests.h"
#include "daemon/kube/client.h"
#include "daemon/kube/config.h"

namespace sparkd::bench {
namespace {

constexpr const char* kUsage =
    "usage: k8s_create_bench --kubeconfig FILE --namespace NS --apps N [--image IMAGE]\n"
    "                        [--scheduler-name NAME] [--qps 0] [--concurrency 1]\n";

struct Flags {
  std::string kubeconfig;
  std::string namespace_name;
  int apps = 0;
  std::string image = "registry.example/sparkd/spark:3.5.8";
  std::string scheduler_name;
  double qps = 0;
  int concurrency = 1;
};

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    std::string value = argv[i + 1];
    if (name == "--kubeconfig") {
      f.kubeconfig = value;
    } else if (name == "--namespace") {
      f.namespace_name = value;
    } else if (name == "--apps") {
      f.apps = std::atoi(value.c_str());
    } else if (name == "--image") {
      f.image = value;
    } else if (name == "--scheduler-name") {
      f.scheduler_name = value;
    } else if (name == "--qps") {
      f.qps = std::atof(value.c_str());
    } else if (name == "--concurrency") {
      f.concurrency = std::atoi(value.c_str());
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || f.kubeconfig.empty() || f.namespace_name.empty() || f.apps <= 0 ||
      f.concurrency <= 0) {
    return std::nullopt;
  }
  return f;
}

StatusOr<std::vector<DriverManifests>> RenderApps(const Flags& flags) {
  NativeBackendSettings settings;
  settings.default_namespace = flags.namespace_name;
  settings.default_image = flags.image;
  std::vector<DriverManifests> apps;
  apps.reserve(static_cast<size_t>(flags.apps));
  auto now = std::chrono::system_clock::now().time_since_epoch();
  for (int i = 0; i < flags.apps; ++i) {
    DriverJob job;
    job.job_id = "ceiling-" + std::to_string(i);
    job.team = "bench";
    job.job_type = "ceiling";
    job.idempotency_key = job.job_id;
    job.submit_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    job.spec.file = "local:///opt/spark/examples/jars/spark-examples.jar";
    job.spec.class_name = "org.apache.spark.examples.SparkPi";
    job.spec.args = {"10"};
    if (!flags.scheduler_name.empty()) job.spec.scheduler_name = flags.scheduler_name;
    ASSIGN_OR_RETURN(DriverManifests m, RenderDriverManifests(job, settings));
    apps.push_back(std::move(m));
  }
  return apps;
}

const kube::Resource& ResourceOf(const std::string& plural) {
  return plural == "services" ? kube::kServices : kube::kConfigMaps;
}

Status CreateApp(kube::Client& client, const DriverManifests& app) {
  ASSIGN_OR_RETURN(nlohmann::json pod, client.Create(kube::kPods, app.namespace_name, app.pod));
  for (const DriverObject& dependent :
       DependentsOwnedBy(app, pod["metadata"].value("uid", std::string()))) {
    RETURN_IF_ERROR(
        client.Create(ResourceOf(dependent.resource), app.namespace_name, dependent.object)
            .status());
  }
  return Status::Ok();
}

int Run(const Flags& flags) {
  auto config = kube::LoadConfig(flags.kubeconfig, "");
  if (!config.ok()) {
    std::fprintf(stderr, "k8s_create_bench: %s\n", config.status().ToString().c_str());
    return 1;
  }
  kube::ClientOptions options;
  options.qps = flags.qps;
  auto client = kube::NewClient(*config, options);
  if (!client.ok()) {
    std::fprintf(stderr, "k8s_create_bench: %s\n", client.status().ToString().c_str());
    return 1;
  }
  auto apps = RenderApps(flags);
  if (!apps.ok()) {
    std::fprintf(stderr, "k8s_create_bench: %s\n", apps.status().ToString().c_str());
    return 1;
  }
  std::atomic<size_t> next = 0;
  std::mutex failure_mu;
  std::optional<Status> failure;
  auto create_while_left = [&] {
    for (size_t i = next++; i < apps->size(); i = next++) {
      if (Status made = CreateApp(**client, (*apps)[i]); !made.ok()) {
        std::lock_guard lock(failure_mu);
        failure = made;
        return;
      }
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < flags.concurrency; ++t) threads.emplace_back(create_while_left);
  for (std::thread& t : threads) t.join();
  if (failure) {
    std::fprintf(stderr, "k8s_create_bench: %s\n", failure->ToString().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"apps\": %d, \"seconds\": %.3f, \"apps_per_min\": %.1f}\n", flags.apps, seconds,
              flags.apps / seconds * 60);
  return 0;
}

}  // namespace
}  // namespace sparkd::bench

int main(int argc, char** argv) {
  auto flags = sparkd::bench::ParseFlags(argc, argv);
  if (!flags) {
    std::fputs(sparkd::bench::kUsage, stderr);
    return 2;
  }
  return sparkd::bench::Run(*flags);
}
