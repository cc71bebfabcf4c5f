#include "daemon/kube/kube_test_env.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

extern char** environ;

namespace sparkd::kube {

const std::map<std::string, std::string>* KubeTestEnvironment() {
  static const std::map<std::string, std::string>* env = [] {
    const char* path = std::getenv("SPARKD_K8S_ENV");
    if (!path || !*path) return static_cast<std::map<std::string, std::string>*>(nullptr);
    auto* vars = new std::map<std::string, std::string>();
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("export ", 0) == 0) line = line.substr(7);
      auto eq = line.find('=');
      if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      (*vars)[line.substr(0, eq)] = value;
    }
    return vars;
  }();
  return env;
}

void KubeIntegrationTest::SetUp() {
  const auto* env = KubeTestEnvironment();
  if (!env) GTEST_SKIP() << "SPARKD_K8S_ENV is not set (the k8s.env of scripts/k8s-up)";
  ASSERT_TRUE(env->contains("KUBECONFIG")) << "SPARKD_K8S_ENV names no readable k8s.env";
  // SPARKD_KUBE_TEST_DEBUG=1 shows every request the client makes.
  if (std::getenv("SPARKD_KUBE_TEST_DEBUG")) spdlog::set_level(spdlog::level::debug);
  admin_ = NewTestClient(AdminConfig());
  std::random_device random;
  ns_ = "kube-test-" + std::to_string(random() % 1000000000);
  nlohmann::json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}};
  auto created = admin_->Create(kNamespaces, "", ns);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
}

void KubeIntegrationTest::TearDown() {
  if (admin_ && !ns_.empty()) {
    (void)admin_->Delete(kNamespaces, "", ns_, {.propagation_policy = "Background"});
  }
}

const std::string& KubeIntegrationTest::Env(const std::string& key) const {
  static const std::string kEmpty;
  const auto* env = KubeTestEnvironment();
  auto it = env->find(key);
  return it == env->end() ? kEmpty : it->second;
}

KubeConfig KubeIntegrationTest::AdminConfig() const {
  auto config = LoadKubeconfig({Env("KUBECONFIG")}, "");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : KubeConfig();
}

KubeConfig KubeIntegrationTest::SparkdConfig() const {
  auto config = LoadKubeconfig({Env("K8S_SPARKD_KUBECONFIG")}, "");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : KubeConfig();
}

std::unique_ptr<Client> KubeIntegrationTest::NewTestClient(KubeConfig config,
                                                           ClientOptions options) const {
  auto client = NewClient(std::move(config), std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

int KubeIntegrationTest::ApiPort() const {
  const std::string& url = Env("K8S_API_URL");
  return std::stoi(url.substr(url.rfind(':') + 1));
}

nlohmann::json KubeIntegrationTest::ConfigMap(const std::string& name,
                                              const std::map<std::string, std::string>& labels,
                                              const std::map<std::string, std::string>& data) {
  nlohmann::json object = {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", name}, {"labels", {{"kube-test", "yes"}}}}}};
  for (const auto& [key, value] : labels) object["metadata"]["labels"][key] = value;
  if (!data.empty()) object["data"] = data;
  return object;
}

bool KubeIntegrationTest::WaitFor(const std::function<bool()>& condition,
                                  std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

SecondApiServer::SecondApiServer(const std::string& harness_dir, const std::string& log) {
  std::ifstream pid_file(harness_dir + "/kube-apiserver.pid");
  std::string pid;
  pid_file >> pid;
  std::ifstream cmdline("/proc/" + pid + "/cmdline", std::ios::binary);
  port_ = FreePort();
  std::vector<std::string> args;
  for (std::string arg; std::getline(cmdline, arg, '\0');) {
    if (arg.rfind("--secure-port=", 0) == 0) arg = "--secure-port=" + std::to_string(port_);
    args.push_back(arg);
  }
  if (args.empty()) {
    error_ = "no command line for the API server of pid \"" + pid + "\" in " + harness_dir;
    return;
  }
  // The kubernetes Service keeps the harness server's endpoints.
  args.push_back("--endpoint-reconciler-type=none");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t child = -1;
  int spawned = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  if (spawned == 0) {
    pid_ = child;
  } else {
    error_ = std::string("cannot start ") + argv[0] + ": " + std::strerror(spawned);
  }
  posix_spawn_file_actions_destroy(&actions);
}

SecondApiServer::~SecondApiServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

int64_t ResourceVersionOf(const nlohmann::json& object) {
  return std::stoll(object["metadata"]["resourceVersion"].get<std::string>());
}

}  // namespace sparkd::kube
