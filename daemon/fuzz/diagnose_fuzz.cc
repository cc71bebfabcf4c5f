// libFuzzer target: kind detection and the whole DiagnoseText path, as `sparkd diagnose` runs.
#include <cstddef>
#include <cstdint>

#include "daemon/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sparkd::classify;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (WhyNotText(text)) return 0;
  std::vector<Diagnosis> ds = DiagnoseText(text, "fuzz");
  if (ds.empty()) std::abort();
  fuzz::CheckDiagnoses(ds);
  return 0;
}
