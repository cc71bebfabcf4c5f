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

#include "daemon/core/backend.h"

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
};

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalBackendOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "local"; }
  StatusOr<std::string> Launch(const Job& job) override;
  StatusOr<Observation> Observe(const Job& job) override;
  Status StreamEvidence(const Job& job, const EvidenceSink& sink) override;
  Status Kill(const Job& job) override;
  StatusOr<LogChunk> ReadDriverLog(const Job& job, int64_t offset, int64_t max_bytes) override;
  std::string HistoryUrl(const Job& job) const override;

  // The spark-submit command line for a job (without the program path), for tests and the
  // dry run.
  std::vector<std::string> SubmitArguments(const Job& job, int ui_port) const;

 private:
  std::string JobDir(const Job& job) const;
  std::map<std::string, std::string> ChildEnvironment(const Job& job) const;
  void PublishToHistory(const std::string& event_log) const;

  const LocalBackendOptions options_;
};

}  // namespace sparkd::cluster
