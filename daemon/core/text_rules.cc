#include "daemon/core/text_rules.h"

namespace sparkd {
namespace {

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

bool Allowed(char32_t c, TextKind kind) {
  if (!IsControl(c)) return true;
  switch (kind) {
    case TextKind::kName:
      return false;
    case TextKind::kValue:
      return c == '\t';
    case TextKind::kArgument:
      return c == '\t' || c == '\n' || c == '\r';
  }
  return false;
}

std::string Hex(char32_t c) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "U+";
  for (int shift = 12; shift >= 0; shift -= 4) out += kDigits[(c >> shift) & 0xf];
  return out;
}

}  // namespace

size_t DecodeUtf8(std::string_view text, size_t i, char32_t& out) {
  auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  unsigned char lead = byte(i);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xe  ? 3
                  : (lead >> 3) == 0x1e ? 4
                                        : 0;
  if (length == 0 || i + length > text.size()) return 0;
  if (length == 1) {
    out = lead;
    return 1;
  }
  char32_t cp = lead & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  out = cp;
  return length;
}

std::string TextProblem(std::string_view text, TextKind kind) {
  for (size_t i = 0; i < text.size();) {
    char32_t c = 0;
    size_t length = DecodeUtf8(text, i, c);
    if (length == 0 || c == 0 || !Allowed(c, kind)) {
      std::string at = " at byte " + std::to_string(i);
      if (length == 0) return "is not valid UTF-8" + at;
      if (c == 0) return "contains a NUL byte" + at;
      return "contains the control character " + Hex(c) + at;
    }
    i += length;
  }
  return "";
}

Status CheckText(std::string_view field, std::string_view text, TextKind kind) {
  std::string problem = TextProblem(text, kind);
  if (problem.empty()) return Status::Ok();
  return InvalidArgument(std::string(field) + ": " + problem);
}

}  // namespace sparkd
