#include "daemon/cli/diagnose_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sparkd::cli {
namespace {

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result RunCli(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int status = RunDiagnoseCommand(args, in, out, err);
  return {status, out.str(), err.str()};
}

std::string Sample(const std::string& name) { return std::string(SPARKD_SAMPLES_DIR) + "/" + name; }

TEST(DiagnoseCommandTest, JsonOneObjectPerSubject) {
  Result r = RunCli({"--format", "json", Sample("13-get-pods-table.txt")});
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    for (const char* key :
         {"\"source\": ", "\"subject\": ", "\"id\": ", "\"reason\": ", "\"confidence\": ",
          "\"exit_code\": ", "\"evidence\": ", "\"advice\": "}) {
      EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
    }
  }
  EXPECT_EQ(count, 4);
  // A STATUS word alone is weak evidence, and says so.
  EXPECT_NE(r.out.find("\"reason\": \"OOM_KILLED\", \"confidence\": \"low\", \"exit_code\": null"),
            std::string::npos)
      << r.out;
}

// Two inputs about executor 3 (its pod, and a driver log line about it) give one verdict: the
// pod's OOMKilled beats the log's heartbeat inference, which stays quoted in the evidence.
TEST(DiagnoseCommandTest, InputsAboutOneSubjectGiveOneVerdict) {
  // The weaker input first: the verdict does not depend on the order.
  Result r = RunCli({"-", Sample("01-executor-oomkilled.json")},
                    "24/01/01 10:00:00 ERROR TaskSchedulerImpl: Lost executor 3 on 10.0.0.5: "
                    "Executor heartbeat timed out after 120000 ms\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("\"id\": \"3\", \"reason\": \"OOM_KILLED\", \"confidence\": \"high\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"source\": \"-, /"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weaker evidence said HEARTBEAT_TIMEOUT"), std::string::npos) << r.out;
}

// A paste that is not a whole log, pod or table is still read line by line, as DiagnoseText
// reads it: one kubelet Events row is an eviction.
TEST(DiagnoseCommandTest, OneEventsRowFromStdinIsRead) {
  Result r = RunCli({"-"},
                    "  Warning  Evicted  3m  kubelet  The node was low on resource: memory. "
                    "Container spark-kubernetes-executor was using 5Gi, which exceeds its request "
                    "of 4Gi.\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"reason\": \"EVICTED\""), std::string::npos) << r.out;
}

TEST(DiagnoseCommandTest, ExitCodeAndNullId) {
  Result r = RunCli({Sample("01-executor-oomkilled.json")});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("\"id\": \"3\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"exit_code\": 137"), std::string::npos) << r.out;
  r = RunCli({"-"}, "nothing to see here\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("\"id\": null"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"reason\": \"UNKNOWN\""), std::string::npos);
  EXPECT_NE(r.out.find("missing"), std::string::npos);
}

TEST(DiagnoseCommandTest, TextTable) {
  Result r = RunCli({"--format=text", Sample("16-driver-log-jvm-oom-52.txt"),
                     Sample("11-executor-oomkilled-describe.txt")});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("SOURCE", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("JVM_OOM"), std::string::npos);
  EXPECT_NE(r.out.find("OOM_KILLED"), std::string::npos);
  EXPECT_NE(r.out.find("spark.executor.memoryOverhead"), std::string::npos);
}

TEST(DiagnoseCommandTest, UnreadableInputsFailWithTheirName) {
  Result r = RunCli({"/nonexistent/x.log"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("/nonexistent/x.log: cannot open"), std::string::npos) << r.err;
  r = RunCli({std::string(SPARKD_SAMPLES_DIR)});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos);
  r = RunCli({"-"}, std::string("\x1f\x8b\x08\x00\x00\x00", 6));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("-: gzip"), std::string::npos) << r.err;
  // A bad input does not hide the good ones.
  r = RunCli({"/nonexistent", Sample("16-driver-log-jvm-oom-52.txt")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("JVM_OOM"), std::string::npos);
}

TEST(DiagnoseCommandTest, UsageAndHelp) {
  EXPECT_EQ(RunCli({}).status, 2);
  EXPECT_EQ(RunCli({"--format", "xml", "-"}).status, 2);
  EXPECT_EQ(RunCli({"--bogus", "-"}).status, 2);
  Result r = RunCli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("usage: sparkd diagnose"), std::string::npos);
}

TEST(DiagnoseCommandTest, LargeLogIsStreamed) {
  std::string path = std::filesystem::temp_directory_path() / "sparkd_diag_big.log";
  {
    std::ofstream f(path);
    for (int i = 0; i < 60000; ++i) {
      f << "24/01/02 10:00:00 INFO TaskSetManager: Finished task " << i << ".0 in stage 1.0 (TID "
        << i << ") in 12 ms on 10.0.0.1 (executor 1) (1/2)\n";
    }
    f << "24/01/02 10:00:01 ERROR TaskSchedulerImpl: Lost executor 1 on 10.0.0.1: \n"
      << "The executor with id 1 exited with exit code 52(JVM OOM).\n";
  }
  Result r = RunCli({path});
  std::filesystem::remove(path);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("JVM_OOM"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sparkd::cli
