// The local backend: runs each job with spark-submit from a Spark distribution (the pyspark
// package by default) on this machine, `--master local[N]` or `local-cluster[...]`.
//
// Per job a folder <data_dir>/jobs/<id>/ holds: `pid` (written by the child before exec),
// `driver.log` (stdout and stderr), `exit_status` (written when spark-submit returns), and
// `events/` (the Spark event log). These files are the whole truth about the process: a
// restarted daemon finds running jobs, finished ones and lost ones from them alone.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "daemon/cluster/launch_env.h"
#include "daemon/core/backend.h"
#include "daemon/core/file_policy.h"

namespace sparkd::cluster {

struct LocalBackendOptions {
  std::string spark_home;
  std::string data_dir;
  int default_threads = 2;  // local[N]
  std::string python;       // PYSPARK_PYTHON for .py jobs; "" = Spark's default
  std::string java_home;    // "" = inherit
  std::string history_url;  // e.g. "http://127.0.0.1:18080"; "" = no history server
  // Finished event logs are linked here for the history server ("" = don't).
  std::string history_dir;
  std::chrono::seconds kill_grace{10};
  // Which files a job may name, checked again at launch with symlinks resolved (the job may
  // have waited in the queue while a link changed); the default allows no local path.
  FilePolicy file_policy;
  std::string secrets_dir;  // team secrets: <secrets_dir>/<team>/<secret>/<key>; "" = none
  // The path of the daemon's public URL ("" or e.g. "/sparkd"): the live Spark UI is served
  // through the daemon at <prefix>/jobs/<id>/ui, so its pages must link there.
  std::string ui_proxy_prefix;
};

// The file policy's resolver on this host: `path` (absolute or relative to the working
// folder) made absolute with the symlinks of its existing part resolved; the rest stays as
// written, since a file that does not exist yet cannot be a link elsewhere.
std::string ResolveSymlinks(const std::string& path);

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalBackendOptions options)
      : options_(std::move(options)), secrets_(options_.secrets_dir) {}

  std::string name() const override { return "local"; }
  StatusOr<std::string> Launch(const Job& job) override;
  Status CheckLaunchable(const Job& job) const override;
  StatusOr<Observation> Observe(const Job& job) override;
  Status StreamEvidence(const Job& job, const EvidenceSink& sink) override;
  Status Kill(const Job& job) override;
  StatusOr<LogChunk> ReadDriverLog(const Job& job, int64_t offset, int64_t max_bytes) override;
  std::string HistoryUrl(const Job& job) const override;

  // The spark-submit command line for a job (without the program path), for tests and the
  // dry run. INVALID_ARGUMENT when a file it names breaks the file policy. The daemon's own
  // conf (event log, UI port, driver address, ...) comes last, so no conf of the job shadows it.
  StatusOr<std::vector<std::string>> SubmitArguments(const Job& job, int ui_port) const;

 private:
  std::string JobDir(const Job& job) const;
  // What spark-submit gets besides SubmitArguments (see launch_env.h): the job as the command
  // line may show it, the child's environment, and the conf for the private properties file.
  struct LaunchPlan {
    Job job;
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> private_conf;
  };
  StatusOr<LaunchPlan> PlanLaunch(const Job& job) const;
  // Fails when a secret_env reference does not resolve.
  StatusOr<std::map<std::string, std::string>> ChildEnvironment(
      const Job& job, const std::map<std::string, std::string>& env_from_conf) const;
  void PublishToHistory(const std::string& event_log) const;

  const LocalBackendOptions options_;
  const SecretsDir secrets_;
};

}  // namespace sparkd::cluster
