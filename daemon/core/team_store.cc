#include "daemon/core/team_store.h"

namespace sparkd {
namespace {

// The code point that starts at text[pos], moving `pos` past it; nullopt for malformed UTF-8
// (truncated, overlong, surrogate or past U+10FFFF).
std::optional<char32_t> NextCodePoint(std::string_view text, size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  const size_t length = lead < 0x80           ? 1
                        : (lead >> 5) == 0x6  ? 2
                        : (lead >> 4) == 0xe  ? 3
                        : (lead >> 3) == 0x1e ? 4
                                              : 0;
  if (length == 0 || pos + length > text.size()) return std::nullopt;
  char32_t code_point = length == 1 ? lead : lead & (0x7f >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xc0) != 0x80) return std::nullopt;
    code_point = (code_point << 6) | (next & 0x3f);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kSmallest[length] || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return std::nullopt;
  }
  pos += length;
  return code_point;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kTeamAdmin:
      return "team_admin";
    case Role::kPlatformAdmin:
      return "platform_admin";
    case Role::kMember:
      break;
  }
  return "member";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kMember, Role::kTeamAdmin, Role::kPlatformAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

Status ValidateTeamName(std::string_view name) {
  if (name.empty() || name.size() > 63) {
    return InvalidArgument("team: must be 1 to 63 characters, got " + std::to_string(name.size()));
  }
  if (name[0] < 'a' || name[0] > 'z') {
    return InvalidArgument("team: \"" + std::string(name) + "\" must start with a-z");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return InvalidArgument("team: \"" + std::string(name) +
                             "\" may contain only a-z, 0-9 and '-'");
    }
  }
  return Status::Ok();
}

Status ValidateTeamNamespaces(const std::vector<std::string>& namespaces) {
  for (size_t i = 0; i < namespaces.size(); ++i) {
    const std::string& name = namespaces[i];
    const std::string path = "namespaces[" + std::to_string(i) + "]";
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    bool valid = !name.empty() && name.size() <= 63 && alnum(name.front()) && alnum(name.back());
    for (char c : name) valid = valid && (alnum(c) || c == '-');
    if (!valid) {
      // Not echoed: the name may hold anything, control characters included.
      return InvalidArgument(path +
                             ": not a Kubernetes namespace name (1 to 63 characters of a-z, 0-9 "
                             "and '-', starting and ending with a letter or digit)");
    }
    for (size_t j = 0; j < i; ++j) {
      if (namespaces[j] == name)
        return InvalidArgument(path + ": \"" + name + "\" is listed twice");
    }
  }
  return Status::Ok();
}

Status ValidateTokenDescription(std::string_view description) {
  size_t chars = 0;
  for (size_t pos = 0; pos < description.size(); ++chars) {
    const size_t at = pos;
    auto code_point = NextCodePoint(description, pos);
    if (!code_point) {
      return InvalidArgument("description: not valid UTF-8 at byte " + std::to_string(at));
    }
    if (*code_point < 0x20 || (*code_point >= 0x7f && *code_point <= 0x9f)) {
      return InvalidArgument("description: control character at byte " + std::to_string(at) +
                             "; use printable text on one line");
    }
  }
  if (chars > kMaxTokenDescriptionChars) {
    return InvalidArgument("description: at most " + std::to_string(kMaxTokenDescriptionChars) +
                           " characters, got " + std::to_string(chars));
  }
  return Status::Ok();
}

}  // namespace sparkd
