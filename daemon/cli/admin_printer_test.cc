#include "daemon/cli/admin_printer.h"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <sstream>

namespace sparkd::cli {
namespace {

using google::protobuf::util::TimeUtil;

v1::TokenInfo Token(const std::string& id, const std::string& team, v1::Role role,
                    const std::string& description, int64_t created, int64_t revoked) {
  v1::TokenInfo token;
  token.set_id(id);
  token.set_team(team);
  token.set_role(role);
  token.set_description(description);
  *token.mutable_created_at() = TimeUtil::SecondsToTimestamp(created);
  if (revoked) *token.mutable_revoked_at() = TimeUtil::SecondsToTimestamp(revoked);
  return token;
}

TEST(AdminPrinterTest, TokenTableAlignsColumnsAndMarksWhatIsMissing) {
  google::protobuf::RepeatedPtrField<v1::TokenInfo> tokens;
  *tokens.Add() = Token("tok_0123456789abcdef", "blue", v1::ROLE_MEMBER, "airflow prod connection",
                        1'800'000'000, 1'800'003'600);
  *tokens.Add() =
      Token("tok_fedcba9876543210", "data-platform", v1::ROLE_TEAM_ADMIN, "", 1'800'000'060, 0);
  *tokens.Add() =
      Token("tok_00000000000000aa", "red", v1::ROLE_UNSPECIFIED, "équipe", 1'800'000'120, 0);
  *tokens.Add() =
      Token("tok_00000000000000bb", "admin", v1::ROLE_PLATFORM_ADMIN, "", 1'800'000'180, 0);
  std::ostringstream out;
  PrintTokenTable(tokens, out);
  EXPECT_EQ(out.str(),
            "ID                    TEAM           ROLE            DESCRIPTION              "
            "CREATED               REVOKED\n"
            "tok_0123456789abcdef  blue           member          airflow prod connection  "
            "2027-01-15T08:00:00Z  2027-01-15T09:00:00Z\n"
            "tok_fedcba9876543210  data-platform  team-admin      -                        "
            "2027-01-15T08:01:00Z  -\n"
            "tok_00000000000000aa  red            member          équipe                   "
            "2027-01-15T08:02:00Z  -\n"
            "tok_00000000000000bb  admin          platform-admin  -                        "
            "2027-01-15T08:03:00Z  -\n");
}

TEST(AdminPrinterTest, RoleReachSaysWhatTheTokenCanDo) {
  EXPECT_EQ(RoleReach(v1::ROLE_TEAM_ADMIN, "blue"),
            "team admin of team blue: manages team blue's presets and tokens, and its jobs; "
            "no other team's");
  EXPECT_EQ(RoleReach(v1::ROLE_PLATFORM_ADMIN, "admin"),
            "platform admin (team admin): manages every team, its tokens and presets, and sees "
            "every team's jobs");
  EXPECT_EQ(RoleReach(v1::ROLE_MEMBER, "red"),
            "member of team red: submits, sees and cancels team red's jobs and reads its presets");
}

TEST(AdminPrinterTest, TeamTableJoinsNamespaces) {
  google::protobuf::RepeatedPtrField<v1::Team> teams;
  auto* blue = teams.Add();
  blue->set_name("blue");
  blue->add_namespaces("spark-blue");
  blue->add_namespaces("spark-shared");
  teams.Add()->set_name("data-platform");
  std::ostringstream out;
  PrintTeamTable(teams, out);
  EXPECT_EQ(out.str(),
            "NAME           NAMESPACES\n"
            "blue           spark-blue,spark-shared\n"
            "data-platform  -\n");
}

}  // namespace
}  // namespace sparkd::cli
