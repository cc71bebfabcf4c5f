#include "daemon/core/team_store.h"

#include "daemon/core/utf8.h"

namespace sparkd {

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
