// What the daemon's watch pipeline ingests per second, apart from how fast pods change: pod
// events that a watch of the harness really delivered (recorded by bench/k8s/k8s_bench.py while
// kwok churned executors, one JSON watch event per line) are fed to the daemon's PodWatcher
// (Process: identify, classify, dedupe) and, through the Supervisor (the ObservationSink the
// daemon runs), into a fresh PostgreSQL database, as the watch threads do. The HTTP stream and
// its JSON decoding are not in the timed part. Three runs, each on its own fresh database:
//   baseline  PodWatcher::Process with a sink that only counts: the ceiling of the pipeline
//   sparkd    the same events into the Supervisor and PostgreSQL, as fast as they go
//   paced     the same at --rate events/s, each event's lag from when it was due to when its
//             record was written (Process returns after the sink's write)
// Prints one JSON line with the figures. Needs SPARKD_TEST_PG_URL (a server where it may CREATE
// DATABASE) and the harness (for the rare Events list of a pod that ended without a reason).
//
//   watch_replay_bench --kubeconfig FILE --events FILE [--rate 5000]
// Figures: events/s of each run, sparkd / baseline, the paced run's lag p50 / p99 / max, and
// the executor records stored (a check that the replay reached PostgreSQL).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/cluster/local_backend.h"
#include "daemon/cluster/pod_watcher.h"
#include "daemon/core/supervisor.h"
#include "daemon/kube/client.h"
#include "daemon/kube/config.h"
#include "daemon/store/pg_job_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::bench {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: watch_replay_bench --kubeconfig FILE --events FILE [--rate 5000]\n"
    "  (SPARKD_TEST_PG_URL: a PostgreSQL server where it may CREATE DATABASE)\n";
constexpr char kOwner[] = "watch-replay-bench";

struct Flags {
  std::string kubeconfig;
  std::string events;
  double rate = 5000;
};

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  if (argc % 2 == 0) return std::nullopt;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    std::string value = argv[i + 1];
    if (name == "--kubeconfig") {
      f.kubeconfig = value;
    } else if (name == "--events") {
      f.events = value;
    } else if (name == "--rate") {
      f.rate = std::atof(value.c_str());
    } else {
      return std::nullopt;
    }
  }
  if (f.kubeconfig.empty() || f.events.empty() || f.rate <= 0) return std::nullopt;
  return f;
}

struct PodEvent {
  json pod;
  bool vanished;
  TimePoint received;  // when the recording watch received it
};

// The watcher's clock during a replay: the time each event was received when it was recorded,
// so pods look as old as they were then (a clock of today would make every replayed Pending pod
// look stuck and have its Events listed).
class ReplayClock : public Clock {
 public:
  TimePoint Now() override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Set(TimePoint now) {
    std::lock_guard lock(mu_);
    now_ = now;
  }

 private:
  std::mutex mu_;
  TimePoint now_;
};

StatusOr<std::vector<PodEvent>> ReadEvents(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("--events: cannot open " + path);
  std::vector<PodEvent> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (event.is_discarded() || !event.contains("object") || !event.contains("type")) {
      return InvalidArgument("--events: line " + std::to_string(number) +
                             " is not a watch event {\"type\", \"object\"}");
    }
    if (!event.contains("received") || !event["received"].is_number()) {
      return InvalidArgument("--events: line " + std::to_string(number) +
                             " has no \"received\" time (seconds since the epoch)");
    }
    auto received = std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::duration<double>(event["received"].get<double>()));
    out.push_back({std::move(event["object"]), event["type"] == "DELETED", TimePoint(received)});
  }
  if (out.empty()) return InvalidArgument("--events: " + path + " holds no event");
  return out;
}

std::set<std::string> JobIds(const std::vector<PodEvent>& events) {
  std::set<std::string> ids;
  for (const PodEvent& e : events) {
    const json& labels = e.pod["metadata"].value("labels", json::object());
    if (labels.contains("sparkd.io/job-id")) ids.insert(labels["sparkd.io/job-id"]);
  }
  return ids;
}

class CountingSink : public ObservationSink {
 public:
  bool OnObservation(const std::string&, Observation) override {
    ++calls;
    return true;
  }
  void OnExecutorEnded(const std::string&, ExecutorRecord) override { ++calls; }
  void OnResync(const std::set<std::string>&, const std::function<bool(const Job&)>&) override {}
  long calls = 0;
};

// A fresh database holding the events' jobs, each RUNNING and owned by this bench's supervisor,
// as the daemon's are while their executors churn.
struct Store {
  std::unique_ptr<store::TestDatabase> db = store::TestDatabase::Create();
  std::unique_ptr<store::PgPool> pool = db->NewPool(4);
  std::unique_ptr<Clock> clock = NewSystemClock();
  store::PgJobStore jobs{pool.get(), clock.get()};
  std::filesystem::path data_dir =
      std::filesystem::temp_directory_path() / ("sparkd-replay-" + std::to_string(getpid()));
  cluster::LocalBackend backend{[this] {
    cluster::LocalBackendOptions local;
    local.spark_home = "/nonexistent-spark";
    local.data_dir = data_dir.string();
    return local;
  }()};
  Supervisor supervisor{&jobs, &backend, SupervisorOptions{kOwner}};

  ~Store() { std::filesystem::remove_all(data_dir); }

  Status AddRunningJobs(const std::set<std::string>& ids) {
    for (const std::string& id : ids) {
      Job job;
      job.id = id;
      job.team = "bench";
      job.idempotency_key = "replay-" + id;
      job.backend = "replayed";  // no backend of this supervisor claims it
      job.request.file = "local:///opt/spark/examples/jars/spark-examples.jar";
      job.request.class_name = "org.apache.spark.examples.SparkPi";
      job.created_at = clock->Now();
      RETURN_IF_ERROR(jobs.CreateJob(job, "replay-" + id).status());
      auto claimed = jobs.ClaimQueuedJob("replayed", kOwner);
      RETURN_IF_ERROR(claimed.status());
      JobUpdate update;
      update.backend_ref = "replay/" + id;
      RETURN_IF_ERROR(jobs.Transition(id, JobState::kSubmitted, update, "replayed").status());
    }
    supervisor.RunOnce();  // learns which jobs it owns
    for (const std::string& id : ids) {
      Observation running;
      running.phase = Observation::Phase::kRunning;
      running.spark_app_id = "spark-" + id;
      supervisor.OnObservation(id, running);
    }
    return Status::Ok();
  }

  long ExecutorRecords(const std::set<std::string>& ids) {
    long n = 0;
    for (const std::string& id : ids) {
      auto job = jobs.GetJob(id, std::nullopt);
      if (job.ok()) n += static_cast<long>(job->executors.size());
    }
    return n;
  }
};

// Feeds every event, at `rate` per second if given, and returns each one's lag (seconds from
// when it was due to when Process returned) and the seconds the whole replay took.
std::pair<std::vector<double>, double> Replay(cluster::PodWatcher& watcher, ReplayClock& clock,
                                              const std::vector<PodEvent>& events,
                                              std::optional<double> rate) {
  std::vector<double> lags;
  lags.reserve(events.size());
  auto start = SteadyClock::now();
  for (size_t i = 0; i < events.size(); ++i) {
    auto due = start;
    if (rate) {
      due += std::chrono::duration_cast<SteadyClock::duration>(
          std::chrono::duration<double>(static_cast<double>(i) / *rate));
      std::this_thread::sleep_until(due);
    }
    clock.Set(events[i].received);
    watcher.Process(events[i].pod, events[i].vanished);
    lags.push_back(std::chrono::duration<double>(SteadyClock::now() - due).count());
  }
  return {lags, std::chrono::duration<double>(SteadyClock::now() - start).count()};
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t at =
      std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  return values[at];
}

cluster::PodWatcherOptions WatcherOptions() {
  cluster::PodWatcherOptions options;
  // The watcher's own watch looks at a namespace nobody uses: only the replayed events reach the
  // sink (a watch of the bench's namespace would deliver its live pods too), and its empty
  // list's resync covers none of the replayed jobs (their backend_ref is not in it).
  options.namespaces = {"sparkd-watch-replay-nothing-here"};
  options.check_nodes = false;  // the replayed pods' nodes are kwok's, still there
  return options;
}

int Run(const Flags& flags) {
  auto fail = [](const Status& status) {
    std::fprintf(stderr, "watch_replay_bench: %s\n", status.ToString().c_str());
    return 1;
  };
  auto events = ReadEvents(flags.events);
  if (!events.ok()) return fail(events.status());
  auto config = kube::LoadConfig(flags.kubeconfig, "");
  if (!config.ok()) return fail(config.status());
  auto client = kube::NewClient(*config, kube::ClientOptions{});
  if (!client.ok()) return fail(client.status());
  std::set<std::string> ids = JobIds(*events);
  ReplayClock clock;

  CountingSink counting;
  double baseline_seconds;
  {
    cluster::PodWatcher watcher(client->get(), &clock, WatcherOptions());
    watcher.Start(&counting);
    baseline_seconds = Replay(watcher, clock, *events, std::nullopt).second;
    watcher.Stop();
  }
  double sparkd_seconds;
  long executors_recorded;
  {
    Store store;
    if (Status added = store.AddRunningJobs(ids); !added.ok()) return fail(added);
    cluster::PodWatcher watcher(client->get(), &clock, WatcherOptions());
    watcher.Start(&store.supervisor);
    sparkd_seconds = Replay(watcher, clock, *events, std::nullopt).second;
    watcher.Stop();
    executors_recorded = store.ExecutorRecords(ids);
  }
  std::vector<double> lags;
  double paced_seconds;
  {
    Store store;
    if (Status added = store.AddRunningJobs(ids); !added.ok()) return fail(added);
    cluster::PodWatcher watcher(client->get(), &clock, WatcherOptions());
    watcher.Start(&store.supervisor);
    std::tie(lags, paced_seconds) = Replay(watcher, clock, *events, flags.rate);
    watcher.Stop();
  }
  double n = static_cast<double>(events->size());
  std::printf(
      "{\"events\": %zu, \"jobs\": %zu, \"sink_calls\": %ld, \"executors_recorded\": %ld, "
      "\"baseline_events_per_s\": %.0f, \"sparkd_events_per_s\": %.0f, \"of_baseline\": %.3f, "
      "\"paced_rate\": %.0f, \"paced_events_per_s\": %.0f, \"paced_lag_p50_s\": %.4f, "
      "\"paced_lag_p99_s\": %.4f, \"paced_lag_max_s\": %.4f}\n",
      events->size(), ids.size(), counting.calls, executors_recorded, n / baseline_seconds,
      n / sparkd_seconds, baseline_seconds / sparkd_seconds, flags.rate, n / paced_seconds,
      Percentile(lags, 0.5), Percentile(lags, 0.99), Percentile(lags, 1.0));
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
