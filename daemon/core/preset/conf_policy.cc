#include "daemon/core/preset/conf_policy.h"

#include <algorithm>
#include <cctype>
#include <span>

#include "daemon/core/preset/job_spec.h"
#include "daemon/core/text_rules.h"

namespace sparkd {
namespace {

// ASCII only: Spark keys and environment names are ASCII, and this runs for every conf key.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Daemon-owned keys (rule 1 of the header), lower case; `prefix` entries own a whole family.
struct OwnedKey {
  std::string_view key;
  bool prefix;
  std::string_view why;
};

constexpr std::string_view kWhere = "it decides where the job runs";
constexpr std::string_view kReach = "the daemon reaches and links the driver through it";
constexpr std::string_view kHostFolder = "a folder of the daemon's host that Spark writes";
constexpr std::string_view kPods = "the daemon names the job's pods";

constexpr OwnedKey kDaemonOwned[] = {
    {"spark.master", false, kWhere},
    {"spark.submit.deploymode", false, kWhere},
    {"spark.kubernetes.context", false, kWhere},
    {"spark.kubernetes.driver.master", false, kWhere},
    {"spark.kubernetes.submitindriver", false, kWhere},
    {"spark.kubernetes.resourcestagingserver.", true, kWhere},
    {"spark.app.id", false, "it is the application's identity in the daemon's records"},
    {"spark.driver.host", false, kReach},
    {"spark.driver.bindaddress", false, kReach},
    {"spark.driver.port", false, kReach},
    {"spark.driver.blockmanager.port", false, kReach},
    {"spark.blockmanager.port", false, kReach},
    {"spark.ui.port", false, kReach},
    {"spark.ui.proxybase", false, kReach},
    {"spark.ui.reverseproxy", false, kReach},
    {"spark.ui.reverseproxyurl", false, kReach},
    {"spark.eventlog.", true, "the event log is the daemon's record of the job"},
    {"spark.history.", true, "the daemon runs the history server"},
    {"spark.redaction.", true, "it keeps secrets out of event logs and UIs"},
    {"spark.sql.redaction.", true, "it keeps secrets out of event logs and UIs"},
    {"spark.metrics.conf", true, "metrics sinks read and write files of the daemon's host"},
    {"spark.local.dir", false, kHostFolder},
    {"spark.jars.ivy", false, kHostFolder},
    {"spark.driver.log.dfsdir", false, kHostFolder},
    {"spark.driver.log.persisttodfs.enabled", false, kHostFolder},
    {"spark.kubernetes.driver.pod.name", false, kPods},
    {"spark.kubernetes.executor.podnameprefix", false, kPods},
};

// Sandbox keys (rule 2); compared exactly, or without case to find confusable spellings.
constexpr std::string_view kSandboxExact[] = {
    "spark.kubernetes.namespace",
    "spark.kubernetes.driver.podTemplateFile",
    "spark.kubernetes.executor.podTemplateFile",
    "spark.kubernetes.driver.pod.featureSteps",
    "spark.kubernetes.executor.pod.featureSteps",
    "spark.kubernetes.allocation.pods.allocator",
};

// The sandbox patterns as written, and in lower case to find other spellings.
struct SandboxPatterns {
  std::vector<std::string> exact;
  std::string kubernetes, authenticate, service_account, driver_host_path, executor_host_path;
};

const SandboxPatterns& Patterns(bool fold) {
  static const auto make = [](bool lower) {
    auto cased = [&](std::string_view s) { return lower ? Lower(s) : std::string(s); };
    SandboxPatterns p;
    for (std::string_view exact : kSandboxExact) p.exact.push_back(cased(exact));
    p.kubernetes = cased("spark.kubernetes.");
    p.authenticate = cased("spark.kubernetes.authenticate.");
    p.service_account = cased("serviceAccountName");
    p.driver_host_path = cased("spark.kubernetes.driver.volumes.hostPath.");
    p.executor_host_path = cased("spark.kubernetes.executor.volumes.hostPath.");
    return p;
  };
  static const SandboxPatterns kExact = make(false), kFolded = make(true);
  return fold ? kFolded : kExact;
}

// `key` as written, or in lower case (with fold) to find confusable spellings.
std::optional<std::string> SandboxReasonOf(std::string_view key, bool fold) {
  const SandboxPatterns& p = Patterns(fold);
  for (const std::string& exact : p.exact) {
    if (key == exact) return "sets where or how the job's pods are created";
  }
  if (key.starts_with(p.authenticate)) return "sets the job's credentials";
  if (key.starts_with(p.kubernetes) && key.find(p.service_account) != std::string::npos) {
    return "sets the job's service account";
  }
  if (key.starts_with(p.driver_host_path) || key.starts_with(p.executor_host_path)) {
    return "mounts a path of the node";
  }
  return std::nullopt;
}

// Environment variables a job may not set (EnvNameReason), upper case.
struct EnvRule {
  std::string_view name;
  bool prefix;
  std::string_view reader;
};

constexpr std::string_view kShell = "the shell";
constexpr std::string_view kLibc = "the C library";
constexpr std::string_view kJvm = "the JVM";
constexpr std::string_view kLoader = "the dynamic loader";

constexpr EnvRule kEnvRules[] = {
    {"SPARKD_", true, "sparkd"},
    {"SPARK", true, "Spark's scripts, launcher and pod entrypoint"},
    {"PYSPARK_", true, "PySpark"},
    {"PYTHON", true, "Python"},
    {"HOME", false, "the shell and Python"},
    {"JAVA_", true, kJvm},
    {"_JAVA_", true, kJvm},
    {"JDK_", true, kJvm},
    {"CLASSPATH", false, kJvm},
    {"LD_", true, kLoader},
    {"DYLD_", true, kLoader},
    {"PATH", false, kShell},
    {"IFS", false, kShell},
    {"ENV", false, kShell},
    {"BASH_", true, kShell},
    {"BASHOPTS", false, kShell},
    {"SHELLOPTS", false, kShell},
    {"PS4", false, kShell},
    {"CDPATH", false, kShell},
    {"GLOBIGNORE", false, kShell},
    {"GCONV_PATH", false, kLibc},
    {"GETCONF_DIR", false, kLibc},
    {"HOSTALIASES", false, kLibc},
    {"LOCALDOMAIN", false, kLibc},
    {"LOCPATH", false, kLibc},
    {"MALLOC_", true, kLibc},
    {"NIS_PATH", false, kLibc},
    {"NLSPATH", false, kLibc},
    {"RESOLV_HOST_CONF", false, kLibc},
    {"RES_OPTIONS", false, kLibc},
    {"TZDIR", false, kLibc},
    {"HADOOP_", true, "Hadoop"},
    {"YARN_", true, "Hadoop"},
    {"HDFS_", true, "Hadoop"},
    {"HIVE_", true, "Hive"},
    {"KRB5", true, "Kerberos"},
    {"KUBE", true, "the Kubernetes client"},
    {"APPLICATION_WEB_PROXY_BASE", false, "Spark's UI"},
};

// Conf keys whose last part names an environment variable of the driver or executors (lower
// case: spark.executorEnv., spark.kubernetes.driverEnv., ...).
constexpr std::string_view kEnvConfPrefixes[] = {
    "spark.executorenv.",
    "spark.kubernetes.driverenv.",
    "spark.yarn.appmasterenv.",
    "spark.mesos.driverenv.",
    "spark.kubernetes.driver.secretkeyref.",
    "spark.kubernetes.executor.secretkeyref.",
};

// Java's Character.isWhitespace: the separators of parseOptionString.
bool IsJavaWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x205f || c == 0x3000;
}

Status CheckKeySpelling(std::string_view key) {
  if (key.empty()) return InvalidArgument("conf: empty key");
  for (unsigned char c : key) {
    std::string why;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      why = "contains whitespace";
    } else if (c == '=') {
      why = "contains '='; spark-submit would split the entry there";
    } else if (c < 0x21 || c > 0x7e) {
      why = "is not printable ASCII; Spark conf keys are";
    }
    if (!why.empty()) {
      // Printable keys are named; others might carry anything, so only their length is.
      std::string shown = TextProblem(key, TextKind::kName).empty()
                              ? Quoted(key)
                              : "of " + std::to_string(key.size()) + " bytes";
      return InvalidArgument("conf: key " + shown + " " + why);
    }
  }
  return Status::Ok();
}

Status CheckJavaOptions(std::string_view key, std::string_view value) {
  std::string path = MapEntryPath("conf", key);
  auto options = SplitJavaOptions(value);
  if (!options.ok()) return options.status().WithContext(path);
  for (const std::string& option : *options) {
    std::string lower = Lower(option);
    if (option.starts_with('@') || lower.starts_with("-xx:vmoptionsfile") ||
        lower.starts_with("-xx:flags")) {
      return InvalidArgument(path + ": " + Quoted(option) +
                             " makes the JVM read options from a file; give the options here");
    }
    if (!option.starts_with("-D")) continue;
    std::string name = option.substr(2, option.find('=') - 2);
    std::string lower_name = Lower(name);
    if (lower_name.starts_with("spark.") || lower_name == "hadoop_user_name") {
      return InvalidArgument(path + ": -D" + name +
                             " sets Spark conf as a JVM system property, out of sparkd's "
                             "checks; set conf." +
                             Quoted(name) + " instead");
    }
  }
  return Status::Ok();
}

Status CheckEnvConfKey(std::string_view key, std::string_view lower) {
  for (std::string_view prefix : kEnvConfPrefixes) {
    if (!lower.starts_with(prefix)) continue;
    std::string_view name = key.substr(prefix.size());
    if (auto why = EnvNameReason(name)) {
      return InvalidArgument(MapEntryPath("conf", key) + ": sets the environment variable " +
                             std::string(name) + ", which " + *why);
    }
  }
  return Status::Ok();
}

}  // namespace

std::optional<std::string> SandboxReason(std::string_view key) {
  return SandboxReasonOf(key, false);
}

std::optional<std::string> DaemonOwnedReason(std::string_view key) {
  std::string lower = Lower(key);
  for (const auto& owned : kDaemonOwned) {
    if (owned.prefix ? lower.starts_with(owned.key) : lower == owned.key) {
      return std::string(owned.why);
    }
  }
  return std::nullopt;
}

std::optional<std::string> EnvNameReason(std::string_view name) {
  bool posix = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
               });
  if (!posix) return "is not a POSIX name (letters, digits and '_', not starting with a digit)";
  std::string upper = Upper(name);
  for (const auto& rule : kEnvRules) {
    if (rule.prefix ? upper.starts_with(rule.name) : upper == rule.name) {
      return "is read by " + std::string(rule.reader) +
             " to find code, options or configuration; the daemon sets such variables, a job "
             "may not";
    }
  }
  return std::nullopt;
}

StatusOr<std::vector<std::string>> SplitJavaOptions(std::string_view s) {
  std::vector<std::string> options;
  std::string option;
  bool in_option = false, single = false, double_quote = false, escape = false;
  for (size_t i = 0; i < s.size();) {
    char32_t c = 0;
    size_t length = DecodeUtf8(s, i, c);
    if (length == 0) return InvalidArgument("not valid UTF-8");
    std::string_view bytes = s.substr(i, length);
    i += length;
    if (escape) {
      option += bytes;
      escape = false;
    } else if (c == '\\' && !single) {
      escape = in_option = true;
    } else if (c == '\'' && !double_quote) {
      single = !single;
      in_option = true;
    } else if (c == '"' && !single) {
      double_quote = !double_quote;
      in_option = true;
    } else if (IsJavaWhitespace(c) && !single && !double_quote) {
      if (in_option) options.push_back(std::move(option));
      option.clear();
      in_option = false;
    } else {
      option += bytes;
      in_option = true;
    }
  }
  if (single || double_quote || escape) {
    return InvalidArgument(
        "an unclosed quote or a trailing backslash (Spark's launcher refuses it)");
  }
  if (in_option) options.push_back(std::move(option));
  return options;
}

Status CheckConfPolicy(std::string_view key, std::string_view value) {
  RETURN_IF_ERROR(CheckKeySpelling(key));
  std::string path = MapEntryPath("conf", key);
  if (auto why = DaemonOwnedReason(key)) {
    return InvalidArgument(path + ": set by sparkd (" + *why +
                           "); neither a preset nor a request may set it");
  }
  std::string lower = Lower(key);
  if (auto folded = SandboxReasonOf(lower, true); folded && !SandboxReasonOf(key, false)) {
    return InvalidArgument(path + ": differs only by case from a key that " + *folded +
                           "; Spark conf keys are case-sensitive, so write it exactly");
  }
  RETURN_IF_ERROR(CheckEnvConfKey(key, lower));
  RETURN_IF_ERROR(CheckText(path, value, TextKind::kValue));
  if (lower.ends_with("javaoptions")) RETURN_IF_ERROR(CheckJavaOptions(key, value));
  return Status::Ok();
}

ConfFileKind FileKindOfConfKey(std::string_view key) {
  static constexpr std::string_view kFileLists[] = {"spark.jars",
                                                    "spark.submit.pyFiles",
                                                    "spark.files",
                                                    "spark.archives",
                                                    "spark.jars.repositories",
                                                    "spark.yarn.dist.jars",
                                                    "spark.yarn.dist.files",
                                                    "spark.yarn.dist.archives",
                                                    "spark.yarn.dist.pyFiles"};
  static constexpr std::string_view kFiles[] = {"spark.jars.ivySettings",
                                                "spark.kubernetes.driver.podTemplateFile",
                                                "spark.kubernetes.executor.podTemplateFile",
                                                "spark.kubernetes.kerberos.krb5.path",
                                                "spark.kerberos.keytab",
                                                "spark.yarn.keytab",
                                                "spark.driver.resourcesFile"};
  static constexpr std::string_view kHostPathLists[] = {
      "spark.driver.extraClassPath", "spark.executor.extraClassPath",
      "spark.driver.extraLibraryPath", "spark.executor.extraLibraryPath",
      "spark.yarn.am.extraLibraryPath"};
  auto in = [&](std::span<const std::string_view> keys) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  if (in(kFileLists)) return ConfFileKind::kFileList;
  // spark.{driver,executor,worker}.resource.<name>.discoveryScript: a script Spark runs.
  if (in(kFiles) || (key.starts_with("spark.") && key.ends_with(".discoveryScript"))) {
    return ConfFileKind::kFile;
  }
  if (in(kHostPathLists)) return ConfFileKind::kHostPathList;
  return ConfFileKind::kNone;
}

}  // namespace sparkd
