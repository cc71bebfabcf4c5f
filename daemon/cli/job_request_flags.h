// The flags that describe a job (`sparkd submit`, `run` and `resolve` share them) and the
// JobRequest they build.
#pragma once

#include "daemon/cli/flags.h"
#include "daemon/core/status.h"
#include "sparkd/v1/jobs.pb.h"

namespace sparkd::cli {

inline constexpr const char* kJobRequestFlagsHelp =
    "  --file APP               application jar or .py file (required)\n"
    "  --class MAIN             main class of a JVM application\n"
    "  --name NAME              application name\n"
    "  --job-type TYPE          the team preset to apply (default platform_default)\n"
    "  --driver-memory SIZE     e.g. 1g      --driver-cores N\n"
    "  --executor-memory SIZE   e.g. 4g      --executor-cores N\n"
    "  --num-executors N        executor count (local backend: with --local-cluster)\n"
    "  --dynamic-allocation     with --min-executors N --max-executors N --initial-executors N\n"
    "  --conf KEY=VALUE         Spark conf, repeatable\n"
    "  --env NAME=VALUE         environment of the driver and executors, repeatable; shown\n"
    "                           redacted when NAME looks secret, but use --secret-env for secrets\n"
    "  --secret-env NAME=SECRET:KEY  NAME gets the value of KEY of the team secret SECRET,\n"
    "                           which never leaves the daemon's host (local backend:\n"
    "                           <secrets-dir>/<team>/SECRET/KEY), repeatable\n"
    "  --label KEY=VALUE        job label, repeatable\n"
    "  --py-files A,B  --jars A,B  --files A,B\n"
    "                           local paths are sent absolute and must exist; URLs as given\n"
    "  --local-cluster          local backend: one JVM per executor (local-cluster[...])\n"
    "  -- ARGS...               the application's arguments\n";

FlagSpec JobRequestFlagSpec();

// Errors name the flag ("--num-executors: \"x\" is not a whole number"). Local paths (--file,
// --py-files, --jars, --files) come out absolute, resolved against the working directory, and
// must exist; URLs (hdfs://, s3a://, local:/, ...) are left as given.
StatusOr<v1::JobRequest> BuildJobRequest(const ParsedFlags& flags);

}  // namespace sparkd::cli
