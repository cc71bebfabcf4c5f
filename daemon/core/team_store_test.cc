#include "daemon/core/team_store.h"

#include <gtest/gtest.h>

namespace sparkd {
namespace {

struct DescriptionCase {
  std::string name;
  std::string description;
  std::string error;  // "" = valid, else a part of the message
};

TEST(TokenDescriptionTest, AcceptsPrintableTextAndNamesTheFieldOtherwise) {
  const std::string longest(kMaxTokenDescriptionChars, 'x');
  const std::string longest_in_two_byte_chars = [] {
    std::string text;
    for (size_t i = 0; i < kMaxTokenDescriptionChars; ++i) text += "\xc3\xa9";  // é
    return text;
  }();
  const DescriptionCase cases[] = {
      {"empty", "", ""},
      {"plain", "airflow prod connection", ""},
      {"punctuation", "ETL (nightly) - team #3: owner=ops@example.com", ""},
      {"utf-8", "équipe données \xe2\x9c\x93", ""},
      {"longest", longest, ""},
      {"longest counted in characters", longest_in_two_byte_chars, ""},
      {"one too long", longest + "x", "at most 200 characters, got 201"},
      {"newline", "line one\nline two", "control character at byte 8"},
      {"tab", "a\tb", "control character at byte 1"},
      {"escape sequence", "\x1b[31mred", "control character at byte 0"},
      {"delete", "a\x7f", "control character at byte 1"},
      {"C1 control", "a\xc2\x85", "control character at byte 1"},
      {"NUL", std::string("a\0b", 3), "control character at byte 1"},
      {"truncated", "ok \xc3", "not valid UTF-8 at byte 3"},
      {"lone continuation", "\x80", "not valid UTF-8 at byte 0"},
      {"overlong", "\xc0\xaf", "not valid UTF-8 at byte 0"},
      {"surrogate", "\xed\xa0\x80", "not valid UTF-8 at byte 0"},
      {"past U+10FFFF", "\xf4\x90\x80\x80", "not valid UTF-8 at byte 0"},
  };
  for (const auto& c : cases) {
    Status status = ValidateTokenDescription(c.description);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.name << ": " << status.ToString();
      continue;
    }
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(status.message().starts_with("description: "))
        << c.name << ": " << status.message();
    EXPECT_NE(status.message().find(c.error), std::string::npos)
        << c.name << ": " << status.message();
  }
}

}  // namespace
}  // namespace sparkd
