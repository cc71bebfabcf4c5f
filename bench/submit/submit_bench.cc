// SubmitJob throughput and latency through the daemon at 1, 8 and 64 concurrent clients, beside
// the raw libpq rate for the same rows on the same PostgreSQL: the store's one CreateJob
// statement (jobs row + first job_events row, one autocommit transaction per job).
// Prints figures; not a test. scripts/bench-submit sets up Postgres and the daemon and runs it.
//
//   submit_bench --raw-url URL --daemon HOST:PORT [--clients 1,8,64] [--seconds 5]
//                [--warmup 1] [--token TOKEN] [--team TEAM]
// --token is sent as a bearer token; --team is the team the raw rows carry (the one the daemon
// stores for that token's caller).
// Either side may be left out; the ratio and the target need both.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/submit/load.h"
#include "bench/submit/workload.h"

namespace sparkd::bench {
namespace {

constexpr int kTargetClients = 64;
constexpr double kTargetRatio = 0.5;

constexpr const char* kUsage =
    "usage: submit_bench [--raw-url URL] [--daemon HOST:PORT] [--clients 1,8,64]\n"
    "                    [--seconds 5] [--warmup 1] [--token TOKEN] [--team default]\n";

struct Flags {
  std::string raw_url;
  std::string daemon;
  std::string token;
  std::string team = "default";
  std::vector<int> clients = {1, 8, 64};
  double seconds = 5;
  double warmup = 1;
};

std::optional<std::vector<int>> ParseList(const std::string& text) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    int n = std::atoi(text.substr(pos, comma - pos).c_str());
    if (n <= 0) return std::nullopt;
    out.push_back(n);
    pos = comma + 1;
  }
  return out;
}

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  std::map<std::string, std::string> values;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (!arg.starts_with("--")) return std::nullopt;
    if (eq != std::string::npos) {
      values[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      values[arg.substr(2)] = argv[++i];
    } else {
      return std::nullopt;
    }
  }
  for (const auto& [name, value] : values) {
    if (name == "raw-url") {
      f.raw_url = value;
    } else if (name == "daemon") {
      f.daemon = value;
    } else if (name == "token") {
      f.token = value;
    } else if (name == "team") {
      f.team = value;
    } else if (name == "clients") {
      auto list = ParseList(value);
      if (!list) return std::nullopt;
      f.clients = *list;
    } else if (name == "seconds") {
      f.seconds = std::atof(value.c_str());
    } else if (name == "warmup") {
      f.warmup = std::atof(value.c_str());
    } else {
      return std::nullopt;
    }
  }
  if ((f.raw_url.empty() && f.daemon.empty()) || f.seconds <= 0 || f.warmup < 0) {
    return std::nullopt;
  }
  return f;
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// Runs one point; a client that cannot connect ends the benchmark.
LoadResult Measure(const char* what, const Flags& flags, int clients,
                   const ClientFactory& factory) {
  std::fprintf(stderr, "  %s, %d client(s)...\n", what, clients);
  auto result = RunLoad(LoadOptions{clients, Millis(flags.warmup), Millis(flags.seconds)}, factory);
  if (!result.ok()) {
    std::fprintf(stderr, "submit_bench: %s: %s\n", what, result.status().ToString().c_str());
    std::exit(1);
  }
  if (result->errors > 0) {
    std::fprintf(stderr, "  %s: %lld failed, first: %s\n", what,
                 static_cast<long long>(result->errors), result->first_error.c_str());
  }
  return *result;
}

struct Row {
  int clients;
  std::optional<LoadResult> raw, daemon;
};

void PrintTable(const std::vector<Row>& rows) {
  std::printf("%7s | %10s %8s %8s | %10s %8s %8s %6s | %6s\n", "clients", "raw ins/s", "p50 ms",
              "p99 ms", "daemon/s", "p50 ms", "p99 ms", "errors", "ratio");
  for (const Row& r : rows) {
    std::printf("%7d |", r.clients);
    if (r.raw) {
      std::printf(" %10.0f %8.2f %8.2f |", r.raw->per_second, r.raw->p50_ms, r.raw->p99_ms);
    } else {
      std::printf(" %10s %8s %8s |", "-", "-", "-");
    }
    if (r.daemon) {
      std::printf(" %10.0f %8.2f %8.2f %6lld |", r.daemon->per_second, r.daemon->p50_ms,
                  r.daemon->p99_ms, static_cast<long long>(r.daemon->errors));
    } else {
      std::printf(" %10s %8s %8s %6s |", "-", "-", "-", "-");
    }
    if (r.raw && r.daemon && r.raw->per_second > 0) {
      std::printf(" %6.2f\n", r.daemon->per_second / r.raw->per_second);
    } else {
      std::printf(" %6s\n", "-");
    }
  }
}

void PrintTarget(const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    if (r.clients != kTargetClients || !r.raw || !r.daemon || r.raw->per_second <= 0) continue;
    double ratio = r.daemon->per_second / r.raw->per_second;
    std::printf("target: daemon >= %.1f x raw at %d clients: %s (%.2f)\n", kTargetRatio,
                kTargetClients, ratio >= kTargetRatio ? "MET" : "NOT MET", ratio);
    return;
  }
  std::printf("target: daemon >= %.1f x raw at %d clients: not measured\n", kTargetRatio,
              kTargetClients);
}

int Main(int argc, char** argv) {
  auto flags = ParseFlags(argc, argv);
  if (!flags) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  WorkloadOptions workload{RealisticRequest(), "", flags->team, flags->token};
  auto epoch = std::chrono::system_clock::now().time_since_epoch();
  const std::string run =
      "run_" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(epoch).count());
  std::fprintf(stderr, "submit_bench: %.1f s per point after %.1f s warm-up, request %zu bytes\n",
               flags->seconds, flags->warmup, workload.request.ByteSizeLong());
  std::vector<Row> rows;
  for (int clients : flags->clients) {
    Row row{clients, std::nullopt, std::nullopt};
    workload.run = run + "_" + std::to_string(clients);  // client indexes repeat across points
    if (!flags->raw_url.empty()) {
      row.raw = Measure("raw libpq", *flags, clients, RawInsertClients(flags->raw_url, workload));
    }
    if (!flags->daemon.empty()) {
      row.daemon = Measure("daemon SubmitJob", *flags, clients,
                           DaemonSubmitClients(flags->daemon, workload));
    }
    rows.push_back(std::move(row));
  }
  PrintTable(rows);
  PrintTarget(rows);
  return 0;
}

}  // namespace
}  // namespace sparkd::bench

int main(int argc, char** argv) { return sparkd::bench::Main(argc, argv); }
