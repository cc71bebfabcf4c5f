#include "daemon/cluster/local_backend.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "daemon/cluster/log_file.h"
#include "daemon/cluster/process.h"
#include "daemon/core/executor_timeline.h"
#include "daemon/core/preset/conf_policy.h"
#include "daemon/core/redact.h"
#include "daemon/core/spark_size.h"

namespace fs = std::filesystem;

namespace sparkd::cluster {
namespace {

constexpr const char* kInProgressSuffix = ".inprogress";
constexpr size_t kChunkBytes = 64 * 1024;

std::optional<std::string> ReadSmallFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return content;
}

// Reads `path` in chunks and hands each to `fn`.
Status ForEachChunk(const fs::path& path, const std::function<void(std::string_view)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path.string());
  std::string buf(kChunkBytes, '\0');
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    fn(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  return Status::Ok();
}

// The application's event log file: events/<app id> or events/<app id>.inprogress.
std::optional<fs::path> FindEventLog(const fs::path& events_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(events_dir, ec)) {
    if (entry.is_regular_file()) return entry.path();
  }
  return std::nullopt;
}

std::string AppIdOf(const fs::path& event_log) {
  std::string name = event_log.filename().string();
  if (name.ends_with(kInProgressSuffix)) name.resize(name.size() - strlen(kInProgressSuffix));
  return name;
}

// The Spark UI port from the driver log ("Successfully started service 'SparkUI' on port 4041"),
// which differs from the one asked for when that was taken.
std::optional<int> UiPortFromLog(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  constexpr std::string_view kMarker = "'SparkUI' on port ";
  for (int lines = 0; lines < 2000 && std::getline(in, line); ++lines) {
    auto at = line.find(kMarker);
    if (at == std::string::npos) continue;
    try {
      return std::stoi(line.substr(at + kMarker.size()));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

int FreeLoopbackPortHint(const std::string& job_id) {
  // Spark probes upwards from the port it is given (spark.port.maxRetries), so a spread-out
  // start avoids most collisions between concurrent jobs; the real port is read from the log.
  return 4040 + static_cast<int>(std::hash<std::string>{}(job_id) % 2000);
}

// The executors' shape a local-cluster runs: the conf the job runs with (rendered from its
// resolved spec, so a preset's executor.cores and instances count), else the request's fields.
struct LocalClusterShape {
  int executors = 2;
  int cores = 1;
  int64_t memory_mb = 1024;
};

LocalClusterShape ShapeOf(const JobRequest& r) {
  LocalClusterShape shape;
  auto conf_int = [&r](const char* key) -> std::optional<int> {
    auto it = r.conf.find(key);
    if (it == r.conf.end()) return std::nullopt;
    try {
      return std::stoi(it->second);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  shape.executors = conf_int("spark.executor.instances").value_or(r.executor_instances.value_or(2));
  shape.cores = conf_int("spark.executor.cores").value_or(r.executor.cores.value_or(1));
  auto memory = r.conf.find("spark.executor.memory");
  std::string size = memory != r.conf.end() ? memory->second : r.executor.memory;
  if (auto bytes = ParseSparkSize(size); !size.empty() && bytes.ok()) {
    shape.memory_mb = BytesToMebibytesCeil(*bytes);
  }
  return shape;
}

std::string MasterFor(const JobRequest& r, int default_threads) {
  if (r.local_mode != LocalMode::kCluster) return "local[" + std::to_string(default_threads) + "]";
  LocalClusterShape shape = ShapeOf(r);
  // One worker per executor, each offering exactly one executor's cores and memory: an
  // executor that asks for more than a worker has would wait forever ("requires more resource
  // than any of Workers could have").
  return "local-cluster[" + std::to_string(shape.executors) + "," + std::to_string(shape.cores) +
         "," + std::to_string(shape.memory_mb) + "]";
}

}  // namespace

std::string ResolveSymlinks(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) return path;
  fs::path resolved = fs::weakly_canonical(absolute, ec);
  return ec ? absolute.lexically_normal().string() : resolved.string();
}

std::string LocalBackend::JobDir(const Job& job) const {
  return (fs::path(options_.data_dir) / "jobs" / job.id).string();
}

StatusOr<std::vector<std::string>> LocalBackend::SubmitArguments(const Job& job,
                                                                 int ui_port) const {
  const JobRequest& r = job.request;
  // Checked at submit time too; again here with symlinks resolved as they are now, and for jobs
  // stored before the policy. The file is then an absolute path or a URL, so spark-submit
  // cannot read it as an option; what follows it goes to the application untouched.
  RETURN_IF_ERROR(options_.file_policy.CheckRequest(r));
  fs::path dir = JobDir(job);
  std::vector<std::string> args = {"--master", MasterFor(r, options_.default_threads),
                                   "--deploy-mode", "client"};
  args.insert(args.end(), {"--name", r.name.empty() ? job.id : r.name});
  auto conf = [&](const std::string& key, const std::string& value) {
    args.insert(args.end(), {"--conf", key + "=" + value});
  };
  // The job's own conf: its typed fields, then the conf rendered from its resolved spec.
  if (!r.driver.memory.empty()) conf("spark.driver.memory", r.driver.memory);
  if (r.driver.cores) conf("spark.driver.cores", std::to_string(*r.driver.cores));
  if (r.executor.cores) conf("spark.executor.cores", std::to_string(*r.executor.cores));
  if (!r.executor.memory_overhead.empty()) {
    conf("spark.executor.memoryOverhead", r.executor.memory_overhead);
  }
  const auto& da = r.dynamic_allocation;
  if (da.enabled) {
    conf("spark.dynamicAllocation.enabled", "true");
    if (da.min_executors)
      conf("spark.dynamicAllocation.minExecutors", std::to_string(*da.min_executors));
    if (da.max_executors)
      conf("spark.dynamicAllocation.maxExecutors", std::to_string(*da.max_executors));
    if (da.initial_executors) {
      conf("spark.dynamicAllocation.initialExecutors", std::to_string(*da.initial_executors));
    }
  }
  for (const auto& [key, value] : r.conf) {
    // Refused at submit time since; a job stored before keeps running without them.
    if (DaemonOwnedReason(key)) {
      spdlog::warn("job {}: dropping conf {}, which sparkd sets", job.id, key);
      continue;
    }
    conf(key, value);
  }
  // The daemon's own conf, last: spark-submit keeps the last value of a key.
  if (r.local_mode == LocalMode::kCluster) {
    // local-cluster's workers offer exactly the cores and memory named in the master URL.
    LocalClusterShape shape = ShapeOf(r);
    conf("spark.executor.cores", std::to_string(shape.cores));
    conf("spark.executor.memory", std::to_string(shape.memory_mb) + "m");
  }
  conf("spark.eventLog.enabled", "true");
  conf("spark.eventLog.dir", "file://" + (dir / "events").string());
  // One plain file per application: what Observe and the history server read.
  conf("spark.eventLog.compress", "false");
  conf("spark.eventLog.rolling.enabled", "false");
  conf("spark.ui.port", std::to_string(ui_port));
  conf("spark.driver.host", "127.0.0.1");
  conf("spark.driver.bindAddress", "127.0.0.1");
  // Values of options: spark-submit takes the argument after an option as its value, whatever
  // it looks like.
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
  };
  if (!r.py_files.empty()) args.insert(args.end(), {"--py-files", join(r.py_files)});
  if (!r.jars.empty()) args.insert(args.end(), {"--jars", join(r.jars)});
  if (!r.files.empty()) args.insert(args.end(), {"--files", join(r.files)});
  if (!r.class_name.empty()) args.insert(args.end(), {"--class", r.class_name});
  args.push_back(r.file);
  args.insert(args.end(), r.args.begin(), r.args.end());
  return args;
}

StatusOr<std::map<std::string, std::string>> LocalBackend::ChildEnvironment(
    const Job& job, const std::map<std::string, std::string>& env_from_conf) const {
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME", "LANG", "TMPDIR", "JAVA_HOME"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  if (!env.contains("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  if (!options_.java_home.empty()) env["JAVA_HOME"] = options_.java_home;
  if (!options_.python.empty()) {
    env["PYSPARK_PYTHON"] = options_.python;
    env["PYSPARK_DRIVER_PYTHON"] = options_.python;
  }
  for (const auto& [key, value] : env_from_conf) env[key] = value;
  for (const auto& [key, value] : job.request.env) env[key] = value;
  for (const auto& [name, ref] : job.request.secret_env) {
    ASSIGN_OR_RETURN(env[name], secrets_.Read(job.team, name, ref));
  }
  // Set last, so no job variable replaces them: the Spark the daemon runs, loopback-only
  // executors and block managers, and the job's identity.
  env["SPARK_HOME"] = options_.spark_home;
  env["SPARK_LOCAL_IP"] = "127.0.0.1";
  env["SPARKD_JOB_ID"] = job.id;
  return env;
}

Status LocalBackend::CheckLaunchable(const Job& job) const { return secrets_.CheckAll(job); }

StatusOr<LocalBackend::LaunchPlan> LocalBackend::PlanLaunch(const Job& job) const {
  SplitConf split = SplitLaunchConf(job.request.conf);
  // Daemon-owned, and so in the file rather than on the command line, where SubmitArguments
  // drops what no layer may set: the UI is served through the daemon's proxy (which refuses
  // the kill links a signed-link viewer must not have), and Spark redacts what the daemon
  // redacts, also for jobs stored before the rendered conf carried it.
  split.private_["spark.ui.proxyBase"] = options_.ui_proxy_prefix + "/jobs/" + job.id + "/ui";
  split.private_["spark.ui.killEnabled"] = "false";
  split.private_["spark.redaction.regex"] = SparkRedactionRegex();
  LaunchPlan plan{job, {}, std::move(split.private_)};
  plan.job.request.conf = std::move(split.argv);
  ASSIGN_OR_RETURN(plan.env, ChildEnvironment(job, split.env));
  return plan;
}

StatusOr<std::string> LocalBackend::Launch(const Job& job) {
  fs::path dir = JobDir(job);
  std::error_code ec;
  fs::create_directories(dir / "events", ec);
  if (ec) return Internal("cannot create " + dir.string() + ": " + ec.message());
  if (fs::exists(dir / "pid")) {
    return FailedPrecondition("job " + job.id + " was launched before (" + (dir / "pid").string() +
                              " exists); refusing to start it twice");
  }
  ASSIGN_OR_RETURN(LaunchPlan plan, PlanLaunch(job));
  SpawnOptions spawn;
  spawn.argv = {(fs::path(options_.spark_home) / "bin" / "spark-submit").string()};
  if (!plan.private_conf.empty()) {
    std::string properties = (dir / "private.properties").string();
    RETURN_IF_ERROR(WritePrivateProperties(
        properties, plan.private_conf,
        (fs::path(options_.spark_home) / "conf" / "spark-defaults.conf").string()));
    spawn.argv.insert(spawn.argv.end(), {"--properties-file", properties});
  }
  ASSIGN_OR_RETURN(auto args, SubmitArguments(plan.job, FreeLoopbackPortHint(job.id)));
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  spawn.env = std::move(plan.env);
  spawn.working_dir = dir.string();
  spawn.output_path = (dir / "driver.log").string();
  spawn.pid_path = (dir / "pid").string();
  spawn.exit_status_path = (dir / "exit_status").string();
  ASSIGN_OR_RETURN(ProcessId id, SpawnDetached(spawn));
  spdlog::info("job {}: spark-submit started ({})", job.id, id.ToString());
  return id.ToString();
}

StatusOr<Observation> LocalBackend::Observe(const Job& job) {
  fs::path dir = JobDir(job);
  std::optional<ProcessId> id = ProcessId::Parse(job.backend_ref);
  if (!id) {
    auto pid_file = ReadSmallFile(dir / "pid");
    if (pid_file) id = ProcessId::Parse(*pid_file);
  }
  if (!id)
    return NotFound("job " + job.id + " has no process (no pid file in " + dir.string() + ")");

  Observation observation;
  auto event_log = FindEventLog(dir / "events");
  if (event_log) observation.spark_app_id = AppIdOf(*event_log);
  if (auto exit_status = ReadSmallFile(dir / "exit_status")) {
    observation.phase = Observation::Phase::kExited;
    try {
      observation.exit_code = std::stoi(*exit_status);
    } catch (const std::exception&) {
      observation.message = "unreadable exit status file";
    }
  } else if (IsRunning(*id)) {
    observation.phase = event_log ? Observation::Phase::kRunning : Observation::Phase::kStarting;
    // The port is read from the log once; after that the job carries it.
    observation.spark_ui_url = job.spark_ui_url;
    if (observation.spark_ui_url.empty()) {
      if (auto port = UiPortFromLog(dir / "driver.log")) {
        observation.spark_ui_url = "http://127.0.0.1:" + std::to_string(*port);
      }
    }
    return observation;
  } else {
    observation.phase = Observation::Phase::kLost;
    observation.message = "spark-submit (" + id->ToString() +
                          ") ended without recording an exit status (killed, or the machine "
                          "restarted)";
  }
  if (event_log) {
    ExecutorTimeline timeline;
    std::string pending;
    (void)ForEachChunk(*event_log, [&](std::string_view chunk) {
      pending.append(chunk);
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        timeline.AddEventLogLine(std::string_view(pending).substr(start, nl - start));
      }
      pending.erase(0, start);
    });
    timeline.AddEventLogLine(pending);
    observation.executors = timeline.Records();
    if (!event_log->string().ends_with(kInProgressSuffix)) PublishToHistory(event_log->string());
  }
  return observation;
}

Status LocalBackend::StreamEvidence(const Job& job, const EvidenceSink& sink) {
  fs::path dir = JobDir(job);
  if (auto event_log = FindEventLog(dir / "events")) {
    RETURN_IF_ERROR(ForEachChunk(*event_log, [&](std::string_view c) { sink("event-log", c); }));
  }
  if (fs::exists(dir / "driver.log")) {
    RETURN_IF_ERROR(
        ForEachChunk(dir / "driver.log", [&](std::string_view c) { sink("driver-log", c); }));
  }
  return Status::Ok();
}

Status LocalBackend::Kill(const Job& job) {
  std::optional<ProcessId> id = ProcessId::Parse(job.backend_ref);
  if (!id) {
    auto pid_file = ReadSmallFile(fs::path(JobDir(job)) / "pid");
    if (pid_file) id = ProcessId::Parse(*pid_file);
  }
  if (!id) return Status::Ok();  // never launched
  TerminateGroup(*id, options_.kill_grace);
  return Status::Ok();
}

StatusOr<LogChunk> LocalBackend::ReadDriverLog(const Job& job, int64_t offset, int64_t max_bytes) {
  return ReadLogFile(fs::path(JobDir(job)) / "driver.log", offset, max_bytes);
}

std::string LocalBackend::HistoryUrl(const Job& job) const {
  if (options_.history_url.empty() || job.spark_app_id.empty()) return "";
  return options_.history_url + "/history/" + job.spark_app_id + "/jobs/";
}

void LocalBackend::PublishToHistory(const std::string& event_log) const {
  if (options_.history_dir.empty()) return;
  fs::path target = fs::path(options_.history_dir) / fs::path(event_log).filename();
  std::error_code ec;
  if (fs::exists(target, ec)) return;
  fs::create_directories(options_.history_dir, ec);
  // A hard link: the history server sees an ordinary file, the job folder keeps its copy.
  fs::create_hard_link(event_log, target, ec);
  if (ec) fs::copy_file(event_log, target, ec);
  if (ec) spdlog::warn("cannot publish {} to the history server: {}", event_log, ec.message());
}

}  // namespace sparkd::cluster
