#include "daemon/core/team_store.h"

namespace sparkd {

std::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "member"; }

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "member") return Role::kMember;
  return std::nullopt;
}

Status ValidateTeamName(std::string_view name) {
  if (name.empty() || name.size() > 63) {
    return InvalidArgument("team: must be 1 to 63 characters, got " +
                           std::to_string(name.size()));
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

}  // namespace sparkd
