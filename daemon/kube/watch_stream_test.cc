#include "daemon/kube/watch_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace sparkd::kube {
namespace {

// Three events as kube-apiserver streams them, one JSON document per line.
constexpr char kStream[] =
    R"({"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a",)"
    R"("namespace":"w","uid":"1f0e","resourceVersion":"2050"},"data":{"k":"v\nw"}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{)"
    R"("resourceVersion":"2061","annotations":{"k8s.io/initial-events-end":"true"}}}})"
    "\n"
    R"({"type":"DELETED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a",)"
    R"("namespace":"w","uid":"1f0e","resourceVersion":"2070"}}})"
    "\n";

std::vector<std::string> Split(const std::vector<std::string_view>& chunks, size_t max = 1 << 20) {
  LineSplitter splitter(max);
  std::vector<std::string> lines;
  for (auto chunk : chunks) {
    splitter.Feed(chunk, [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    });
  }
  return lines;
}

TEST(LineSplitterTest, SameLinesHoweverTheStreamIsCut) {
  std::string_view stream(kStream);
  std::vector<std::string> whole = Split({stream});
  ASSERT_EQ(whole.size(), 3u);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    EXPECT_EQ(Split({stream.substr(0, cut), stream.substr(cut)}), whole) << cut;
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  EXPECT_EQ(Split(bytes), whole);
}

TEST(LineSplitterTest, SkipsEmptyLinesAndCarriageReturns) {
  EXPECT_EQ(Split({"a\r\n\n\nb\n", "\r\n"}), (std::vector<std::string>{"a", "b"}));
}

TEST(LineSplitterTest, KeepsAnUnfinishedLineUntilItsNewline) {
  LineSplitter splitter(100);
  int lines = 0;
  auto count = [&](std::string_view) { return ++lines, true; };
  EXPECT_TRUE(splitter.Feed("{\"type\":", count));
  EXPECT_EQ(lines, 0);
  EXPECT_EQ(splitter.pending(), 8u);
  EXPECT_TRUE(splitter.Feed("1}\n", count));
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(splitter.pending(), 0u);
}

TEST(LineSplitterTest, RefusesALineLongerThanItsLimit) {
  for (auto chunks : std::vector<std::vector<std::string_view>>{
           {"0123456789\n"}, {"01234", "56789", "\n"}, {"0123456789"}}) {
    LineSplitter splitter(9);
    bool ok = true;
    for (auto chunk : chunks)
      ok = ok && splitter.Feed(chunk, [](std::string_view) { return true; });
    EXPECT_FALSE(ok);
    EXPECT_TRUE(splitter.overflowed());
  }
}

TEST(LineSplitterTest, StopsWhenTheConsumerSaysSo) {
  LineSplitter splitter(100);
  int lines = 0;
  EXPECT_FALSE(splitter.Feed("a\nb\nc\n", [&](std::string_view) { return ++lines < 2; }));
  EXPECT_EQ(lines, 2);
  EXPECT_FALSE(splitter.overflowed());
}

TEST(ParseWatchEventTest, ReadsEveryType) {
  std::vector<std::string> lines = Split({kStream});
  auto added = ParseWatchEvent(lines[0]);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->type, WatchEventType::kAdded);
  EXPECT_EQ(added->object["data"]["k"], "v\nw");
  auto bookmark = ParseWatchEvent(lines[1]);
  ASSERT_TRUE(bookmark.ok());
  EXPECT_EQ(bookmark->type, WatchEventType::kBookmark);
  EXPECT_EQ(bookmark->object["metadata"]["resourceVersion"], "2061");
  EXPECT_EQ(ParseWatchEvent(lines[2])->type, WatchEventType::kDeleted);
  auto modified = ParseWatchEvent(R"({"type":"MODIFIED","object":{}})");
  EXPECT_EQ(modified->type, WatchEventType::kModified);
  auto error = ParseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})");
  EXPECT_EQ(error->type, WatchEventType::kError);
  EXPECT_EQ(error->object["code"], 410);
}

TEST(ParseWatchEventTest, RefusesWhatIsNotAnEvent) {
  struct Case {
    std::string line, says;
  };
  const std::vector<Case> cases = {
      {"<html>", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"object":{}})", "needs a string \"type\""},
      {R"({"type":"ADDED","object":"x"})", "needs a string \"type\" and an object"},
      {R"({"type":"RENAMED","object":{}})", "unknown event type \"RENAMED\""},
  };
  for (const auto& c : cases) {
    auto event = ParseWatchEvent(c.line);
    ASSERT_FALSE(event.ok()) << c.line;
    EXPECT_EQ(event.status().code(), StatusCode::kInternal);
    EXPECT_NE(event.status().message().find(c.says), std::string::npos) << event.status().message();
  }
}

}  // namespace
}  // namespace sparkd::kube
