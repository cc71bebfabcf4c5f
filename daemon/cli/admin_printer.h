// Tables for `sparkd admin list-teams` and `list-tokens`: one row per item under a header,
// columns padded to their widest cell, "-" for an empty cell.
#pragma once

#include <ostream>
#include <string>

#include "sparkd/v1/presets.pb.h"

namespace sparkd::cli {

std::string RoleText(v1::Role role);  // "member", "team-admin", "platform-admin"
// What a token of `role` in `team` may do, in one line, e.g. "team admin of team blue: ...".
std::string RoleReach(v1::Role role, const std::string& team);

// NAME, NAMESPACES.
void PrintTeamTable(const google::protobuf::RepeatedPtrField<v1::Team>& teams, std::ostream& out);
// ID, TEAM, ROLE, DESCRIPTION, CREATED, REVOKED: what a token is; never its secret.
void PrintTokenTable(const google::protobuf::RepeatedPtrField<v1::TokenInfo>& tokens,
                     std::ostream& out);

}  // namespace sparkd::cli
