// Spark's memory sizes ("512m", "4g", "1t"): the units spark.*.memory accepts.
#pragma once

#include <cstdint>
#include <string_view>

#include "daemon/core/status.h"

namespace sparkd {

// Parses a Spark size into bytes. A bare number means MiB, as spark.executor.memory reads it.
// Errors say what is wrong and suggest the Spark spelling ("4gb" → did you mean "4g"?).
StatusOr<int64_t> ParseSparkSize(std::string_view text);

// Megabytes, rounded up: what local-cluster[...] and spark-submit's --*-memory want.
int64_t BytesToMebibytesCeil(int64_t bytes);

}  // namespace sparkd
