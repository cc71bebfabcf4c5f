#include "daemon/server/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "daemon/api/grpc/job_service_grpc.h"
#include "daemon/api/grpc/link_key_service_grpc.h"
#include "daemon/api/grpc/preset_service_grpc.h"
#include "daemon/api/grpc/token_auth.h"
#include "daemon/api/http/http_server.h"
#include "daemon/cluster/history_server.h"
#include "daemon/cluster/k8s_native_backend.h"
#include "daemon/cluster/local_backend.h"
#include "daemon/core/job_service.h"
#include "daemon/core/supervisor.h"
#include "daemon/core/watch_hub.h"
#include "daemon/server/bootstrap.h"
#include "daemon/server/config.h"
#include "daemon/store/pg_job_store.h"
#include "daemon/store/pg_listener.h"
#include "daemon/store/pg_preset_store.h"
#include "daemon/store/pg_secrets.h"
#include "daemon/store/pg_team_store.h"

namespace sparkd::server {
namespace {

constexpr int kPoolSize = 16;

StatusOr<Config> ParseConfig(const std::vector<std::string>& args, const char* usage) {
  auto flags = cli::ParseFlags(args, ConfigFlagSpec());
  if (!flags.ok()) return flags.status();
  if (flags->Has("help")) {
    std::cout << usage << "\n\nSettings (flags override environment, which overrides the file):\n"
              << ConfigHelp();
    return Status(StatusCode::kCancelled, "");
  }
  if (!flags->positional.empty()) {
    return InvalidArgument("unexpected argument \"" + flags->positional[0] + "\"");
  }
  ASSIGN_OR_RETURN(Config config, LoadConfig(*flags));
  if (config.database_url.empty()) {
    return InvalidArgument("database-url: required (--database-url or SPARKD_DATABASE_URL)");
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  return config;
}

int Fail(const Status& status) {
  if (status.code() == StatusCode::kCancelled) return 0;  // --help
  std::cerr << "sparkd: " << status.message() << "\n";
  return 2;
}

std::pair<std::string, int> SplitHostPort(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return {address, 0};
  return {address.substr(0, colon), std::atoi(address.c_str() + colon + 1)};
}

// "https://host/sparkd/" → "/sparkd"; "http://host:9740" → "".
std::string UrlPath(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "";
  std::string path = url.substr(slash);
  while (path.ends_with("/")) path.pop_back();
  return path;
}

// Blocks SIGTERM and SIGINT in every thread (call before starting any), so the main thread
// can wait for them with sigwait.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

StatusOr<std::unique_ptr<cluster::LocalBackend>> MakeLocalBackend(const Config& config,
                                                                  cluster::HistoryServer* history) {
  if (config.spark_home.empty()) {
    return InvalidArgument(
        "spark-home: required for the local backend (--spark-home or "
        "SPARKD_SPARK_HOME, e.g. the pyspark package folder)");
  }
  if (!std::filesystem::exists(std::filesystem::path(config.spark_home) / "bin" / "spark-submit")) {
    return InvalidArgument("spark-home: " + config.spark_home + " has no bin/spark-submit");
  }
  cluster::LocalBackendOptions options;
  ASSIGN_OR_RETURN(options.file_policy, FilePolicyFromConfig(config));
  options.spark_home = config.spark_home;
  options.data_dir = config.data_dir;
  options.default_threads = config.local_threads;
  options.python = config.python;
  options.secrets_dir = std::filesystem::absolute(config.secrets_dir).string();
  options.ui_proxy_prefix = UrlPath(config.public_url);
  if (history) {
    options.history_url = history->url();
    options.history_dir = history->events_dir();
  }
  return std::make_unique<cluster::LocalBackend>(std::move(options));
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// What runs the jobs, and the Kubernetes client it uses (none for the local backend).
struct Backends {
  std::unique_ptr<kube::Client> kube;
  std::unique_ptr<Backend> backend;
};

StatusOr<Backends> MakeK8sNativeBackend(const Config& config, Clock* clock) {
  auto kube_config = kube::LoadConfig(config.kubeconfig, config.kube_context);
  if (!kube_config.ok()) return kube_config.status().WithContext("kubeconfig");
  std::string api_server = kube_config->server;
  kube::ClientOptions client_options;
  client_options.qps = config.k8s_qps;
  client_options.burst = 2 * config.k8s_qps;
  Backends made;
  ASSIGN_OR_RETURN(made.kube, kube::NewClient(std::move(*kube_config), client_options));
  cluster::K8sNativeOptions options;
  options.render.default_namespace = config.k8s_default_namespace.empty()
                                         ? made.kube->default_namespace()
                                         : config.k8s_default_namespace;
  options.render.default_image = config.k8s_image;
  options.render.master_url = config.k8s_master_url;
  if (!config.k8s_image_pull_policy.empty()) {
    options.render.daemon_conf["spark.kubernetes.container.image.pullPolicy"] =
        config.k8s_image_pull_policy;
  }
  options.namespaces = SplitList(config.k8s_namespaces);
  options.data_dir = config.data_dir;
  options.history_url = config.k8s_history_url;
  if (!config.k8s_ui_url_template.empty()) options.ui_url_template = config.k8s_ui_url_template;
  options.api_server = api_server;
  options.ui_proxy_prefix = UrlPath(config.public_url);
  options.deadlines.unschedulable = std::chrono::seconds(config.k8s_unschedulable_deadline_s);
  options.deadlines.image_pull = std::chrono::seconds(config.k8s_image_pull_deadline_s);
  options.deadlines.config_error = std::chrono::seconds(config.k8s_config_error_deadline_s);
  options.watch_timeout_seconds = config.k8s_watch_timeout_s;
  made.backend = std::make_unique<cluster::K8sNativeBackend>(made.kube.get(), clock, options);
  return made;
}

// The daemon defaults layer, from the configured preset file (none: no defaults layer).
StatusOr<std::shared_ptr<const Preset>> LoadDefaults(const Config& config) {
  if (config.defaults_file.empty()) return std::shared_ptr<const Preset>();
  std::ifstream in(config.defaults_file);
  if (!in) return InvalidArgument("defaults-file: cannot read " + config.defaults_file);
  std::stringstream text;
  text << in.rdbuf();
  auto preset = ParsePreset(text.str());
  if (!preset.ok()) return preset.status().WithContext("defaults-file " + config.defaults_file);
  if (!preset->extends.empty()) return InvalidArgument("defaults-file: cannot use extends");
  return std::shared_ptr<const Preset>(std::make_shared<Preset>(std::move(*preset)));
}

}  // namespace

int RunMigrate(const std::vector<std::string>& args) {
  auto config = ParseConfig(args,
                            "usage: sparkd migrate [settings]\n\nApplies the schema "
                            "migrations the database lacks, under an advisory lock.");
  if (!config.ok()) return Fail(config.status());
  auto conn = store::PgConnection::Connect(config->database_url);
  if (!conn.ok()) return Fail(conn.status());
  auto applied = store::Migrate(**conn);
  if (!applied.ok()) return Fail(applied.status());
  std::cout << "applied " << applied->size() << " migration(s)";
  for (int v : *applied) std::cout << " " << v;
  std::cout << "\n";
  return 0;
}

int RunServe(const std::vector<std::string>& args) {
  sigset_t signals = BlockShutdownSignals();
  auto config = ParseConfig(args,
                            "usage: sparkd serve [settings]\n\nRuns the daemon: gRPC "
                            "API, HTTP links, and the jobs of its backend.");
  if (!config.ok()) return Fail(config.status());
  if (config->backend != "local" && config->backend != "k8s-native") {
    return Fail(InvalidArgument("backend: \"" + config->backend +
                                "\" is not available; use local or k8s-native"));
  }
  std::filesystem::create_directories(config->data_dir);
  config->data_dir = std::filesystem::absolute(config->data_dir).string();

  auto pool = store::PgPool::Create(config->database_url, kPoolSize);
  if (!pool.ok()) return Fail(pool.status());
  {
    auto lease = (*pool)->Acquire();
    if (!lease.ok()) return Fail(lease.status());
    auto applied = store::Migrate(**lease);
    if (!applied.ok()) return Fail(applied.status());
    if (!applied->empty()) spdlog::info("applied {} migration(s)", applied->size());
  }
  auto clock = NewSystemClock();
  std::optional<store::KeyCipher> key_cipher;
  if (!config->link_key_encryption_key.empty()) key_cipher.emplace(config->link_key_encryption_key);
  store::PgLinkKeyStore link_keys(pool->get(), key_cipher ? &*key_cipher : nullptr);
  api::LinkSigner link_signer([&link_keys] { return link_keys.ActiveKeys(); }, clock.get(),
                              api::LinkSignerOptions{config->link_ttl});
  if (Status s = link_signer.Load(); !s.ok()) return Fail(s.WithContext("link signing keys"));

  auto ids = NewRandomIdGenerator(clock.get());
  std::unique_ptr<cluster::HistoryServer> history;
  Backends backends;
  if (config->backend == "k8s-native") {
    auto made = MakeK8sNativeBackend(*config, clock.get());
    if (!made.ok()) return Fail(made.status());
    backends = std::move(*made);
  } else {
    if (config->history_server && config->run_jobs) {
      history = std::make_unique<cluster::HistoryServer>(cluster::HistoryServerOptions{
          config->spark_home, "", config->data_dir + "/history", config->history_port});
    }
    auto local = MakeLocalBackend(*config, history.get());
    if (!local.ok()) return Fail(local.status());
    backends.backend = std::move(*local);
  }
  std::unique_ptr<Backend>& backend = backends.backend;
  if (history) {
    if (Status s = history->Start(); !s.ok()) spdlog::warn("history server: {}", s.ToString());
  }

  store::PgJobStore store(pool->get(), clock.get());
  Supervisor supervisor(&store, backend.get(),
                        SupervisorOptions{config->node_id, std::chrono::milliseconds(500),
                                          config->max_running_jobs, config->launch_concurrency});
  if (config->run_jobs) {
    if (Status s = supervisor.Reconcile(); !s.ok()) return Fail(s);
    supervisor.Start();
  }
  store::PgTeamStore teams(pool->get());
  if (Status s = RegisterBootstrapAdminToken(config->bootstrap_admin_token, teams); !s.ok()) {
    return Fail(s);
  }
  auto defaults = LoadDefaults(*config);
  if (!defaults.ok()) return Fail(defaults.status());
  store::PgPresetStore preset_store(pool->get());
  PresetService presets(&preset_store, &teams, clock.get(), *defaults);
  AdminService admin(&teams);
  auto files = FilePolicyFromConfig(*config);
  if (!files.ok()) return Fail(files.status());
  JobService::LaunchCheck launch_check;
  if (config->run_jobs) {
    launch_check = [b = backend.get()](const Job& job) { return b->CheckLaunchable(job); };
  }
  JobService jobs(&store, &presets, &supervisor, clock.get(), ids.get(), backend->name(),
                  std::move(*files), launch_check);
  LinkKeyAdmin link_key_admin(&link_keys);

  WatchHub hub;
  hub.Start();
  store::PgListener listener(config->database_url, &hub, &preset_store);
  listener.Start();

  // Every RPC and page authenticates with a team token; there is no open mode.
  api::Authenticator authenticate = api::BearerAuthenticator(&teams);
  api::JobServiceGrpc grpc_service(&jobs, backend.get(), &hub, authenticate,
                                   api::LinkOptions{config->public_url, &link_signer});
  api::PresetServiceGrpc preset_grpc(&presets, authenticate);
  api::AdminServiceGrpc admin_grpc(&admin, authenticate);
  api::LinkKeyServiceGrpc link_key_grpc(&link_key_admin, &link_signer, authenticate);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // The synchronous server keeps at most MAX_POLLERS idle threads (default 2) and starts a
  // thread whenever none is free, so under concurrent calls it created and destroyed a thread
  // per call. Keeping as many as there are database connections (what can run at once) makes
  // the threads live as long as the server.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kPoolSize);
  int grpc_port = 0;
  builder.AddListeningPort(config->grpc_listen, grpc::InsecureServerCredentials(), &grpc_port);
  builder.RegisterService(&grpc_service);
  builder.RegisterService(&preset_grpc);
  builder.RegisterService(&admin_grpc);
  builder.RegisterService(&link_key_grpc);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (!grpc_server || grpc_port == 0) {
    return Fail(Unavailable("cannot listen for gRPC on " + config->grpc_listen));
  }

  api::HttpServer http(
      &jobs, backend.get(), [&teams](std::string_view token) { return teams.Authenticate(token); },
      &link_signer,
      [&] {
        auto lease = (*pool)->Acquire(std::chrono::seconds(2));
        if (!lease.ok()) return lease.status();
        return (*lease)->Exec("SELECT 1").status();
      },
      api::ConnectionLimits{},
      api::UiProxyOptions{history ? history->url() : config->k8s_history_url,
                          UrlPath(config->public_url), config->public_url.starts_with("https://")});
  auto [http_host, http_port] = SplitHostPort(config->http_listen);
  auto bound = http.Start(api::HttpOptions{http_host, http_port});
  if (!bound.ok()) return Fail(bound.status());

  spdlog::info("sparkd {} ready: gRPC on {}:{}, HTTP on {}:{}, backend {}, data in {}",
               config->node_id, SplitHostPort(config->grpc_listen).first, grpc_port, http_host,
               *bound, backend->name(), config->data_dir);
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info(
      "received signal {}; shutting down (running Spark jobs keep running and are "
      "picked up again at the next start)",
      signal);
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  http.Stop();
  supervisor.Stop();
  listener.Stop();
  hub.Stop();
  if (history) history->Stop();
  return 0;
}

}  // namespace sparkd::server
