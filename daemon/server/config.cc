#include "daemon/server/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <functional>
#include <vector>

#include "daemon/cluster/local_backend.h"
#include "daemon/core/link_keys.h"

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
    return InvalidArgument(std::string(key) + ": \"" + value +
                           "\" is not a whole number >= " + std::to_string(min));
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

// "a,b" → {a, b}; empty items are dropped, so "" is the empty list.
Status SetList(std::vector<std::string>& field, const std::string& value) {
  field.clear();
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string item = value.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) field.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
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
      StringSetting("backend", "SPARKD_BACKEND", &Config::backend,
                    "where jobs run: local (default) or k8s-native"),
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
      {"launch-concurrency", "SPARKD_LAUNCH_CONCURRENCY",
       "queued jobs launched at once (default 4)",
       [](Config& c, const std::string& v) {
         return SetInt(c.launch_concurrency, v, "launch-concurrency", 1);
       }},
      StringSetting("spark-home", "SPARKD_SPARK_HOME", &Config::spark_home,
                    "Spark distribution for the local backend (e.g. the pyspark package dir)"),
      {"local-threads", "SPARKD_LOCAL_THREADS", "N of local[N] (default 2)",
       [](Config& c, const std::string& v) {
         return SetInt(c.local_threads, v, "local-threads", 1);
       }},
      StringSetting("python", "SPARKD_PYTHON", &Config::python, "Python for PySpark jobs"),
      {"history-server", "SPARKD_HISTORY_SERVER", "start a Spark History Server (default true)",
       [](Config& c, const std::string& v) {
         return SetBool(c.history_server, v, "history-server");
       }},
      {"history-port", "SPARKD_HISTORY_PORT", "its port (default 18080)",
       [](Config& c, const std::string& v) {
         return SetInt(c.history_port, v, "history-port", 1);
       }},
      StringSetting("log-level", "SPARKD_LOG_LEVEL", &Config::log_level,
                    "debug, info (default), warn, error"),
      StringSetting("bootstrap-admin-token", "SPARKD_BOOTSTRAP_ADMIN_TOKEN",
                    &Config::bootstrap_admin_token,
                    "registers this token (16+ characters) as a platform admin (team `admin`) at "
                    "start-up; prefer the environment to a flag, which other users can see"),
      StringSetting("defaults-file", "SPARKD_DEFAULTS_FILE", &Config::defaults_file,
                    "preset YAML applied under every team preset (the defaults layer)"),
      {"file-roots", "SPARKD_FILE_ROOTS",
       "comma-separated folders whose files jobs may name by local path (default: none; the "
       "data dir is never allowed); symlinks are resolved before the check",
       [](Config& c, const std::string& v) { return SetList(c.file_roots, v); }},
      {"file-schemes", "SPARKD_FILE_SCHEMES",
       "comma-separated URL schemes jobs may name files with (default "
       "https,s3a,gs,abfss,hdfs,local; on the local backend local: is a path of this host)",
       [](Config& c, const std::string& v) { return SetList(c.file_schemes, v); }},
      StringSetting("kubeconfig", "SPARKD_KUBECONFIG", &Config::kubeconfig,
                    "k8s-native: kubeconfig file(s), ':'-separated (default $KUBECONFIG, else "
                    "the pod's service account, else ~/.kube/config)"),
      StringSetting("kube-context", "SPARKD_KUBE_CONTEXT", &Config::kube_context,
                    "k8s-native: kubeconfig context (default its current-context)"),
      StringSetting("k8s-namespaces", "SPARKD_K8S_NAMESPACES", &Config::k8s_namespaces,
                    "k8s-native: namespaces to watch, comma-separated (default: cluster-wide)"),
      StringSetting("k8s-default-namespace", "SPARKD_K8S_DEFAULT_NAMESPACE",
                    &Config::k8s_default_namespace,
                    "k8s-native: namespace of jobs whose spec names none (default: the "
                    "kubeconfig's)"),
      StringSetting("k8s-image", "SPARKD_K8S_IMAGE", &Config::k8s_image,
                    "k8s-native: Spark image of jobs whose spec names none"),
      StringSetting("k8s-image-pull-policy", "SPARKD_K8S_IMAGE_PULL_POLICY",
                    &Config::k8s_image_pull_policy,
                    "k8s-native: Always, IfNotPresent or Never (default: Spark's)"),
      StringSetting("k8s-master-url", "SPARKD_K8S_MASTER_URL", &Config::k8s_master_url,
                    "k8s-native: the API server as drivers reach it (default "
                    "https://kubernetes.default.svc)"),
      StringSetting("k8s-history-url", "SPARKD_K8S_HISTORY_URL", &Config::k8s_history_url,
                    "k8s-native: Spark History Server URL for finished jobs"),
      StringSetting("k8s-ui-url-template", "SPARKD_K8S_UI_URL_TEMPLATE",
                    &Config::k8s_ui_url_template,
                    "k8s-native: the live Spark UI as the daemon reaches it; {api_server} "
                    "{namespace} {service} {driver_pod} {app_id} {job_id} (default: "
                    "http://{service}.{namespace}.svc:4040, from inside the cluster)"),
      {"k8s-unschedulable-deadline", "SPARKD_K8S_UNSCHEDULABLE_DEADLINE",
       "k8s-native: seconds a driver may stay unschedulable before the job fails (default 300)",
       [](Config& c, const std::string& v) {
         return SetInt(c.k8s_unschedulable_deadline_s, v, "k8s-unschedulable-deadline", 0);
       }},
      {"k8s-image-pull-deadline", "SPARKD_K8S_IMAGE_PULL_DEADLINE",
       "k8s-native: seconds a driver image may fail to pull before the job fails (default 120)",
       [](Config& c, const std::string& v) {
         return SetInt(c.k8s_image_pull_deadline_s, v, "k8s-image-pull-deadline", 0);
       }},
      {"k8s-config-error-deadline", "SPARKD_K8S_CONFIG_ERROR_DEADLINE",
       "k8s-native: seconds a driver may miss a secret or ConfigMap before the job fails "
       "(default 60)",
       [](Config& c, const std::string& v) {
         return SetInt(c.k8s_config_error_deadline_s, v, "k8s-config-error-deadline", 0);
       }},
      {"k8s-qps", "SPARKD_K8S_QPS", "k8s-native: API requests per second (default 50)",
       [](Config& c, const std::string& v) { return SetInt(c.k8s_qps, v, "k8s-qps", 1); }},
      {"k8s-watch-timeout", "SPARKD_K8S_WATCH_TIMEOUT",
       "k8s-native: seconds after which the API server ends each pod watch and sparkd resumes "
       "it (default 300)",
       [](Config& c, const std::string& v) {
         return SetInt(c.k8s_watch_timeout_s, v, "k8s-watch-timeout", 1);
       }},
      StringSetting("secrets-dir", "SPARKD_SECRETS_DIR", &Config::secrets_dir,
                    "team secrets of the local backend, one file per key: "
                    "<dir>/<team>/<secret>/<key> (default <data-dir>/secrets)"),
      {"link-ttl", "SPARKD_LINK_TTL", "how long the signed job links work (default 7d)",
       [](Config& c, const std::string& v) -> Status {
         ASSIGN_OR_RETURN(c.link_ttl, ParseDuration(v, "link-ttl"));
         if (c.link_ttl.count() == 0) return InvalidArgument("link-ttl: must be more than 0s");
         return Status::Ok();
       }},
      StringSetting("link-key-encryption-key", "SPARKD_LINK_KEY_ENCRYPTION_KEY",
                    &Config::link_key_encryption_key,
                    "seals the link signing keys stored in the database; prefer the "
                    "environment to a flag. Once set, keep it: sealed keys need it"),
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
    if (!setting)
      return InvalidArgument("config file " + path + ": unknown setting \"" + key + "\"");
    if (!entry.second.IsScalar()) {
      return InvalidArgument("config file " + path + ": " + key + " must be a single value");
    }
    RETURN_IF_ERROR(
        setting->set(config, entry.second.as<std::string>()).WithContext("config file " + path));
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
  std::string help =
      "  --config FILE  YAML file with any of the settings below (env SPARKD_CONFIG)\n";
  for (const auto& s : Settings()) {
    help += "  --" + std::string(s.key) + "  " + s.help + " (env " + s.env + ")\n";
  }
  return help;
}

StatusOr<FilePolicy> FilePolicyFromConfig(const Config& config) {
  const auto& real = cluster::ResolveSymlinks;
  FilePolicyOptions options;
  std::string data_dir = real(config.data_dir);
  for (const std::string& root : config.file_roots) {
    std::string resolved = real(root);
    if (resolved == data_dir || resolved.starts_with(data_dir + "/")) {
      return InvalidArgument("file-roots: " + root + " is inside data-dir " + config.data_dir +
                             ", whose job folders no job may read");
    }
    options.roots.push_back(std::move(resolved));
  }
  options.denied = {data_dir};
  options.schemes = config.file_schemes;
  options.local_urls_are_host_paths = config.backend == "local";
  options.resolve = real;
  return FilePolicy::Create(std::move(options));
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
  if (config.secrets_dir.empty()) config.secrets_dir = config.data_dir + "/secrets";
  return config;
}

}  // namespace sparkd::server
