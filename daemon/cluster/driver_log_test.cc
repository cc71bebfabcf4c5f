// The driver log copy's resume rule, on real files: a stream resumed with sinceTime (which
// repeats the lines of that second) adds only the lines the copy lacks.
#include "daemon/cluster/driver_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sparkd::cluster {
namespace {

namespace fs = std::filesystem;

class LogCopyWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sparkd-log-copy-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "driver.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Copy() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // One stream, cut into pieces of `piece` bytes; returns the sinceTime it would resume from.
  std::string Stream(std::string_view data, size_t piece, int64_t max_bytes = 1 << 20) {
    LogCopyWriter writer(path_, max_bytes);
    for (size_t at = 0; at < data.size(); at += piece) writer.Feed(data.substr(at, piece));
    writer.End();
    return writer.since();
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(LogCopyWriterTest, StripsTimestampsAndKeepsLinesSplitAcrossPieces) {
  std::string since = Stream(
      "2026-03-02T01:00:05.100000000Z starting\n2026-03-02T01:00:06.2Z Pi is roughly 3.14\n", 7);
  EXPECT_EQ(Copy(), "starting\nPi is roughly 3.14\n");
  EXPECT_EQ(since, "2026-03-02T01:00:06.2Z");
}

TEST_F(LogCopyWriterTest, AResumedStreamAddsOnlyWhatTheCopyLacks) {
  const std::string first =
      "2026-03-02T01:00:05.1Z a\n2026-03-02T01:00:06.5Z b\n2026-03-02T01:00:06.5Z c\n";
  EXPECT_EQ(Stream(first, 1000), "2026-03-02T01:00:06.5Z");
  // sinceTime has whole seconds: the server repeats 01:00:05 onwards, then goes on.
  Stream(
      "2026-03-02T01:00:05.1Z a\n2026-03-02T01:00:06.5Z b\n2026-03-02T01:00:06.5Z c\n"
      "2026-03-02T01:00:06.5Z d\n2026-03-02T01:00:07Z e",
      5);
  EXPECT_EQ(Copy(), "a\nb\nc\nd\ne\n");
  Stream(first + "2026-03-02T01:00:06.5Z d\n2026-03-02T01:00:07Z e\n", 3);  // all again
  EXPECT_EQ(Copy(), "a\nb\nc\nd\ne\n");
}

TEST_F(LogCopyWriterTest, AFreshCopyResumesFromTheStartAndStopsAtItsLimit) {
  EXPECT_EQ(Stream("", 10), "");
  EXPECT_EQ(LogCopyWriter(path_, 100).since(), "");
  Stream("2026-03-02T01:00:05Z 0123456789\n2026-03-02T01:00:06Z 0123456789\n", 64, 15);
  EXPECT_EQ(Copy(), "0123456789\n[sparkd: the driver log copy stops here, at 15 bytes]\n");
}

}  // namespace
}  // namespace sparkd::cluster
