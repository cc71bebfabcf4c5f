// The cost of conf keys sparkd does not know: each one gets a warning with a did-you-mean
// suggestion searched among the known keys. Prints microseconds per unknown key for
// ValidateRequest (what the provider runs at DAG parse time) and ResolveJob (every SubmitJob
// and ResolveJob), with keys that resemble real ones (same length, same prefixes) so the search
// cannot stop early on length alone, and a request with more keys than the limit allows.
//
//   unknown_conf_bench [keys, default 500] [rounds, default 20]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/core/preset/resolve.h"

namespace sparkd {
namespace {

JobRequest RequestWithUnknownKeys(int keys) {
  static constexpr const char* kStems[] = {
      "spark.sql.adaptive.coalescePartitions.minimumSize", "spark.executor.memoryOverheadFactorX",
      "spark.kubernetes.executor.podNamePrefixes", "spark.dynamicAllocation.idleTimeoutMs",
      "spark.sql.shuffle.partitionsPerCore"};
  JobRequest request;
  request.file = "s3a://jobs/etl.py";
  for (int i = 0; i < keys; ++i) {
    request.conf[std::string(kStems[i % 5]) + std::to_string(i)] = "1";
  }
  return request;
}

template <typename F>
double MicrosEach(int rounds, F&& body) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) body();
  std::chrono::duration<double, std::micro> spent = std::chrono::steady_clock::now() - start;
  return spent.count() / rounds;
}

int Run(int keys, int rounds) {
  JobRequest request = RequestWithUnknownKeys(keys);
  size_t warnings = 0;
  std::string outcome = "ok";
  double validate = MicrosEach(rounds, [&] {
    auto result = ValidateRequest(request);
    if (result.ok()) {
      warnings = result->size();
    } else {
      outcome = result.status().message();
    }
  });
  double resolve = MicrosEach(rounds, [&] {
    auto result = ResolveJob(ResolveLayers{}, request);
    if (!result.ok()) outcome = result.status().message();
  });
  std::printf("%d unknown conf keys: %s (%zu warnings)\n", keys, outcome.c_str(), warnings);
  std::printf("ValidateRequest  %10.0f us per call  %7.2f us per key\n", validate, validate / keys);
  std::printf("ResolveJob       %10.0f us per call  %7.2f us per key\n", resolve, resolve / keys);
  return 0;
}

}  // namespace
}  // namespace sparkd

int main(int argc, char** argv) {
  int keys = argc > 1 ? std::atoi(argv[1]) : 500;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  return sparkd::Run(keys > 0 ? keys : 500, rounds > 0 ? rounds : 20);
}
