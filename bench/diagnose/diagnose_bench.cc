// Classifier benchmark (issue 3): a ~1 GB synthetic mixed driver log streamed through
// LogClassifier, and 100k pod objects through DiagnoseText. `grep -c` over the same file is
// timed in the same run so the figure can be read against the machine, not in isolation.
//
//   diagnose_bench [--size-mb N] [--pods N] [--dir DIR] [--keep]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/core/classify/classify.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace cls = sparkd::classify;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The mix of a busy Spark 3.5 driver log: mostly task and block manager chatter, now and then
// an executor loss paragraph of each kind.
std::string LogBlock(int n) {
  std::string e = std::to_string(n % 400);
  std::string t = std::to_string(n);
  std::string s;
  for (int i = 0; i < 40; ++i) {
    s += "26/03/02 01:27:52 INFO TaskSetManager: Finished task " + t + "." + std::to_string(i) +
         " in stage 3.0 (TID " + t + ") in 412 ms on 10.42.1.19 (executor " + e + ") (17/200)\n";
    s += "26/03/02 01:27:52 INFO BlockManagerInfo: Added broadcast_12_piece0 in memory on "
         "10.42.1.19:41235 (size: 7.1 KiB, free: 2.1 GiB)\n";
    s += "26/03/02 01:27:52 INFO TaskSetManager: Starting task 18.0 in stage 3.0 (TID 212) "
         "(10.42.1.19, executor " +
         e + ", partition 18, PROCESS_LOCAL, 7823 bytes)\n";
    s += "26/03/02 01:27:53 INFO MemoryStore: Block rdd_7_3 stored as values in memory "
         "(estimated size 12.4 MiB, free 1.9 GiB)\n";
  }
  switch (n % 4) {
    case 0:
      s += "26/03/02 01:27:52 ERROR TaskSchedulerImpl: Lost executor " + e +
           " on 10.42.1.19: \nThe executor with id " + e +
           " exited with exit code 137(SIGKILL, possible container OOM).\n\n\n\nThe API gave "
           "the following container statuses:\n\n\n\t container name: "
           "spark-kubernetes-executor\n\t container image: registry.example.com/spark:3.5.3\n\t "
           "container state: terminated\n\t exit code: 137\n\t termination reason: OOMKilled\n";
      break;
    case 1:
      s += "26/03/02 03:44:19 WARN HeartbeatReceiver: Removing executor " + e +
           " with no recent heartbeats: 162314 ms exceeds timeout 120000 ms\n";
      break;
    case 2:
      s += "26/03/02 04:01:00 INFO ExecutorAllocationManager: Executors " + e +
           " removed due to idle timeout.\n";
      break;
    default:
      s += "26/03/02 02:10:33 WARN TaskSetManager: Lost task 1.0 in stage 2.0 (TID 9) "
           "(10.0.0.5 executor " +
           e + "): java.lang.OutOfMemoryError: Java heap space\n";
  }
  return s;
}

std::string PodJson(int n) {
  static const char* kStates[] = {
      R"("terminated":{"exitCode":137,"reason":"OOMKilled"})",
      R"("terminated":{"exitCode":52,"reason":"Error"})",
      R"("terminated":{"exitCode":0,"reason":"Completed"})",
      R"("waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"})"};
  std::string id = std::to_string(n);
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"etl-)" + id + R"(-exec-)" + id +
         R"(","namespace":"analytics","labels":{"spark-role":"executor",)"
         R"("spark-exec-id":")" +
         id +
         R"("}},"spec":{"nodeName":"ip-10-0-3-17",)"
         R"("containers":[{"name":"fluent-bit"},{"name":"spark-kubernetes-executor",)"
         R"("resources":{"limits":{"memory":"4505Mi"}}}]},"status":{"phase":"Failed",)"
         R"("containerStatuses":[{"name":"fluent-bit","state":{"terminated":{"exitCode":0,)"
         R"("reason":"Completed"}}},{"name":"spark-kubernetes-executor","restartCount":0,)"
         R"("state":{)" +
         kStates[n % 4] +
         R"(}}],"conditions":[{"type":"PodScheduled",)"
         R"("status":"True"}]}})";
}

double GrepSeconds(const std::string& path, std::string* count) {
  auto start = Clock::now();
  std::string cmd = "grep -c 'Lost executor' '" + path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[64] = {0};
  if (p && fgets(buf, sizeof(buf), p)) *count = buf;
  if (p) pclose(p);
  while (!count->empty() && count->back() == '\n') count->pop_back();
  return Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  size_t size_mb = 1024;
  int pods = 100000;
  std::string dir = std::filesystem::temp_directory_path();
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--size-mb" && i + 1 < argc)
      size_mb = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--pods" && i + 1 < argc)
      pods = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--keep")
      keep = true;
    else {
      std::cerr << "usage: diagnose_bench [--size-mb N] [--pods N] [--dir DIR] [--keep]\n";
      return 2;
    }
  }
  std::string path = dir + "/sparkd-diagnose-bench.log";
  {
    std::ofstream out(path, std::ios::binary);
    size_t written = 0;
    for (int n = 0; written < size_mb << 20; ++n) {
      std::string block = LogBlock(n);
      out << block;
      written += block.size();
    }
    if (!out) {
      std::cerr << "cannot write " << path << "\n";
      return 1;
    }
  }
  double mb = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);

  auto start = Clock::now();
  cls::LogClassifier classifier("bench");
  std::ifstream in(path, std::ios::binary);
  std::string chunk(1 << 20, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    classifier.AddChunk(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
  }
  std::vector<cls::Diagnosis> ds = classifier.Finish();
  double log_s = Seconds(start);
  std::string grep_count;
  double grep_s = GrepSeconds(path, &grep_count);
  if (!keep) std::filesystem::remove(path);

  std::vector<std::string> objects;
  for (int i = 0; i < 1000; ++i) objects.push_back(PodJson(i));
  start = Clock::now();
  size_t classified = 0;
  for (int i = 0; i < pods; ++i) classified += cls::DiagnoseText(objects[i % 1000], "pod").size();
  double pod_s = Seconds(start);

  std::printf("driver log: %.0f MB in %.2f s = %.0f MB/s (%zu subjects)\n", mb, log_s, mb / log_s,
              ds.size());
  std::printf("grep -c 'Lost executor': %.2f s = %.0f MB/s (count %s); classifier/grep = %.2f\n",
              grep_s, mb / grep_s, grep_count.c_str(), grep_s / log_s);
  std::printf("pod objects: %d in %.2f s = %.0f objects/s (%zu diagnoses)\n", pods, pod_s,
              pods / pod_s, classified);
  return 0;
}
