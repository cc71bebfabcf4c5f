// A JobRequest from the JSON a DAG author's operator sends (the snake_case keys of
// sparkd.v1.JobRequest, as job_json.h writes them), read strictly: at DAG parse time a typo
// such as "executor_memory" must fail with a suggestion instead of being ignored. The store
// reads the rows it wrote with the same reader, ignoring keys it does not know: a row written
// by a newer daemon during a rolling upgrade must still load.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/core/job.h"
#include "daemon/core/status.h"

namespace sparkd {

enum class UnknownKeys { kRefuse, kIgnore };

// Conf, env and label values may be numbers or booleans (written as Spark reads them).
StatusOr<JobRequest> ParseRequestJson(const nlohmann::json& json,
                                      UnknownKeys unknown = UnknownKeys::kRefuse);

}  // namespace sparkd
