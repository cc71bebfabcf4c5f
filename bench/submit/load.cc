#include "bench/submit/load.h"

#include <algorithm>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

namespace sparkd::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct ClientRecord {
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  std::string first_error;
  Status setup = Status::Ok();
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// The window opens only once every client has connected (`ready`); `go` publishes its bounds
// to the clients.
struct Window {
  std::latch ready;
  std::latch go{1};
  SteadyClock::time_point begin, end;
  explicit Window(int clients) : ready(clients) {}
};

void RunClient(const ClientFactory& factory, int index, Window& window, ClientRecord& record) {
  auto op = factory(index);
  if (!op.ok()) record.setup = op.status();
  window.ready.count_down();
  window.go.wait();
  if (!record.setup.ok()) return;
  record.latencies_ms.reserve(1 << 14);
  while (true) {
    auto started = SteadyClock::now();
    if (started >= window.end) return;
    std::string error = (*op)();
    auto finished = SteadyClock::now();
    if (started < window.begin || finished > window.end) continue;
    if (!error.empty()) {
      if (record.errors++ == 0) record.first_error = std::move(error);
      continue;
    }
    record.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(finished - started).count());
  }
}

}  // namespace

StatusOr<LoadResult> RunLoad(const LoadOptions& options, const ClientFactory& factory) {
  Window window(options.clients);
  std::vector<ClientRecord> records(options.clients);
  std::vector<std::jthread> threads;
  threads.reserve(options.clients);
  for (int i = 0; i < options.clients; ++i) {
    threads.emplace_back([&, i] { RunClient(factory, i, window, records[i]); });
  }
  window.ready.wait();
  window.begin = SteadyClock::now() + options.warmup;
  window.end = window.begin + options.measure;
  window.go.count_down();
  threads.clear();  // joins

  LoadResult result;
  std::vector<double> all;
  for (auto& r : records) {
    if (!r.setup.ok()) return r.setup;
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    result.errors += r.errors;
    if (result.first_error.empty()) result.first_error = r.first_error;
  }
  std::sort(all.begin(), all.end());
  result.ok = static_cast<int64_t>(all.size());
  result.per_second =
      static_cast<double>(result.ok) / std::chrono::duration<double>(options.measure).count();
  result.p50_ms = Percentile(all, 0.50);
  result.p99_ms = Percentile(all, 0.99);
  return result;
}

}  // namespace sparkd::bench
