// libFuzzer target: the streaming log classifier (driver and event log lines), fed in chunks
// whose boundaries come from the input so split lines are exercised too.
#include <cstddef>
#include <cstdint>

#include "daemon/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sparkd::classify;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  LogClassifier classifier("fuzz");
  size_t step = size > 0 ? (data[0] % 61) + 1 : 1;
  for (size_t i = 0; i < text.size(); i += step) classifier.AddChunk(text.substr(i, step));
  std::vector<Diagnosis> ds = classifier.Finish();
  if (ds.empty()) std::abort();
  fuzz::CheckDiagnoses(ds);
  return 0;
}
