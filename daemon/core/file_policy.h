// Which files a job may name: its application file, py_files, jars and files, and the conf keys
// that name files (conf_policy.h FileKindOfConfKey). A value is either
//   - a URL of an allowed scheme (https, s3a, gs, abfss, hdfs, and local — a path inside the
//     image on Kubernetes — by default), taken as it is: the cluster's credentials decide what
//     it can read; or
//   - a local path: absolute, plain or as a file: URL (file:/p, file:///p, file://localhost/p),
//     on the local backend also a local: URL (Spark reads it from this host there). Its
//     segments may not be "..", and it may not hold '%', '?' or '#' (Spark would decode or cut
//     them, so the path checked would not be the path read). Its normalised form must lie under
//     one of the configured roots and outside every denied folder (the daemon's data folder,
//     where the job folders are); with a resolver (the edge's realpath), the path with its
//     symlinks resolved must too.
// A relative path, an empty value, a bare name (spark-internal, pyspark-shell, ...) or any
// other scheme is refused. Errors name the field: `file: "/etc/shadow" is not under an allowed
// root (/srv/jobs)`.
//
// Pure apart from the resolver, which the daemon's wiring supplies; copyable; thread-safe when
// the resolver is.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

struct FilePolicyOptions {
  std::vector<std::string> roots;   // absolute folders; local paths must lie under one
  std::vector<std::string> denied;  // absolute folders no local path may lie under
  std::vector<std::string> schemes = DefaultSchemes();  // lower case, without ':'
  // True on the local backend: local: URLs name paths of this host and get the path rules.
  bool local_urls_are_host_paths = true;
  // The path with its symlinks resolved (an absolute, normalised path in, the same out when
  // it cannot be resolved); null checks the normalised path only.
  std::function<std::string(const std::string&)> resolve;

  static std::vector<std::string> DefaultSchemes();
};

class FilePolicy {
 public:
  // No roots: every local path is refused, URLs of the default schemes pass.
  FilePolicy();
  // Roots and denied folders must be absolute; they are normalised (trailing '/' dropped).
  static StatusOr<FilePolicy> Create(FilePolicyOptions options);

  // One value of `field` ("file", "jars[2]", "conf.\"spark.jars\"").
  Status Check(std::string_view field, std::string_view value) const;

  // Every file a request names: file, py_files, jars, files, and the values of the conf keys
  // that name files. For a submission this is the effective request (with the conf rendered
  // from the resolved spec), so files from presets are held to the same rules.
  Status CheckRequest(const JobRequest& request) const;

 private:
  explicit FilePolicy(FilePolicyOptions options) : options_(std::move(options)) {}
  Status CheckLocal(std::string_view field, std::string_view value, std::string_view path) const;
  Status CheckHostPathList(std::string_view field, std::string_view value) const;
  std::string RootsText() const;

  FilePolicyOptions options_;
};

}  // namespace sparkd
