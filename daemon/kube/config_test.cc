#include "daemon/kube/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/kube/token_file.h"

namespace sparkd::kube {
namespace {

namespace fs = std::filesystem;

constexpr char kCaPem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n"
    "-----END CERTIFICATE-----\n";
// base64 of kCaPem, as kubeadm writes certificate-authority-data.
constexpr char kCaData[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQW"
    "pNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kube-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path path = fs::path(dir_) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  std::string dir_;
};

// A kubeconfig as kubeadm and kind write them, with a second, token-based context.
constexpr char kKubeconfig[] = R"(apiVersion: v1
kind: Config
preferences: {}
current-context: kind-spark
clusters:
- name: kind-spark
  cluster:
    server: https://127.0.0.1:36443/
    certificate-authority: pki/ca.crt
- name: prod
  cluster:
    server: https://k8s.example.com
    insecure-skip-tls-verify: true
contexts:
- name: kind-spark
  context:
    cluster: kind-spark
    user: kind-admin
    namespace: spark-blue
- name: prod-sparkd
  context:
    cluster: prod
    user: sparkd
users:
- name: kind-admin
  user:
    client-certificate: pki/admin.crt
    client-key-data: a2V5LWJ5dGVz
- name: sparkd
  user:
    token: s3cr3t-token
    tokenFile: tokens/sparkd
)";

TEST_F(ConfigTest, ReadsTheCurrentContext) {
  Write("pki/ca.crt", kCaPem);
  Write("pki/admin.crt", "CERT");
  std::string file = Write("config", kKubeconfig);
  auto config = LoadKubeconfig({file}, "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://127.0.0.1:36443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "key-bytes");
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->default_namespace, "spark-blue");
  EXPECT_EQ(config->source, "kubeconfig " + file + ", context \"kind-spark\"");
}

TEST_F(ConfigTest, ReadsANamedContext) {
  std::string file = Write("config", kKubeconfig);
  auto config = LoadKubeconfig({file}, "prod-sparkd");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://k8s.example.com");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->ca_pem, "");
  EXPECT_EQ(config->token, "s3cr3t-token");
  EXPECT_EQ(config->token_file, dir_ + "/tokens/sparkd");  // relative to the file's folder
  EXPECT_EQ(config->default_namespace, "default");
}

TEST_F(ConfigTest, InlineDataWinsOverFiles) {
  std::string file = Write("config", std::string(R"(current-context: c
clusters:
- name: k
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: /nonexistent/ca.crt
    certificate-authority-data: )") + kCaData +
                                         R"(
contexts:
- {name: c, context: {cluster: k, user: u}}
users:
- name: u
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
)");
  auto config = LoadKubeconfig({file}, "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
}

TEST_F(ConfigTest, MergesFilesTheFirstDefinitionWinning) {
  std::string first = Write("a", R"(current-context: mine
clusters:
- {name: shared, cluster: {server: "https://first:6443", insecure-skip-tls-verify: true}}
contexts:
- {name: mine, context: {cluster: shared, user: me, namespace: a}}
)");
  std::string second = Write("b", R"(current-context: theirs
clusters:
- {name: shared, cluster: {server: "https://second:6443"}}
contexts:
- {name: mine, context: {cluster: shared, namespace: b}}
- {name: theirs, context: {cluster: shared, user: me}}
users:
- {name: me, user: {token: t}}
)");
  auto config = LoadKubeconfig({first, second}, "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://first:6443");
  EXPECT_EQ(config->default_namespace, "a");
  EXPECT_EQ(config->token, "t");  // the user only the second file defines
  auto theirs = LoadKubeconfig({first, second}, "theirs");
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  EXPECT_EQ(theirs->source, "kubeconfig " + second + ", context \"theirs\"");
}

TEST_F(ConfigTest, ErrorsNameTheFileTheEntryAndTheField) {
  struct Case {
    std::string context;
    std::string yaml;
    std::vector<std::string> says;
  };
  const std::string ok_context = "contexts:\n- {name: c, context: {cluster: k, user: u}}\n";
  const std::string ok_cluster = "clusters:\n- {name: k, cluster: {server: \"https://h:1\"}}\n";
  const std::vector<Case> cases = {
      {"", ok_cluster + ok_context, {"no current-context and no context given"}},
      {"x", ok_cluster + ok_context, {"context \"x\" not found (contexts: c)"}},
      {"c",
       ok_context + "users:\n- {name: u, user: {}}\n",
       {"context \"c\": cluster: \"k\" is not defined (clusters: none)"}},
      {"c", ok_cluster + ok_context, {"context \"c\": user: \"u\" is not defined"}},
      {"c",
       "clusters:\n- {name: k, cluster: {insecure-skip-tls-verify: true}}\n" + ok_context,
       {"cluster \"k\" (context \"c\"): server: is missing"}},
      {"c",
       "clusters:\n- {name: k, cluster: {server: \"h:6443\"}}\n" + ok_context,
       {"server: \"h:6443\" is not an http(s) URL"}},
      {"c",
       "clusters:\n- {name: k, cluster: {server: \"https://h\", certificate-authority-data: "
       "\"%%%\"}}\n" +
           ok_context,
       {"cluster \"k\"", "certificate-authority-data: not base64"}},
      {"c",
       "clusters:\n- {name: k, cluster: {server: \"https://h\", certificate-authority: "
       "missing.crt}}\n" +
           ok_context,
       {"certificate-authority: cannot read " + dir_ + "/missing.crt: No such file"}},
      {"c",
       "clusters:\n- {name: k, cluster: {server: \"https://h\", insecure-skip-tls-verify: "
       "maybe}}\n" +
           ok_context,
       {"insecure-skip-tls-verify: must be true or false"}},
      {"c",
       "clusters:\n- {name: k, cluster: {server: \"https://h\", insecure-skip-tls-verify: true, "
       "certificate-authority-data: QQ==}}\n" +
           ok_context,
       {"cannot be combined with a certificate authority"}},
      {"c",
       ok_cluster + ok_context +
           "users:\n- {name: u, user: {exec: {command: aws, apiVersion: "
           "client.authentication.k8s.io/v1}}}\n",
       {"user \"u\" (context \"c\"): exec: is not supported by sparkd"}},
      {"c",
       ok_cluster + ok_context + "users:\n- {name: u, user: {username: a, password: b}}\n",
       {"username: is not supported"}},
      {"c",
       ok_cluster + ok_context + "users:\n- {name: u, user: {client-certificate-data: QQ==}}\n",
       {"client-key: is missing"}},
      {"c",
       ok_cluster + ok_context + "users:\n- {name: u, user: {token: [a, b]}}\n",
       {"token: must be a string"}},
      {"c", "clusters: {k: 1}\n", {"clusters: must be a list"}},
      {"c", "contexts:\n- {context: {cluster: k}}\n", {"contexts[0]: needs a string \"name\""}},
      {"c", "clusters: [\n", {"not YAML"}},
      {"c", "- just\n- a list\n", {"must be a YAML mapping"}},
  };
  for (const auto& c : cases) {
    std::string file = Write("config", c.yaml);
    auto config = LoadKubeconfig({file}, c.context);
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(file), std::string::npos) << config.status().message();
    for (const auto& text : c.says) {
      EXPECT_NE(config.status().message().find(text), std::string::npos)
          << "missing \"" << text << "\" in: " << config.status().message();
    }
  }
  auto missing = LoadKubeconfig({dir_ + "/none"}, "");
  EXPECT_EQ(missing.status().message(),
            "kubeconfig: cannot read " + dir_ + "/none: No such file or directory");
}

TEST_F(ConfigTest, LoadConfigReadsKubeconfigFromTheEnvironment) {
  std::string a = Write("a", "current-context: c\n");
  std::string b = Write("b", R"(clusters:
- {name: k, cluster: {server: "https://b:6443"}}
contexts:
- {name: c, context: {cluster: k}}
)");
  setenv("KUBECONFIG", (a + ":" + b).c_str(), 1);
  auto config = LoadConfig("", "");
  unsetenv("KUBECONFIG");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://b:6443");
  auto explicit_path = LoadConfig(b, "c");
  ASSERT_TRUE(explicit_path.ok()) << explicit_path.status().ToString();
}

TEST_F(ConfigTest, InClusterUsesTheServiceAccount) {
  Write("sa/ca.crt", kCaPem);
  Write("sa/token", "eyJhbGciOiJSUzI1NiJ9.e30.sig\n");
  Write("sa/namespace", "spark-system");
  auto config = LoadInClusterConfig({"10.96.0.1", "443", dir_ + "/sa"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->token_file, dir_ + "/sa/token");
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->default_namespace, "spark-system");
  auto v6 = LoadInClusterConfig({"fd00::1", "6443", dir_ + "/sa"});
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->server, "https://[fd00::1]:6443");

  auto outside = LoadInClusterConfig({"", "443", dir_ + "/sa"});
  EXPECT_EQ(outside.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(outside.status().message().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  fs::remove(dir_ + "/sa/token");
  auto no_token = LoadInClusterConfig({"10.96.0.1", "443", dir_ + "/sa"});
  EXPECT_NE(no_token.status().message().find("no token file " + dir_ + "/sa/token"),
            std::string::npos);
}

// The kubelet's projected-volume layout: token -> ..data/token, ..data -> ..<timestamp>.
TEST_F(ConfigTest, TokenFileFollowsRotation) {
  fs::create_directories(dir_ + "/..2025_01");
  Write("..2025_01/token", "first\n");
  fs::create_directory_symlink("..2025_01", dir_ + "/..data");
  fs::create_symlink("..data/token", dir_ + "/token");
  TokenFile token(dir_ + "/token");
  EXPECT_EQ(token.Get().value(), "first");
  EXPECT_EQ(token.Get().value(), "first");

  fs::create_directories(dir_ + "/..2025_02");
  Write("..2025_02/token", "second");
  fs::create_directory_symlink("..2025_02", dir_ + "/..data_tmp");
  fs::rename(dir_ + "/..data_tmp", dir_ + "/..data");  // the kubelet's atomic swap
  fs::remove_all(dir_ + "/..2025_01");
  EXPECT_EQ(token.Get().value(), "second");

  fs::remove_all(dir_ + "/..2025_02");  // unreadable now: the last token stays
  EXPECT_EQ(token.Get().value(), "second");

  TokenFile missing(dir_ + "/none");
  EXPECT_EQ(missing.Get().status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(missing.Get().status().message().find(dir_ + "/none"), std::string::npos);
  Write("empty", "\n");
  EXPECT_NE(TokenFile(dir_ + "/empty").Get().status().message().find("it is empty"),
            std::string::npos);
}

TEST(Base64Test, DecodesStandardBase64) {
  struct Case {
    std::string in;
    std::optional<std::string> out;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"QQ==", "A"},
      {"QUI=", "AB"},
      {"QUJD", "ABC"},
      {"QUJD\nRA==", "ABCD"},
      {"QQ", "A"},
      {"QUI", "AB"},
      {"Q", std::nullopt},
      {"QQ===", std::nullopt},
      {"Q=Q=", std::nullopt},
      {"QU-D", std::nullopt},
  };
  for (const auto& c : cases) {
    auto decoded = DecodeBase64(c.in);
    if (c.out) {
      ASSERT_TRUE(decoded.ok()) << c.in << ": " << decoded.status().ToString();
      EXPECT_EQ(*decoded, *c.out) << c.in;
    } else {
      EXPECT_FALSE(decoded.ok()) << c.in;
    }
  }
}

}  // namespace
}  // namespace sparkd::kube
