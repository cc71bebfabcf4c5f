#include "daemon/core/classify/text.h"

#include <climits>

namespace sparkd::classify::text {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

}  // namespace

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool Contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

size_t FindNoCase(std::string_view s, std::string_view needle) {
  if (needle.empty()) return 0;
  if (needle.size() > s.size()) return std::string_view::npos;
  const char first = Lower(needle[0]);
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (Lower(s[i]) != first) continue;
    size_t j = 1;
    while (j < needle.size() && Lower(s[i + j]) == Lower(needle[j])) ++j;
    if (j == needle.size()) return i;
  }
  return std::string_view::npos;
}

bool ContainsNoCase(std::string_view s, std::string_view needle) {
  return FindNoCase(s, needle) != std::string_view::npos;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::optional<int> LeadingInt(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  long long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    value = value * 10 + (c - '0');
    if (value > INT_MAX) return std::nullopt;
  }
  return static_cast<int>(negative ? -value : value);
}

std::optional<int> IntAfter(std::string_view s, std::string_view key) {
  size_t pos = s.find(key);
  if (pos == std::string_view::npos) return std::nullopt;
  return LeadingInt(s.substr(pos + key.size()));
}

std::string_view After(std::string_view s, std::string_view key) {
  size_t pos = s.find(key);
  if (pos == std::string_view::npos) return {};
  return Trim(s.substr(pos + key.size()));
}

std::string_view Word(std::string_view s) {
  size_t n = 0;
  while (n < s.size()) {
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) break;
    ++n;
  }
  return s.substr(0, n);
}

std::string_view Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

std::string Evidence(std::string_view s, size_t max) {
  s = Trim(s);
  std::string out;
  out.reserve(s.size() < max ? s.size() : max + 3);
  bool last_space = false;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (IsSpace(c)) {
      if (!last_space) out.push_back(' ');
      last_space = true;
      continue;
    }
    // Control bytes would make the JSON output unreadable; keep printable text only.
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
    last_space = false;
  }
  return out;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace sparkd::classify::text
