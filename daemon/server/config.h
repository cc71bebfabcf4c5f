// The daemon's configuration: defaults, then a YAML file, then SPARKD_* environment
// variables, then command-line flags, each overriding the one before.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/cli/flags.h"
#include "daemon/core/file_policy.h"
#include "daemon/core/status.h"

namespace sparkd::server {

struct Config {
  std::string database_url;  // required
  std::string grpc_listen = "127.0.0.1:9741";
  std::string http_listen = "127.0.0.1:9740";
  std::string public_url;  // base of links; default http://<http_listen>
  std::string backend = "local";
  std::string data_dir = ".data/sparkd";
  std::string node_id;   // default: the host name
  bool run_jobs = true;  // false: accept and serve jobs, launch none
  int max_running_jobs = 2;
  int launch_concurrency = 4;
  std::string spark_home;  // required for the local backend
  int local_threads = 2;
  std::string python;
  bool history_server = true;
  int history_port = 18080;
  std::string log_level = "info";
  // At start-up: ensure team `admin` exists with this token as a platform-admin token. A secret: it
  // is never logged nor printed by --help.
  std::string bootstrap_admin_token;
  std::string defaults_file;  // a preset YAML: the daemon defaults layer under every preset
  // Folders whose files jobs may name as local paths (file, jars, ...); none by default. The
  // data folder is never allowed, even inside a root.
  std::vector<std::string> file_roots;
  // URL schemes jobs may name files with, as they are.
  std::vector<std::string> file_schemes = FilePolicyOptions::DefaultSchemes();
  // Team secrets for the local backend: <secrets_dir>/<team>/<secret>/<key>. Default
  // <data_dir>/secrets.
  std::string secrets_dir;
  std::chrono::seconds link_ttl = std::chrono::hours(24 * 7);  // how long signed links work
  // Seals the link signing keys in the database (AES-256-GCM). A secret, like the admin token.
  std::string link_key_encryption_key;

  // The k8s-native backend (docs/k8s-native-backend.md).
  std::string kubeconfig;             // "" = $KUBECONFIG, else in-cluster, else ~/.kube/config
  std::string kube_context;           // "" = the kubeconfig's current context
  std::string k8s_namespaces;         // watched, comma-separated; "" = the whole cluster
  std::string k8s_default_namespace;  // for jobs whose spec names none; "" = the kubeconfig's
  std::string k8s_image;              // when the spec names none
  std::string k8s_image_pull_policy;  // Always, IfNotPresent, Never; "" = Spark's default
  std::string k8s_master_url =
      "https://kubernetes.default.svc";  // the API server as drivers see it
  std::string k8s_history_url;           // a Spark History Server reading the jobs' event logs
  std::string k8s_ui_url_template;       // "" = through the API server's service proxy
  int k8s_unschedulable_deadline_s = 300;
  int k8s_image_pull_deadline_s = 120;
  int k8s_config_error_deadline_s = 60;
  int k8s_qps = 50;
  int k8s_watch_timeout_s = 300;  // each watch is renewed after this long
};

// Flags `serve` and `migrate` accept; also the text of `sparkd serve --help`.
cli::FlagSpec ConfigFlagSpec();
std::string ConfigHelp();

// The file policy of JobService and the local backend: the file roots and the data dir with
// their symlinks resolved (the data dir denied), the schemes, and each checked path's
// symlinks resolved when it is checked. A root inside the data dir is INVALID_ARGUMENT.
StatusOr<FilePolicy> FilePolicyFromConfig(const Config& config);

// Loads the file named by --config (or SPARKD_CONFIG), the environment, then the flags.
// Errors name the setting and its source.
StatusOr<Config> LoadConfig(const cli::ParsedFlags& flags);

}  // namespace sparkd::server
