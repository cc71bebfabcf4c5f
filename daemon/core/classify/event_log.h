// Internal to the classifier: Spark event log lines (JSON, one event a line).
#pragma once

#include <functional>
#include <string_view>

#include "daemon/core/classify/facts.h"

namespace sparkd::classify {

// Reads one event log line into the facts of the executor it names. `subject(id)` returns the
// facts for an executor id (nullptr when the classifier is full). Events other than
// ExecutorAdded/Removed and failed TaskEnd are ignored; a truncated line is scanned for its
// fields by substring.
void EventLogLine(std::string_view line, const std::function<Facts*(std::string_view)>& subject);

}  // namespace sparkd::classify
