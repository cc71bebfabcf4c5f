// Text that came from users or Spark (job names, keys, state messages, evidence, log lines,
// preset YAML, error messages), made safe to print on a terminal. Printed raw, a job name
// holding "\x1b]0;pwned\x07" retitles the reader's terminal, "\x1b[2J" clears it, and a
// right-to-left override makes a line read differently from what it says.
//
// Every printer of the CLI sends such text through TerminalText. What it escapes, always
// visibly and reversibly for a human reader:
//   - C0 controls (ESC, BEL, backspace, CR, ...) and DEL: "\x1b"; newline and tab too, unless
//     the text is multi-line (`Newlines::kKeep`); a CR stays only as part of a CRLF;
//   - bytes that are not UTF-8 ("\xff"): an 8-bit terminal reads 0x9b as CSI;
//   - C1 controls U+0080..U+009F ("\u009b") and the characters that reorder or hide text:
//     the bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), the marks
//     U+200E, U+200F, U+061C, and the line and paragraph separators U+2028, U+2029.
// Everything else (all printable UTF-8, emoji sequences included) passes unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sparkd::cli {

enum class Newlines {
  kEscape,  // one-line fields: names, ids, table cells, messages printed inline
  kKeep,    // multi-line text: YAML, diffs, error messages, the driver's output
};

std::string TerminalText(std::string_view text, Newlines newlines = Newlines::kEscape);

// TerminalText over a stream that arrives in chunks (the driver's output): a UTF-8 sequence or
// a CR split between two chunks is held back until the next one decides what it is. Newlines
// are kept.
class TerminalStream {
 public:
  // The safe text of `chunk`, up to what the next chunk may still complete.
  std::string Feed(std::string_view chunk);
  // What was held back, escaped as it stands.
  std::string Finish();

 private:
  std::string pending_;
};

// True for the non-ASCII characters TerminalText escapes: the C1 controls and the characters
// that reorder or hide text (listed above). For printers of other formats (JSON) that escape
// in their own syntax.
bool ReordersOrControls(char32_t c);

// True when standard output is a terminal: streamed data (the driver's output, a preset's
// YAML) is escaped only then, and passes raw into a pipe or a file, as a developer saving it
// expects.
bool StdoutIsTerminal();

}  // namespace sparkd::cli
