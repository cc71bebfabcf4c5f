#include "daemon/cli/terminal_text.h"

#include <gtest/gtest.h>

namespace sparkd::cli {
namespace {

TEST(TerminalTextTest, EscapesEverythingThatDrivesATerminal) {
  struct Case {
    std::string name;
    std::string text;
    std::string one_line;
    std::string multi_line;
  } cases[] = {
      {"plain", "SparkPi run 7", "SparkPi run 7", "SparkPi run 7"},
      {"utf-8 and emoji", "équipe 数据 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
       "équipe 数据 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
       "équipe 数据 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"},
      {"clear screen (CSI)", "a\x1b[2Jb", "a\\x1b[2Jb", "a\\x1b[2Jb"},
      {"retitle (OSC, BEL)", "\x1b]0;pwned\x07job", "\\x1b]0;pwned\\x07job",
       "\\x1b]0;pwned\\x07job"},
      {"OSC 52 clipboard, ST", "\x1b]52;c;ZWNobw==\x1b\\", "\\x1b]52;c;ZWNobw==\\x1b\\",
       "\\x1b]52;c;ZWNobw==\\x1b\\"},
      {"backspace, DEL, NUL", std::string("ok\b\b\x7f\0x", 7), "ok\\x08\\x08\\x7f\\x00x",
       "ok\\x08\\x08\\x7f\\x00x"},
      {"newline, tab", "a\nb\tc", "a\\nb\\tc", "a\nb\tc"},
      {"CR overwrites a line", "SUCCEEDED\rFAILED", "SUCCEEDED\\rFAILED", "SUCCEEDED\\rFAILED"},
      {"CRLF", "line\r\n", "line\\r\\n", "line\r\n"},
      {"trailing CR", "line\r", "line\\r", "line\\r"},
      {"C1 CSI as UTF-8",
       "a\xC2\x9B"
       "2Jb",
       "a\\u009b2Jb", "a\\u009b2Jb"},
      {"C1 CSI as a raw byte",
       "a\x9b"
       "2Jb",
       "a\\x9b2Jb", "a\\x9b2Jb"},
      {"right-to-left override", "job\xE2\x80\xAEtxt.exe", "job\\u202etxt.exe",
       "job\\u202etxt.exe"},
      {"bidi isolate", "\xE2\x81\xA6x\xE2\x81\xA9", "\\u2066x\\u2069", "\\u2066x\\u2069"},
      {"line separator",
       "a\xE2\x80\xA8"
       "b",
       "a\\u2028b", "a\\u2028b"},
      {"overlong slash", "\xC0\xAF", "\\xc0\\xaf", "\\xc0\\xaf"},
      {"truncated sequence", "x\xE2\x82", "x\\xe2\\x82", "x\\xe2\\x82"},
      {"surrogate", "\xED\xA0\x80", "\\xed\\xa0\\x80", "\\xed\\xa0\\x80"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(TerminalText(c.text), c.one_line);
    EXPECT_EQ(TerminalText(c.text, Newlines::kKeep), c.multi_line);
  }
}

TEST(TerminalTextTest, AStreamSplitAnywhereEscapesLikeTheWhole) {
  const std::string text =
      "Pi is roughly 3.14\r\n\x1b]0;t\x07 équipe \xE2\x80\xAE! \xF0\x9F\x98\x80 \xff end\r";
  const std::string whole = TerminalText(text, Newlines::kKeep);
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); ++b) {
      TerminalStream stream;
      std::string out = stream.Feed(text.substr(0, a));
      out += stream.Feed(text.substr(a, b - a));
      out += stream.Feed(text.substr(b));
      out += stream.Finish();
      ASSERT_EQ(out, whole) << "split at " << a << " and " << b;
    }
  }
}

TEST(TerminalTextTest, AStreamHoldsBackOnlyWhatTheNextChunkCanComplete) {
  TerminalStream stream;
  EXPECT_EQ(stream.Feed("abc\xE2\x82"), "abc");
  EXPECT_EQ(stream.Feed("\xAC!\r"), "\xE2\x82\xAC!");
  EXPECT_EQ(stream.Feed("\n"), "\r\n");
  EXPECT_EQ(stream.Feed("\xE2\x41"), "\\xe2A");  // broken at once: nothing to wait for
  EXPECT_EQ(stream.Finish(), "");
}

}  // namespace
}  // namespace sparkd::cli
