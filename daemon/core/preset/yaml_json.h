// YAML text to JSON values, keeping what the author wrote: a plain scalar becomes a number or a
// boolean only when that loses nothing ("0123" and "1e3" stay strings), quoted scalars stay
// strings. yaml-cpp's exceptions end here and become INVALID_ARGUMENT with line and column.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "daemon/core/status.h"

namespace sparkd {

StatusOr<nlohmann::json> YamlToJson(std::string_view yaml);

}  // namespace sparkd
