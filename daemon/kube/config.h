// Where the Kubernetes client connects and how it proves who it is: from a kubeconfig file
// (as kubectl reads it) or from the pod's service account when sparkd runs in the cluster.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd::kube {

// Everything is resolved at load time (files read, base64 decoded) except the token file,
// which the client re-reads whenever it changes. Holds secrets: never log one.
struct KubeConfig {
  std::string server;  // "https://host:port", without a trailing "/"
  std::string ca_pem;  // PEM certificates to trust; empty: the system's
  bool insecure_skip_tls_verify = false;
  std::string token;       // a fixed bearer token
  std::string token_file;  // a bearer token file; wins over `token`
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string default_namespace = "default";
  // Where this came from, for messages: `kubeconfig /home/u/.kube/config, context "kind"`.
  std::string source;
};

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

struct InClusterSource {
  std::string host;  // $KUBERNETES_SERVICE_HOST
  std::string port;  // $KUBERNETES_SERVICE_PORT
  std::string account_dir = kServiceAccountDir;

  static InClusterSource FromEnvironment();
};

// The pod's service account: server https://host:port, CA account_dir/ca.crt, bearer token
// file account_dir/token (re-read as it rotates), namespace from account_dir/namespace.
// FAILED_PRECONDITION when host or port is empty (not in a cluster), naming the variables.
StatusOr<KubeConfig> LoadInClusterConfig(const InClusterSource& source);

// Reads kubeconfig `files` (merged as kubectl merges $KUBECONFIG: the first file to define a
// cluster, context or user name, or current-context, wins) and resolves `context`, or the
// current-context when empty. Paths inside a file are relative to its folder. Supported:
// cluster server, certificate-authority(-data), insecure-skip-tls-verify; user token,
// tokenFile, client-certificate(-data), client-key(-data); the context's namespace. Errors
// are INVALID_ARGUMENT naming the file, the context, cluster or user, and the field; exec and
// auth-provider plugins and basic auth are refused as unsupported.
StatusOr<KubeConfig> LoadKubeconfig(const std::vector<std::string>& files,
                                    std::string_view context);

// What sparkd uses: `kubeconfig` (a ':'-separated list) when set, else $KUBECONFIG, else the
// service account when $KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
StatusOr<KubeConfig> LoadConfig(std::string_view kubeconfig, std::string_view context);

// Standard base64 (whitespace ignored). Exposed for the kubeconfig's -data fields and tests.
StatusOr<std::string> DecodeBase64(std::string_view text);

}  // namespace sparkd::kube
