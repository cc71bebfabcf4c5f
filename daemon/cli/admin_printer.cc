#include "daemon/cli/admin_printer.h"

#include <algorithm>
#include <vector>

#include "daemon/cli/job_printer.h"
#include "daemon/cli/terminal_text.h"

namespace sparkd::cli {
namespace {

using Row = std::vector<std::string>;

std::string CellText(const std::string& text) { return text.empty() ? "-" : TerminalText(text); }

// Characters, not bytes, so a description in UTF-8 keeps the columns after it aligned.
size_t Width(const std::string& cell) {
  return std::count_if(cell.begin(), cell.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; });
}

// Every column but the last padded to its widest cell plus two spaces.
void PrintTable(const std::vector<Row>& rows, std::ostream& out) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(widths[i] - Width(row[i]) + 2, ' ');
    }
    out << "\n";
  }
}

}  // namespace

std::string RoleText(v1::Role role) {
  switch (role) {
    case v1::ROLE_TEAM_ADMIN:
      return "team-admin";
    case v1::ROLE_PLATFORM_ADMIN:
      return "platform-admin";
    case v1::ROLE_UNSPECIFIED:
    case v1::ROLE_MEMBER:
      return "member";
    default:
      return "role " + std::to_string(role);
  }
}

std::string RoleReach(v1::Role role, const std::string& team) {
  switch (role) {
    case v1::ROLE_TEAM_ADMIN:
      return "team admin of team " + team + ": manages team " + team +
             "'s presets and tokens, and its jobs; no other team's";
    case v1::ROLE_PLATFORM_ADMIN:
      return "platform admin (team " + team +
             "): manages every team, its tokens and presets, and sees every team's jobs";
    default:
      return "member of team " + team + ": submits, sees and cancels team " + team +
             "'s jobs and reads its presets";
  }
}

void PrintTeamTable(const google::protobuf::RepeatedPtrField<v1::Team>& teams, std::ostream& out) {
  std::vector<Row> rows = {{"NAME", "NAMESPACES"}};
  for (const auto& team : teams) {
    std::string namespaces;
    for (const auto& ns : team.namespaces()) namespaces += (namespaces.empty() ? "" : ",") + ns;
    rows.push_back({CellText(team.name()), CellText(namespaces)});
  }
  PrintTable(rows, out);
}

void PrintTokenTable(const google::protobuf::RepeatedPtrField<v1::TokenInfo>& tokens,
                     std::ostream& out) {
  std::vector<Row> rows = {{"ID", "TEAM", "ROLE", "DESCRIPTION", "CREATED", "REVOKED"}};
  for (const auto& token : tokens) {
    rows.push_back({CellText(token.id()), CellText(token.team()), RoleText(token.role()),
                    CellText(token.description()), TimeText(token.created_at()),
                    token.has_revoked_at() ? TimeText(token.revoked_at()) : "-"});
  }
  PrintTable(rows, out);
}

}  // namespace sparkd::cli
