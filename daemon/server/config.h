// The daemon's configuration: defaults, then a YAML file, then SPARKD_* environment
// variables, then command-line flags, each overriding the one before.
#pragma once

#include <string>

#include "daemon/cli/flags.h"
#include "daemon/core/status.h"

namespace sparkd::server {

struct Config {
  std::string database_url;                  // required
  std::string grpc_listen = "127.0.0.1:9741";
  std::string http_listen = "127.0.0.1:9740";
  std::string public_url;                    // base of links; default http://<http_listen>
  std::string backend = "local";
  std::string data_dir = ".data/sparkd";
  std::string node_id;                       // default: the host name
  bool run_jobs = true;                      // false: accept and serve jobs, launch none
  int max_running_jobs = 2;
  std::string spark_home;                    // required for the local backend
  int local_threads = 2;
  std::string python;
  bool history_server = true;
  int history_port = 18080;
  std::string log_level = "info";
  // At start-up: ensure team `admin` exists with this token as an admin token. A secret: it is
  // never logged nor printed by --help.
  std::string bootstrap_admin_token;
  std::string defaults_file;  // a preset YAML: the daemon defaults layer under every preset
};

// Flags `serve` and `migrate` accept; also the text of `sparkd serve --help`.
cli::FlagSpec ConfigFlagSpec();
std::string ConfigHelp();

// Loads the file named by --config (or SPARKD_CONFIG), the environment, then the flags.
// Errors name the setting and its source.
StatusOr<Config> LoadConfig(const cli::ParsedFlags& flags);

}  // namespace sparkd::server
