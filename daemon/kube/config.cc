#include "daemon/kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace sparkd::kube {
namespace {

namespace fs = std::filesystem;

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Trimmed(const std::string& s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// One named entry of a kubeconfig list, with the file it came from.
struct Entry {
  YAML::Node body;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters, contexts, users;
  std::string current_context;
  std::string first_file;
};

// Reads a field of one entry, checking its type; `where` says which file and entry.
class Fields {
 public:
  Fields(const Entry& entry, std::string where) : entry_(entry), where_(std::move(where)) {}

  StatusOr<std::string> String(const char* key) const {
    YAML::Node value = entry_.body[key];
    if (!value || value.IsNull()) return std::string();
    if (!value.IsScalar()) return Error(key, "must be a string");
    return value.Scalar();
  }
  StatusOr<bool> Bool(const char* key) const {
    YAML::Node value = entry_.body[key];
    if (!value || value.IsNull()) return false;
    bool out = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out)) {
      return Error(key, "must be true or false");
    }
    return out;
  }
  bool Has(const char* key) const { return static_cast<bool>(entry_.body[key]); }
  // A file field's contents, or a -data field's decoded bytes; the -data field wins.
  StatusOr<std::string> FileOrData(const char* file_key, const char* data_key) const {
    ASSIGN_OR_RETURN(std::string data, String(data_key));
    if (!data.empty()) {
      auto decoded = DecodeBase64(data);
      if (!decoded.ok()) return Error(data_key, decoded.status().message());
      return std::move(decoded).value();
    }
    ASSIGN_OR_RETURN(std::string path, String(file_key));
    if (path.empty()) return std::string();
    auto contents = ReadFile(Resolve(path));
    if (!contents.ok()) return Error(file_key, contents.status().message());
    return std::move(contents).value();
  }
  std::string Resolve(const std::string& path) const {
    if (path.empty() || fs::path(path).is_absolute()) return path;
    return (fs::path(entry_.file).parent_path() / path).lexically_normal().string();
  }
  Status Error(const char* key, std::string_view problem) const {
    return InvalidArgument(where_ + ": " + key + ": " + std::string(problem));
  }
  const std::string& where() const { return where_; }

 private:
  const Entry& entry_;
  std::string where_;
};

Status AddEntries(const YAML::Node& root, const std::string& file, const char* list_key,
                  const char* body_key, std::map<std::string, Entry>& into) {
  YAML::Node list = root[list_key];
  if (!list || list.IsNull()) return Status::Ok();
  std::string where = "kubeconfig " + file + ": " + list_key;
  if (!list.IsSequence()) return InvalidArgument(where + ": must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    YAML::Node item = list[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
      return InvalidArgument(at + ": needs a string \"name\"");
    }
    YAML::Node body = item[body_key];
    if (body && !body.IsNull() && !body.IsMap()) {
      return InvalidArgument(at + "." + body_key + ": must be a mapping");
    }
    into.emplace(item["name"].Scalar(), Entry{body ? body : YAML::Node(YAML::NodeType::Map), file});
  }
  return Status::Ok();
}

Status MergeFile(const std::string& file, Merged& merged) {
  auto text = ReadFile(file);
  if (!text.ok()) return InvalidArgument("kubeconfig: " + text.status().message());
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("kubeconfig " + file + ": not YAML: " + e.what());
  }
  if (!root || root.IsNull()) return Status::Ok();  // an empty file, as kubectl allows
  if (!root.IsMap()) return InvalidArgument("kubeconfig " + file + ": must be a YAML mapping");
  if (merged.first_file.empty()) merged.first_file = file;
  RETURN_IF_ERROR(AddEntries(root, file, "clusters", "cluster", merged.clusters));
  RETURN_IF_ERROR(AddEntries(root, file, "contexts", "context", merged.contexts));
  RETURN_IF_ERROR(AddEntries(root, file, "users", "user", merged.users));
  YAML::Node current = root["current-context"];
  if (merged.current_context.empty() && current && current.IsScalar()) {
    merged.current_context = current.Scalar();
  }
  return Status::Ok();
}

Status ApplyCluster(const Fields& cluster, KubeConfig& config) {
  ASSIGN_OR_RETURN(std::string server, cluster.String("server"));
  while (!server.empty() && server.back() == '/') server.pop_back();
  if (server.empty()) return cluster.Error("server", "is missing");
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0) {
    return cluster.Error("server", "\"" + server + "\" is not an http(s) URL");
  }
  config.server = server;
  ASSIGN_OR_RETURN(config.ca_pem,
                   cluster.FileOrData("certificate-authority", "certificate-authority-data"));
  ASSIGN_OR_RETURN(config.insecure_skip_tls_verify, cluster.Bool("insecure-skip-tls-verify"));
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    // kubectl refuses the pair too: one of them is a mistake, and guessing which is unsafe.
    return cluster.Error("insecure-skip-tls-verify",
                         "cannot be combined with a certificate authority");
  }
  return Status::Ok();
}

Status ApplyUser(const Fields& user, KubeConfig& config) {
  for (const char* unsupported : {"exec", "auth-provider", "username", "password"}) {
    if (user.Has(unsupported)) {
      return user.Error(unsupported,
                        "is not supported by sparkd; use token, tokenFile or "
                        "client-certificate and client-key");
    }
  }
  ASSIGN_OR_RETURN(config.token, user.String("token"));
  ASSIGN_OR_RETURN(std::string token_file, user.String("tokenFile"));
  config.token_file = user.Resolve(token_file);
  ASSIGN_OR_RETURN(config.client_cert_pem,
                   user.FileOrData("client-certificate", "client-certificate-data"));
  ASSIGN_OR_RETURN(config.client_key_pem, user.FileOrData("client-key", "client-key-data"));
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return user.Error(config.client_cert_pem.empty() ? "client-certificate" : "client-key",
                      "is missing (a client certificate needs both the certificate and its key)");
  }
  return Status::Ok();
}

std::string Names(const std::map<std::string, Entry>& entries) {
  std::string out;
  for (const auto& [name, entry] : entries) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

const char* Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

}  // namespace

InClusterSource InClusterSource::FromEnvironment() {
  InClusterSource source;
  if (const char* host = Getenv("KUBERNETES_SERVICE_HOST")) source.host = host;
  if (const char* port = Getenv("KUBERNETES_SERVICE_PORT")) source.port = port;
  return source;
}

StatusOr<KubeConfig> LoadInClusterConfig(const InClusterSource& source) {
  if (source.host.empty() || source.port.empty()) {
    return FailedPrecondition(
        "not running in a Kubernetes cluster: KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must both be set");
  }
  KubeConfig config;
  bool ipv6 = source.host.find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + source.host + "]" : source.host) + ":" + source.port;
  std::string where = "in-cluster service account " + source.account_dir;
  auto ca = ReadFile(source.account_dir + "/ca.crt");
  if (!ca.ok()) return FailedPrecondition(where + ": " + ca.status().message());
  config.ca_pem = std::move(ca).value();
  config.token_file = source.account_dir + "/token";
  if (!fs::exists(config.token_file)) {
    return FailedPrecondition(where + ": no token file " + config.token_file);
  }
  if (auto ns = ReadFile(source.account_dir + "/namespace"); ns.ok() && !Trimmed(*ns).empty()) {
    config.default_namespace = Trimmed(*ns);
  }
  config.source = where;
  return config;
}

StatusOr<KubeConfig> LoadKubeconfig(const std::vector<std::string>& files,
                                    std::string_view context) {
  if (files.empty()) return InvalidArgument("kubeconfig: no file given");
  Merged merged;
  for (const auto& file : files) RETURN_IF_ERROR(MergeFile(file, merged));
  std::string list = files.size() == 1 ? files[0] : merged.first_file + " (and others)";
  std::string name(context.empty() ? merged.current_context : std::string(context));
  if (name.empty()) {
    return InvalidArgument("kubeconfig " + list + ": no current-context and no context given");
  }
  auto ctx = merged.contexts.find(name);
  if (ctx == merged.contexts.end()) {
    return InvalidArgument("kubeconfig " + list + ": context \"" + name +
                           "\" not found (contexts: " + Names(merged.contexts) + ")");
  }
  Fields context_fields(ctx->second,
                        "kubeconfig " + ctx->second.file + ": context \"" + name + "\"");
  ASSIGN_OR_RETURN(std::string cluster_name, context_fields.String("cluster"));
  ASSIGN_OR_RETURN(std::string user_name, context_fields.String("user"));
  ASSIGN_OR_RETURN(std::string ns, context_fields.String("namespace"));
  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return context_fields.Error("cluster", "\"" + cluster_name + "\" is not defined (clusters: " +
                                               Names(merged.clusters) + ")");
  }
  KubeConfig config;
  config.source = "kubeconfig " + ctx->second.file + ", context \"" + name + "\"";
  if (!ns.empty()) config.default_namespace = ns;
  std::string in_context = " (context \"" + name + "\")";
  RETURN_IF_ERROR(
      ApplyCluster(Fields(cluster->second, "kubeconfig " + cluster->second.file + ": cluster \"" +
                                               cluster_name + "\"" + in_context),
                   config));
  if (!user_name.empty()) {
    auto user = merged.users.find(user_name);
    if (user == merged.users.end()) {
      return context_fields.Error(
          "user", "\"" + user_name + "\" is not defined (users: " + Names(merged.users) + ")");
    }
    RETURN_IF_ERROR(ApplyUser(Fields(user->second, "kubeconfig " + user->second.file + ": user \"" +
                                                       user_name + "\"" + in_context),
                              config));
  }
  return config;
}

StatusOr<KubeConfig> LoadConfig(std::string_view kubeconfig, std::string_view context) {
  std::string paths(kubeconfig);
  if (paths.empty()) {
    if (const char* env = Getenv("KUBECONFIG")) paths = env;
  }
  if (paths.empty()) {
    InClusterSource in_cluster = InClusterSource::FromEnvironment();
    if (!in_cluster.host.empty()) return LoadInClusterConfig(in_cluster);
    const char* home = Getenv("HOME");
    if (!home) return FailedPrecondition("no kubeconfig: KUBECONFIG and HOME are not set");
    paths = std::string(home) + "/.kube/config";
  }
  std::vector<std::string> files;
  std::stringstream split(paths);
  for (std::string file; std::getline(split, file, ':');) {
    if (!file.empty()) files.push_back(file);
  }
  return LoadKubeconfig(files, context);
}

StatusOr<std::string> DecodeBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0, padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    auto value = kAlphabet.find(c);
    if (value == std::string_view::npos || padding > 0) {
      return InvalidArgument("not base64 (unexpected character '" + std::string(1, c) + "')");
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if (++count % 4 == 0) {
      out += static_cast<char>((bits >> 16) & 0xff);
      out += static_cast<char>((bits >> 8) & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
    }
  }
  int tail = count % 4;
  if (tail == 1 || padding > 2 || (padding > 0 && (tail + padding) % 4 != 0)) {
    return InvalidArgument("not base64 (truncated)");
  }
  if (tail == 2) out += static_cast<char>((bits >> 4) & 0xff);
  if (tail == 3) {
    out += static_cast<char>((bits >> 10) & 0xff);
    out += static_cast<char>((bits >> 2) & 0xff);
  }
  return out;
}

}  // namespace sparkd::kube
