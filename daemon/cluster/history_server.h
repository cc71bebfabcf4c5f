// A Spark History Server over the daemon's finished event logs, run as a detached process
// (spark-class org.apache.spark.deploy.history.HistoryServer). A restarted daemon reuses the
// one already running. It listens on 127.0.0.1 at the configured port only and checks no one:
// users reach it through the daemon's /jobs/{id}/ui proxy (daemon/api/http/ui_proxy.h), which
// lets each job see its own application only.
#pragma once

#include <optional>
#include <string>

#include "daemon/cluster/process.h"
#include "daemon/core/status.h"

namespace sparkd::cluster {

struct HistoryServerOptions {
  std::string spark_home;
  std::string java_home;
  std::string state_dir;  // holds pid, log, and events/ (the log directory it serves)
  int port = 18080;
};

class HistoryServer {
 public:
  explicit HistoryServer(HistoryServerOptions options) : options_(std::move(options)) {}

  // Starts it unless one started from the same state_dir still runs, which it then adopts.
  Status Start();
  // Stops the one it started or adopted.
  void Stop();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(options_.port); }
  std::string events_dir() const { return options_.state_dir + "/events"; }

 private:
  const HistoryServerOptions options_;
  std::optional<ProcessId> started_;
};

}  // namespace sparkd::cluster
