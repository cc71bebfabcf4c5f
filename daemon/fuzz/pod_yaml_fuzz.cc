// libFuzzer target: the pod_yaml parser and the rules on whatever it extracts.
#include <cstddef>
#include <cstdint>

#include "daemon/core/classify/facts.h"
#include "daemon/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sparkd::classify;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Diagnosis> ds;
  for (const Facts& f : ParsePodObjects(text, true)) ds.push_back(Decide(f));
  fuzz::CheckDiagnoses(ds);
  return 0;
}
