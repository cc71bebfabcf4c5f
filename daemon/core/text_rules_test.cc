#include "daemon/core/text_rules.h"

#include <gtest/gtest.h>

namespace sparkd {
namespace {

using namespace std::string_literals;

TEST(TextRulesTest, EachKindAllowsWhatItSaysAndNamesTheFirstProblem) {
  struct Case {
    std::string text;
    TextKind kind;
    std::string problem;  // "" = fine
  };
  const Case cases[] = {
      {"org.example.Main", TextKind::kName, ""},
      {"Grüße, 東京 ✓", TextKind::kName, ""},
      {"", TextKind::kName, ""},
      {"a\0b"s, TextKind::kArgument, "contains a NUL byte at byte 1"},
      {"a\tb", TextKind::kName, "contains the control character U+0009 at byte 1"},
      {"a\tb", TextKind::kValue, ""},
      {"a\nb", TextKind::kValue, "contains the control character U+000A at byte 1"},
      {"SELECT *\r\nFROM t\twhere x", TextKind::kArgument, ""},
      {"bell\a", TextKind::kArgument, "contains the control character U+0007 at byte 4"},
      {"del\x7f", TextKind::kValue, "contains the control character U+007F at byte 3"},
      {"c1\xc2\x85", TextKind::kValue, "contains the control character U+0085 at byte 2"},
      {"\xff", TextKind::kArgument, "is not valid UTF-8 at byte 0"},
      {"ok\xc3", TextKind::kArgument, "is not valid UTF-8 at byte 2"},            // cut short
      {"\xc0\xaf", TextKind::kArgument, "is not valid UTF-8 at byte 0"},          // overlong '/'
      {"\xe0\x80\xaf", TextKind::kArgument, "is not valid UTF-8 at byte 0"},      // overlong
      {"\xed\xa0\x80", TextKind::kArgument, "is not valid UTF-8 at byte 0"},      // surrogate
      {"\xf4\x90\x80\x80", TextKind::kArgument, "is not valid UTF-8 at byte 0"},  // > U+10FFFF
      {"\xf0\x9f\x98\x80", TextKind::kName, ""},                                  // U+1F600
  };
  for (const auto& c : cases) {
    EXPECT_EQ(TextProblem(c.text, c.kind), c.problem) << c.text;
  }
}

TEST(TextRulesTest, CheckTextNamesTheField) {
  Status s = CheckText("args[3]", "x\0y"s, TextKind::kArgument);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "args[3]: contains a NUL byte at byte 1");
  EXPECT_TRUE(CheckText("name", "fine", TextKind::kName).ok());
}

}  // namespace
}  // namespace sparkd
