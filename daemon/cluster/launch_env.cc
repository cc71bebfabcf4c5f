#include "daemon/cluster/launch_env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "daemon/core/java_properties.h"
#include "daemon/core/preset/validate.h"
#include "daemon/core/redact.h"
#include "daemon/core/secret_env.h"
#include "daemon/core/team_store.h"

namespace fs = std::filesystem;

namespace sparkd::cluster {
namespace {

constexpr size_t kMaxSecretBytes = 1024 * 1024;  // a Kubernetes Secret's limit

// Conf keys whose suffix is an environment variable of some of the job's processes.
constexpr std::string_view kEnvConfPrefixes[] = {
    "spark.executorEnv.", "spark.kubernetes.driverEnv.", "spark.yarn.appMasterEnv.",
    "spark.mesos.driverEnv."};

std::optional<std::string> ReadBounded(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string value(kMaxSecretBytes + 1, '\0');
  in.read(value.data(), static_cast<std::streamsize>(value.size()));
  value.resize(static_cast<size_t>(in.gcount()));
  return value;
}

}  // namespace

StatusOr<std::string> SecretsDir::Read(const std::string& team, const std::string& variable,
                                       const SecretKeyRef& ref) const {
  std::string where = "secret_env." + variable + ": ";
  std::string secret = "secret \"" + ref.name + "\" of team " + team;
  if (root_.empty()) {
    return FailedPrecondition(where + "this daemon has no secrets-dir, so it cannot read " +
                              secret);
  }
  // Validated at submit; checked again because they become a path.
  if (!ValidateTeamName(team).ok() || !CheckDnsSubdomain(ref.name).empty() ||
      !CheckSecretKey(ref.key).empty()) {
    return FailedPrecondition(where + "not a valid secret reference");
  }
  std::error_code ec;
  fs::path team_dir = fs::path(root_) / team;
  fs::path secret_dir = team_dir / ref.name;
  if (!fs::is_directory(secret_dir, ec)) return FailedPrecondition(where + "there is no " + secret);
  // A mounted Secret's keys are symlinks into a hidden folder; any link must stay in the team's
  // own folder.
  fs::path file = fs::canonical(secret_dir / ref.key, ec);
  fs::path team_root = fs::canonical(team_dir, ec);
  bool inside =
      !ec && !file.empty() &&
      std::mismatch(team_root.begin(), team_root.end(), file.begin()).first == team_root.end();
  if (!inside || !fs::is_regular_file(file, ec)) {
    return FailedPrecondition(where + secret + " has no key \"" + ref.key + "\"");
  }
  std::optional<std::string> value = ReadBounded(file);
  if (!value) {
    return FailedPrecondition(where + "key \"" + ref.key + "\" of " + secret +
                              " cannot be read by the daemon");
  }
  if (value->size() > kMaxSecretBytes) {
    return FailedPrecondition(where + "key \"" + ref.key + "\" of " + secret +
                              " is larger than 1 MiB");
  }
  if (value->find('\0') != std::string::npos) {
    return FailedPrecondition(where + "key \"" + ref.key + "\" of " + secret +
                              " holds a NUL byte, which an environment variable cannot");
  }
  return *value;
}

Status SecretsDir::CheckAll(const Job& job) const {
  for (const auto& [variable, ref] : job.request.secret_env) {
    RETURN_IF_ERROR(Read(job.team, variable, ref).status());
  }
  return Status::Ok();
}

SplitConf SplitLaunchConf(const std::map<std::string, std::string>& conf) {
  SplitConf split;
  for (const auto& [key, value] : conf) {
    bool env = false;
    for (std::string_view prefix : kEnvConfPrefixes) {
      if (key.size() > prefix.size() && key.starts_with(prefix)) {
        split.env[key.substr(prefix.size())] = value;
        env = true;
      }
    }
    if (env) continue;
    (IsSensitiveEntry(key, value) ? split.private_ : split.argv)[key] = value;
  }
  return split;
}

Status WritePrivateProperties(const std::string& path,
                              const std::map<std::string, std::string>& conf,
                              const std::string& defaults_path) {
  std::string text;
  if (std::ifstream defaults(defaults_path); defaults) {
    text.assign(std::istreambuf_iterator<char>(defaults), std::istreambuf_iterator<char>());
    text += "\n";
  }
  text += "# Written by sparkd; readable by its user only.\n";
  for (const auto& [key, value] : conf) {
    text += JavaPropertiesEscape(key, true) + "=" + JavaPropertiesEscape(value, false) + "\n";
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + path + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = (::close(fd) == 0) && ok;
  if (!ok) return Internal("cannot write " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace sparkd::cluster
