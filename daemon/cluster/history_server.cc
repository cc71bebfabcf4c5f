#include "daemon/cluster/history_server.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace sparkd::cluster {

Status HistoryServer::Start() {
  std::error_code ec;
  fs::create_directories(events_dir(), ec);
  if (ec) return Internal("cannot create " + events_dir() + ": " + ec.message());
  fs::path pid_path = fs::path(options_.state_dir) / "pid";
  if (std::ifstream in(pid_path); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto id = ProcessId::Parse(text); id && IsRunning(*id)) {
      // Left by a daemon that was killed: this daemon serves the same folder, so it owns it now.
      spdlog::info("Spark history server already runs ({}) at {}", id->ToString(), url());
      started_ = id;
      return Status::Ok();
    }
  }
  fs::remove(pid_path, ec);
  SpawnOptions spawn;
  spawn.argv = {(fs::path(options_.spark_home) / "bin" / "spark-class").string(),
                "org.apache.spark.deploy.history.HistoryServer"};
  for (const char* name : {"PATH", "HOME", "LANG", "JAVA_HOME"}) {
    if (const char* value = std::getenv(name)) spawn.env[name] = value;
  }
  if (!options_.java_home.empty()) spawn.env["JAVA_HOME"] = options_.java_home;
  spawn.env["SPARK_HOME"] = options_.spark_home;
  spawn.env["SPARK_LOCAL_IP"] = "127.0.0.1";
  // Loopback only (SPARK_LOCAL_IP): the daemon's /jobs/{id}/ui proxy is the way in. And on the
  // configured port or not at all: Spark would otherwise move to the next free port when it is
  // taken, and the daemon would proxy to whoever holds the configured one.
  spawn.env["SPARK_HISTORY_OPTS"] = "-Dspark.history.fs.logDirectory=file://" + events_dir() +
                                    " -Dspark.history.ui.port=" + std::to_string(options_.port) +
                                    " -Dspark.port.maxRetries=0" +
                                    " -Dspark.history.fs.update.interval=2s";
  spawn.working_dir = options_.state_dir;
  spawn.output_path = options_.state_dir + "/history-server.log";
  spawn.pid_path = pid_path.string();
  spawn.exit_status_path = options_.state_dir + "/exit_status";
  ASSIGN_OR_RETURN(ProcessId id, SpawnDetached(spawn));
  started_ = id;
  spdlog::info("Spark history server started ({}) at {}", id.ToString(), url());
  return Status::Ok();
}

void HistoryServer::Stop() {
  if (started_) TerminateGroup(*started_, std::chrono::seconds(5));
  started_.reset();
}

}  // namespace sparkd::cluster
