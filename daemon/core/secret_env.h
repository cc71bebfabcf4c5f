// Secrets by reference: a job names a team secret and one of its keys (JobRequest.secret_env,
// or a preset's env entry with valueFrom.secretKeyRef) and never carries the value. On
// Kubernetes the reference becomes a secretKeyRef of the pods; the local backend reads it from
// the daemon's secrets directory at launch (daemon/cluster/secrets_dir.h). Names follow
// Kubernetes, so a reference that works locally works on a cluster and cannot name a path.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

// "" when `key` is a valid key of a Secret (Kubernetes IsConfigMapKey: [-._a-zA-Z0-9]+, at
// most 253 characters, not "." and not starting with ".."); else why not.
std::string CheckSecretKey(std::string_view key);

// Checks every secret_env entry (the variable name as env's are checked, EnvNameReason; the
// secret's name as a DNS subdomain; the key) and that no variable is both in env and in
// secret_env. Errors name the entry: `secret_env.API_TOKEN.name: ...`.
Status ValidateSecretEnv(const JobRequest& request);

// `name:key`, as the CLI's --secret-env and Spark's secretKeyRef conf write it.
std::string SecretRefText(const SecretKeyRef& ref);

}  // namespace sparkd
