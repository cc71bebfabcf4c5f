// The real control plane of the client's integration tests. SPARKD_K8S_ENV names the k8s.env
// that scripts/k8s-up wrote for a running harness (admin and sparkd kubeconfigs, tokens, the
// etcd URL, the binaries); the tests are skipped only when it is unset. Each test gets a
// namespace of its own, deleted afterwards. Test code only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon/kube/client.h"

namespace sparkd::kube {

inline constexpr char kTestLabel[] = "kube-test=yes";

// The variables of k8s.env; null when SPARKD_K8S_ENV is unset.
const std::map<std::string, std::string>* KubeTestEnvironment();

class KubeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  const std::string& Env(const std::string& key) const;
  // The admin (system:masters) and the unprivileged "sparkd" user, from the harness's files.
  KubeConfig AdminConfig() const;
  KubeConfig SparkdConfig() const;
  std::unique_ptr<Client> NewTestClient(KubeConfig config, ClientOptions options = {}) const;
  // The API server's port on 127.0.0.1.
  int ApiPort() const;

  // Labelled kTestLabel, so watches can leave out what controllers add to every namespace
  // (the kube-root-ca.crt configmap).
  static nlohmann::json ConfigMap(const std::string& name,
                                  const std::map<std::string, std::string>& labels = {},
                                  const std::map<std::string, std::string>& data = {});
  // Checks `condition` every 20 ms until it holds or `deadline` passes.
  static bool WaitFor(const std::function<bool()>& condition,
                      std::chrono::milliseconds deadline = std::chrono::seconds(20));

  std::unique_ptr<Client> admin_;
  std::string ns_;  // this test's namespace
};

// A second kube-apiserver with the harness's own flags (read from the running one's command
// line) on another port, against the same etcd; stopped when destroyed. Its watch cache
// begins when it starts, so older resourceVersions are 410 Gone there, as after a restart.
class SecondApiServer {
 public:
  SecondApiServer(const std::string& harness_dir, const std::string& log);
  ~SecondApiServer();
  bool started() const { return pid_ > 0; }
  int port() const { return port_; }
  const std::string& error() const { return error_; }  // why it did not start

 private:
  std::string error_;
  int pid_ = -1;
  int port_ = 0;
};

// A free port on 127.0.0.1 (free when asked; nothing holds it).
int FreePort();

inline void PrintTo(const RequestCount& count, std::ostream* out) {
  *out << "{" << count.verb << ", " << count.http_status << ", " << count.count << "}";
}

// The resourceVersion of an object, as a number (they are etcd revisions; clients must not
// rely on that, tests may).
int64_t ResourceVersionOf(const nlohmann::json& object);

}  // namespace sparkd::kube
