#include "daemon/cli/terminal_text.h"

#include <unistd.h>

#include <cstdio>
#include <optional>

#include "daemon/core/utf8.h"

namespace sparkd::cli {
namespace {

void AppendHex(std::string& out, const char* format, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), format, value);
  out += buf;
}

// Escapes text[0..end) into `out`. `complete`: the text ends here; otherwise an unfinished
// UTF-8 sequence or a CR at the end is left unconsumed. Returns how much was consumed.
size_t Escape(std::string_view text, Newlines newlines, bool complete, std::string& out) {
  const bool keep = newlines == Newlines::kKeep;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte == '\r' && keep) {
      if (pos + 1 == text.size() && !complete) break;  // the next chunk may bring its \n
      if (pos + 1 < text.size() && text[pos + 1] == '\n') {
        out += "\r\n";
        pos += 2;
        continue;
      }
    }
    if (byte < 0x20 || byte == 0x7f) {
      if (keep && (byte == '\n' || byte == '\t')) {
        out += static_cast<char>(byte);
      } else if (byte == '\n') {
        out += "\\n";
      } else if (byte == '\t') {
        out += "\\t";
      } else if (byte == '\r') {
        out += "\\r";
      } else {
        AppendHex(out, "\\x%02x", byte);
      }
      ++pos;
      continue;
    }
    size_t length = Utf8SequenceLength(byte);
    if (length > 1 && pos + length > text.size() && !complete) {
      // Unfinished at the end of a chunk: decided by the next one, unless it is broken already.
      bool prefix_ok = true;
      for (size_t i = pos + 1; i < text.size(); ++i) {
        prefix_ok = prefix_ok && (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80;
      }
      if (prefix_ok) break;
    }
    const size_t start = pos;
    std::optional<char32_t> code_point = NextCodePoint(text, pos);
    if (!code_point) {
      AppendHex(out, "\\x%02x", byte);
      ++pos;
    } else if (ReordersOrControls(*code_point)) {
      AppendHex(out, "\\u%04x", static_cast<unsigned>(*code_point));
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return pos;
}

}  // namespace

bool ReordersOrControls(char32_t c) {
  return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
         (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

std::string TerminalText(std::string_view text, Newlines newlines) {
  std::string out;
  out.reserve(text.size());
  Escape(text, newlines, /*complete=*/true, out);
  return out;
}

std::string TerminalStream::Feed(std::string_view chunk) {
  pending_.append(chunk);
  std::string out;
  size_t used = Escape(pending_, Newlines::kKeep, /*complete=*/false, out);
  pending_.erase(0, used);
  return out;
}

std::string TerminalStream::Finish() {
  std::string out = TerminalText(pending_, Newlines::kKeep);
  pending_.clear();
  return out;
}

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }

}  // namespace sparkd::cli
