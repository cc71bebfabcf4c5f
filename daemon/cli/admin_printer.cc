#include "daemon/cli/admin_printer.h"

#include <algorithm>
#include <vector>

#include "daemon/cli/job_printer.h"

namespace sparkd::cli {
namespace {

using Row = std::vector<std::string>;

std::string CellText(const std::string& text) { return text.empty() ? "-" : text; }

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

std::string RoleText(v1::Role role) { return role == v1::ROLE_ADMIN ? "admin" : "member"; }

void PrintTeamTable(const google::protobuf::RepeatedPtrField<v1::Team>& teams,
                    std::ostream& out) {
  std::vector<Row> rows = {{"NAME", "NAMESPACES"}};
  for (const auto& team : teams) {
    std::string namespaces;
    for (const auto& ns : team.namespaces()) namespaces += (namespaces.empty() ? "" : ",") + ns;
    rows.push_back({team.name(), CellText(namespaces)});
  }
  PrintTable(rows, out);
}

void PrintTokenTable(const google::protobuf::RepeatedPtrField<v1::TokenInfo>& tokens,
                     std::ostream& out) {
  std::vector<Row> rows = {{"ID", "TEAM", "ROLE", "DESCRIPTION", "CREATED", "REVOKED"}};
  for (const auto& token : tokens) {
    rows.push_back({token.id(), token.team(), RoleText(token.role()),
                    CellText(token.description()), TimeText(token.created_at()),
                    token.has_revoked_at() ? TimeText(token.revoked_at()) : "-"});
  }
  PrintTable(rows, out);
}

}  // namespace sparkd::cli
