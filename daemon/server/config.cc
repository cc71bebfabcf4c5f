#include "daemon/server/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <functional>
#include <vector>

namespace sparkd::server {
namespace {

// One setting: its YAML key (dotted for nesting), flag, environment variable, and how to
// store a string value into the Config.
struct Setting {
  const char* key;
  const char* env;
  const char* help;
  std::function<Status(Config&, const std::string&)> set;
};

Status SetInt(int& field, const std::string& value, const char* key, int min) {
  try {
    size_t used = 0;
    int parsed = std::stoi(value, &used);
    if (used != value.size() || parsed < min) throw std::invalid_argument(value);
    field = parsed;
    return Status::Ok();
  } catch (const std::exception&) {
    return InvalidArgument(std::string(key) + ": \"" + value + "\" is not a whole number >= " +
                           std::to_string(min));
  }
}

Status SetBool(bool& field, const std::string& value, const char* key) {
  if (value == "true" || value == "1" || value == "yes") {
    field = true;
  } else if (value == "false" || value == "0" || value == "no") {
    field = false;
  } else {
    return InvalidArgument(std::string(key) + ": \"" + value + "\" is not true or false");
  }
  return Status::Ok();
}

Setting StringSetting(const char* key, const char* env, std::string Config::*field,
                      const char* help) {
  return {key, env, help, [field](Config& c, const std::string& v) {
            c.*field = v;
            return Status::Ok();
          }};
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      StringSetting("database-url", "SPARKD_DATABASE_URL", &Config::database_url,
                            "PostgreSQL URL (required), e.g. postgresql://sparkd@127.0.0.1:5432/sparkd"),
      StringSetting("grpc-listen", "SPARKD_GRPC_LISTEN", &Config::grpc_listen,
                            "gRPC address (default 127.0.0.1:9741; port 0 picks a free one)"),
      StringSetting("http-listen", "SPARKD_HTTP_LISTEN", &Config::http_listen,
                            "HTTP address for links and pages (default 127.0.0.1:9740)"),
      StringSetting("public-url", "SPARKD_PUBLIC_URL", &Config::public_url,
                            "base URL users reach the HTTP side at (default http://<http-listen>)"),
      StringSetting("backend", "SPARKD_BACKEND", &Config::backend, "where jobs run: local (default)"),
      StringSetting("data-dir", "SPARKD_DATA_DIR", &Config::data_dir,
                            "job folders, logs, event logs (default .data/sparkd)"),
      StringSetting("node-id", "SPARKD_NODE_ID", &Config::node_id,
                            "this daemon's identity as a job owner (default: host name)"),
      {"run-jobs", "SPARKD_RUN_JOBS", "launch jobs (default true); false serves the API only",
       [](Config& c, const std::string& v) { return SetBool(c.run_jobs, v, "run-jobs"); }},
      {"max-running-jobs", "SPARKD_MAX_RUNNING_JOBS", "jobs this daemon runs at once (default 2)",
       [](Config& c, const std::string& v) {
         return SetInt(c.max_running_jobs, v, "max-running-jobs", 1);
       }},
      StringSetting("spark-home", "SPARKD_SPARK_HOME", &Config::spark_home,
                            "Spark distribution for the local backend (e.g. the pyspark package dir)"),
      {"local-threads", "SPARKD_LOCAL_THREADS", "N of local[N] (default 2)",
       [](Config& c, const std::string& v) { return SetInt(c.local_threads, v, "local-threads", 1); }},
      StringSetting("python", "SPARKD_PYTHON", &Config::python, "Python for PySpark jobs"),
      {"history-server", "SPARKD_HISTORY_SERVER", "start a Spark History Server (default true)",
       [](Config& c, const std::string& v) { return SetBool(c.history_server, v, "history-server"); }},
      {"history-port", "SPARKD_HISTORY_PORT", "its port (default 18080)",
       [](Config& c, const std::string& v) { return SetInt(c.history_port, v, "history-port", 1); }},
      StringSetting("log-level", "SPARKD_LOG_LEVEL", &Config::log_level,
                            "debug, info (default), warn, error"),
      StringSetting("bootstrap-admin-token", "SPARKD_BOOTSTRAP_ADMIN_TOKEN",
                    &Config::bootstrap_admin_token,
                    "registers this token (16+ characters) as an admin of team `admin` at "
                    "start-up; prefer the environment to a flag, which other users can see"),
      StringSetting("defaults-file", "SPARKD_DEFAULTS_FILE", &Config::defaults_file,
                    "preset YAML applied under every team preset (the defaults layer)"),
  };
  return kSettings;
}

Status LoadYaml(const std::string& path, Config& config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config file " + path + ": " + e.what());
  }
  if (!root.IsMap()) return InvalidArgument("config file " + path + ": not a YAML mapping");
  for (const auto& entry : root) {
    std::string key = entry.first.as<std::string>();
    const Setting* setting = nullptr;
    for (const auto& s : Settings()) {
      if (key == s.key) setting = &s;
    }
    if (!setting) return InvalidArgument("config file " + path + ": unknown setting \"" + key + "\"");
    if (!entry.second.IsScalar()) {
      return InvalidArgument("config file " + path + ": " + key + " must be a single value");
    }
    RETURN_IF_ERROR(setting->set(config, entry.second.as<std::string>())
                        .WithContext("config file " + path));
  }
  return Status::Ok();
}

}  // namespace

cli::FlagSpec ConfigFlagSpec() {
  cli::FlagSpec spec;
  spec.valued.insert("config");
  for (const auto& s : Settings()) spec.valued.insert(s.key);
  spec.switches.insert("help");
  return spec;
}

std::string ConfigHelp() {
  std::string help = "  --config FILE  YAML file with any of the settings below (env SPARKD_CONFIG)\n";
  for (const auto& s : Settings()) {
    help += "  --" + std::string(s.key) + "  " + s.help + " (env " + s.env + ")\n";
  }
  return help;
}

StatusOr<Config> LoadConfig(const cli::ParsedFlags& flags) {
  Config config;
  std::optional<std::string> file = flags.Get("config");
  if (!file) {
    if (const char* env = std::getenv("SPARKD_CONFIG")) file = env;
  }
  if (file) RETURN_IF_ERROR(LoadYaml(*file, config));
  for (const auto& s : Settings()) {
    if (const char* env = std::getenv(s.env); env && *env) {
      RETURN_IF_ERROR(s.set(config, env).WithContext(std::string("environment ") + s.env));
    }
  }
  for (const auto& s : Settings()) {
    if (auto value = flags.Get(s.key)) {
      RETURN_IF_ERROR(s.set(config, *value).WithContext(std::string("flag --") + s.key));
    }
  }
  if (config.node_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    config.node_id = host;
  }
  if (config.public_url.empty()) config.public_url = "http://" + config.http_listen;
  return config;
}

}  // namespace sparkd::server
