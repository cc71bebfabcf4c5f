#include "daemon/cluster/log_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace sparkd::cluster {
namespace {

namespace fs = std::filesystem;

TEST(ReadLogFileTest, ReadsFromAnOffsetOrFromTheEndAndResumesWhereItStopped) {
  fs::path path = fs::temp_directory_path() / ("sparkd-log-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << "0123456789";

  LogChunk head = ReadLogFile(path, 0, 4);
  EXPECT_EQ(head.data, "0123");
  EXPECT_EQ(head.next_offset, 4);
  LogChunk rest = ReadLogFile(path, head.next_offset, 100);
  EXPECT_EQ(rest.data, "456789");
  EXPECT_EQ(rest.next_offset, 10);
  LogChunk tail = ReadLogFile(path, -3, 100);
  EXPECT_EQ(tail.data, "789");
  EXPECT_EQ(tail.next_offset, 10);
  LogChunk more_than_all = ReadLogFile(path, -50, 100);
  EXPECT_EQ(more_than_all.data, "0123456789");
  LogChunk past_the_end = ReadLogFile(path, 50, 100);
  EXPECT_EQ(past_the_end.data, "");
  EXPECT_EQ(past_the_end.next_offset, 10);

  fs::remove(path);
  LogChunk missing = ReadLogFile(path, 0, 100);
  EXPECT_EQ(missing.data, "");
  EXPECT_EQ(missing.next_offset, 0);
}

}  // namespace
}  // namespace sparkd::cluster
