// How the local backend gives a job its environment and its secret Spark conf without putting
// either on a command line, where every user of the host can read it (/proc/PID/cmdline, `ps`)
// and where Spark copies it into the event log (the sun.java.command system property).
//
// - Environment variables (env, secret_env, and the env-carrying conf keys such as
//   spark.executorEnv.X) go into spark-submit's own environment. Every process of a local job
//   inherits it: the driver is that JVM, and local-cluster's executors are forked by its
//   in-process workers, whose ProcessBuilder starts from the parent's environment.
// - Secrets (secret_env) are read at launch from the daemon's secrets directory, laid out like
//   a mounted Kubernetes Secret: <root>/<team>/<secret>/<key>. A team reads its own team's
//   secrets only; names are checked so that none can name a path outside.
// - Conf entries whose key or value looks secret (core/redact.h) go into a properties file
//   readable by the daemon's user only (0600), passed with --properties-file.
//
// Note what this does not do: job code on the local backend runs as the daemon's user, so it
// can read the secrets directory itself. The local backend keeps secrets out of argv, the
// database, the API and the logs; isolating teams from each other's code needs Kubernetes.
#pragma once

#include <map>
#include <string>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd::cluster {

class SecretsDir {
 public:
  // `root` "" means none is configured: every reference fails, saying so.
  explicit SecretsDir(std::string root) : root_(std::move(root)) {}

  // The value of `team`'s secret `ref` for the variable `variable`. FAILED_PRECONDITION when
  // the secret or key is missing, unreadable, or not fit for an environment variable (a NUL
  // byte, over 1 MiB); the message names the variable, secret, key and team, never a value or a
  // path of the daemon's host.
  StatusOr<std::string> Read(const std::string& team, const std::string& variable,
                             const SecretKeyRef& ref) const;

  // Every secret_env entry of `job` resolves (the values are read and dropped).
  Status CheckAll(const Job& job) const;

 private:
  const std::string root_;
};

// A job's conf, split by where it may travel on the local backend.
struct SplitConf {
  std::map<std::string, std::string> argv;      // may be seen: --conf on the command line
  std::map<std::string, std::string> env;       // spark.executorEnv.X=V and the like: X=V
  std::map<std::string, std::string> private_;  // looks secret: the 0600 properties file
};
SplitConf SplitLaunchConf(const std::map<std::string, std::string>& conf);

// Writes `conf` to `path` as a properties file created with mode 0600 (replacing one left by
// an earlier attempt), after the lines of `defaults_path` when that file exists: spark-submit
// reads spark-defaults.conf only when it is given no --properties-file.
Status WritePrivateProperties(const std::string& path,
                              const std::map<std::string, std::string>& conf,
                              const std::string& defaults_path);

}  // namespace sparkd::cluster
