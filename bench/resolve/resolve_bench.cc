// Resolves per second on one thread, in-process, with a realistic preset (30 conf keys,
// affinity, tolerations) layered on defaults and a base preset, printed beside the cost of only
// parsing the same YAML. The daemon keeps parsed presets per immutable version, so the resolve
// figure is what a SubmitJob pays; the parse figure is what a cache miss adds.
//
//   resolve_bench [seconds per measurement, default 2]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/core/preset/preset.h"
#include "daemon/core/preset/render.h"
#include "daemon/core/preset/resolve.h"

namespace sparkd {
namespace {

constexpr const char* kDefaults = R"(
image: apache/spark:3.5.3
driver: {memory: 1g, cores: 1}
executor: {memory: 2g, cores: 1, instances: 2}
labels: {managed-by: sparkd}
conf: {spark.ui.enabled: true, spark.dynamicAllocation.shuffleTracking.enabled: true}
)";

constexpr const char* kBase = R"(
labels: {cost-center: data-platform}
tolerations: [{key: dedicated, operator: Equal, value: batch, effect: NoSchedule}]
enforce: [labels.cost-center]
)";

constexpr const char* kPreset = R"(
extends: base
driver: {memory: 8g, cores: 2, cpuRequest: "2", cpuLimit: "2"}
executor: {memory: 28g, memoryOverhead: 4g, cores: 8, cpuRequest: 7500m, cpuLimit: "8"}
dynamicAllocation: {enabled: true, minExecutors: 2, maxExecutors: 200, executorAllocationRatio: 0.5}
namespace: team-a
serviceAccount: spark-team-a
priorityClassName: spark-batch-high
nodeSelector: {node-pool: strong-compute, topology.kubernetes.io/region: eu-west-1}
tolerations:
  - {key: dedicated, operator: Equal, value: strong-compute, effect: NoSchedule}
  - {key: spot, operator: Exists, effect: NoExecute, tolerationSeconds: 120}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - key: node.kubernetes.io/instance-type
              operator: In
              values: [m6i.8xlarge, m6a.8xlarge]
  podAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector: {matchLabels: {spark-app-selector: "{app_id}"}}
env:
  - {name: MODE, value: batch}
  - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
conf:
  spark.sql.adaptive.enabled: true
  spark.sql.adaptive.coalescePartitions.enabled: true
  spark.sql.adaptive.skewJoin.enabled: true
  spark.sql.adaptive.advisoryPartitionSizeInBytes: 128m
  spark.sql.shuffle.partitions: 800
  spark.sql.files.maxPartitionBytes: 256m
  spark.sql.autoBroadcastJoinThreshold: 64m
  spark.sql.broadcastTimeout: 600s
  spark.serializer: org.apache.spark.serializer.KryoSerializer
  spark.kryoserializer.buffer.max: 512m
  spark.driver.maxResultSize: 4g
  spark.memory.fraction: 0.7
  spark.memory.storageFraction: 0.3
  spark.network.timeout: 600s
  spark.executor.heartbeatInterval: 30s
  spark.speculation: false
  spark.task.maxFailures: 8
  spark.stage.maxConsecutiveAttempts: 8
  spark.shuffle.io.maxRetries: 10
  spark.shuffle.io.retryWait: 15s
  spark.reducer.maxSizeInFlight: 96m
  spark.shuffle.file.buffer: 1m
  spark.dynamicAllocation.executorIdleTimeout: 120s
  spark.dynamicAllocation.schedulerBacklogTimeout: 5s
  spark.kubernetes.allocation.batch.size: 20
  spark.kubernetes.executor.deleteOnTermination: true
  spark.hadoop.fs.s3a.fast.upload: true
  spark.hadoop.fs.s3a.connection.maximum: 200
  spark.sql.warehouse.dir: s3a://warehouse/team-a
  spark.ui.enabled: true
enforce: [namespace, serviceAccount, nodeSelector]
)";

template <typename F>
double PerSecond(double seconds, F&& body) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  long long count = 0;
  while (Clock::now() < deadline) {
    for (int i = 0; i < 64; ++i) body();
    count += 64;
  }
  return count / std::chrono::duration<double>(Clock::now() - start).count();
}

Preset MustParse(const char* yaml) {
  auto preset = ParsePreset(yaml);
  if (!preset.ok()) {
    std::fprintf(stderr, "bad bench preset: %s\n", preset.status().ToString().c_str());
    std::exit(1);
  }
  return *preset;
}

int Run(double seconds) {
  Preset defaults = MustParse(kDefaults);
  PresetLayer base{{"team-a", "base", 4}, MustParse(kBase)};
  PresetLayer preset{{"team-a", "strong_compute", 7}, MustParse(kPreset)};
  JobRequest request;
  request.file = "s3a://jobs/etl.jar";
  request.class_name = "com.example.Etl";
  request.job_type = "strong_compute";
  request.args = {"--date", "2026-11-20"};
  request.executor.memory = "28g";
  request.conf = {{"spark.sql.shuffle.partitions", "1200"}, {"spark.app.name", "etl-daily"}};
  request.labels = {{"dag", "daily-etl"}};
  ResolveLayers layers{&defaults, &base, &preset};
  size_t sink = 0;

  double resolves = PerSecond(seconds, [&] {
    auto resolved = ResolveJob(layers, request);
    sink += resolved.ok() ? resolved->spec.conf.size() : 0;
  });
  double resolve_render = PerSecond(seconds, [&] {
    auto resolved = ResolveJob(layers, request);
    if (resolved.ok()) sink += RenderSparkConf(resolved->spec).size();
  });
  double parses = PerSecond(seconds, [&] { sink += ParsePreset(kPreset).ok() ? 1 : 0; });

  std::printf("preset: %zu conf keys, %zu tolerations, affinity, 3 layers + request\n",
              preset.preset.spec.conf.size(), preset.preset.spec.tolerations.size());
  std::printf("resolve (parsed presets)      %10.0f /s  %7.2f us each\n", resolves, 1e6 / resolves);
  std::printf("resolve + render Spark conf   %10.0f /s  %7.2f us each\n", resolve_render,
              1e6 / resolve_render);
  std::printf("parse preset YAML only        %10.0f /s  %7.2f us each\n", parses, 1e6 / parses);
  std::printf("one parse costs %.1f resolves (target: >= 20000 resolves/s)\n", resolves / parses);
  return sink == 0 ? 1 : 0;
}

}  // namespace
}  // namespace sparkd

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  return sparkd::Run(seconds > 0 ? seconds : 2.0);
}
