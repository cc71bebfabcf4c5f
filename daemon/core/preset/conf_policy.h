// Which Spark conf keys, environment variables and JVM options the layers of a job (daemon
// defaults, presets, the request) may set. A key is refused wherever it can be spelled: as a
// conf key, as a -D system property inside a *JavaOptions value, through an environment
// variable that the launch chain reads, or in another case.
//
// 1. Daemon-owned keys (DaemonOwnedReason) are what sparkd sets or must control to run, observe
//    and link a job: where it runs (master, deploy mode, Kubernetes context and API server), how
//    the daemon reaches it (driver host, bind address and ports, block manager port, UI port and
//    proxy base, the application id, pod names), what the daemon reads back (the whole event
//    log family: its folder, compression and rolling decide the file the daemon reads), the
//    history server, redaction (keeps secrets out of event logs and UIs that other people see),
//    metrics sinks (files of the daemon's host), and folders of the daemon's host that Spark
//    writes (spark.local.dir, spark.jars.ivy, spark.driver.log.dfsDir). No layer may set them:
//    not a request, not a preset (team admins are tenants too), not the daemon defaults.
// 2. Sandbox keys (SandboxReason) choose the job's namespace, credentials, service account, pod
//    templates, node paths and pod feature steps: presets and daemon defaults may set them, a
//    request may not.
// 3. Spelling: conf keys are printable ASCII without whitespace or '=' (spark-submit splits
//    `--conf k=v` at the first '='); a key that differs from a rule 1 or 2 key only by case is
//    refused (Spark keys are case-sensitive, so Spark would ignore it, but a reader would not);
//    *JavaOptions values, split the way Spark's launcher splits them (quotes and backslashes),
//    may not set Spark conf as system properties (-Dspark.*: Spark conf goes in conf, where
//    these rules see it) nor read JVM options from a file (@file, -XX:VMOptionsFile,
//    -XX:Flags); environment variable names follow EnvNameReason, in `env` and in the env keys
//    of conf (spark.executorEnv.X, spark.kubernetes.driverEnv.X, spark.yarn.appMasterEnv.X,
//    spark.kubernetes.{driver,executor}.secretKeyRef.X).
//
// Other JVM options (-javaagent, -XX:OnError, ...) stay the job's business: on Kubernetes they
// act inside the job's own pods; on the local backend the job's code runs as the daemon's user
// anyway (README, "Security model").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace sparkd {

// Why `key` may not come from a job request (rule 2), or nullopt. Exact spelling.
std::optional<std::string> SandboxReason(std::string_view key);

// Why no layer may set `key` (rule 1), or nullopt. Compared without case.
std::optional<std::string> DaemonOwnedReason(std::string_view key);

// Why a job may not set the environment variable `name`, or nullopt. Refused: names that are
// not POSIX names (letters, digits, '_'), and names that a program of the launch chain reads to
// find code, options or configuration: the shell (PATH, IFS, ENV, BASH_*, ...), the dynamic
// loader and C library (LD_*, GCONV_PATH, ...), the JVM (JAVA_*, _JAVA_OPTIONS,
// JDK_JAVA_OPTIONS, CLASSPATH), Spark's scripts, launcher and pod entrypoint (SPARK*, which also
// covers sparkd's own SPARKD_*), PySpark and Python (PYSPARK_*, PYTHON*, HOME), Hadoop, YARN,
// Hive and Kerberos (HADOOP_*, YARN_*, HIVE_*, KRB5*), and the Kubernetes client (KUBE*).
// Compared without case.
std::optional<std::string> EnvNameReason(std::string_view name);

// Splits a JVM option string as Spark's launcher does (CommandBuilderUtils.parseOptionString):
// whitespace as Java's Character.isWhitespace sees it separates options, single and double
// quotes group, a backslash outside single quotes escapes the next character. An unclosed
// quote or a trailing backslash is INVALID_ARGUMENT, as the launcher refuses it too.
// `options` must be valid UTF-8.
StatusOr<std::vector<std::string>> SplitJavaOptions(std::string_view options);

// Rules 1 and 3 for one conf entry of any layer (rule 2 is the request's alone: resolve.cc).
// Errors name the entry (conf."spark.eventLog.dir": set by sparkd ...).
Status CheckConfPolicy(std::string_view key, std::string_view value);

// Keys whose values name files that Spark reads, held to the daemon's file policy
// (file_policy.h): kFileList values are comma-separated paths or URLs (spark.jars, ...), kFile
// one path or URL (pod templates, keytabs, Ivy settings, resource discovery scripts),
// kHostPathList ':'-separated paths of the machine the JVM runs on (extraClassPath, ...).
enum class ConfFileKind { kNone, kFileList, kFile, kHostPathList };
ConfFileKind FileKindOfConfKey(std::string_view key);

}  // namespace sparkd
