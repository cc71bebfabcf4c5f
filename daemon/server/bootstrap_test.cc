// The bootstrap admin token across restarts, on a real Postgres: each "start" is a fresh
// PgTeamStore (an empty authentication cache) registering the configured token again.
#include "daemon/server/bootstrap.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "daemon/core/log_capture_testing.h"
#include "daemon/store/pg_team_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::server {
namespace {

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = store::TestDatabase::Create();
    pool_ = db_->NewPool(4);
  }

  std::string Log() const { return log_.str(); }

  const std::string token_ = "bootstrap-admin-token-for-tests-0002";
  LogCapture log_;
  std::unique_ptr<store::TestDatabase> db_;
  std::unique_ptr<store::PgPool> pool_;
};

TEST_F(BootstrapTest, RegistersTheTokenAndAgainAtEveryStart) {
  for (int start = 0; start < 2; ++start) {
    store::PgTeamStore teams(pool_.get());
    Status status = RegisterBootstrapAdminToken(token_, teams);
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto caller = teams.Authenticate(token_);
    ASSERT_TRUE(caller.ok()) << caller.status().ToString();
    EXPECT_EQ(caller->role, Role::kPlatformAdmin);
    EXPECT_EQ(caller->team, "admin");
  }
  EXPECT_EQ(Log().find("[warning]"), std::string::npos) << Log();
}

TEST_F(BootstrapTest, ARevokedTokenStaysRevokedAndTheWarningNamesTheSettingNotTheToken) {
  {
    store::PgTeamStore teams(pool_.get());
    ASSERT_TRUE(RegisterBootstrapAdminToken(token_, teams).ok());
    auto tokens = teams.ListTokens("admin");
    ASSERT_TRUE(tokens.ok() && tokens->size() == 1u);
    ASSERT_TRUE(teams.RevokeToken(tokens->front().id).ok());
  }
  log_.Clear();  // only what the restart logs
  store::PgTeamStore restarted(pool_.get());
  Status status = RegisterBootstrapAdminToken(token_, restarted);
  EXPECT_TRUE(status.ok()) << "a revoked bootstrap token must not stop the daemon: "
                           << status.ToString();
  EXPECT_EQ(restarted.Authenticate(token_).status().code(), StatusCode::kUnauthenticated);
  const std::string log = Log();
  EXPECT_NE(log.find("[warning]"), std::string::npos) << log;
  EXPECT_NE(log.find("remove bootstrap-admin-token"), std::string::npos) << log;
  EXPECT_EQ(log.find(token_), std::string::npos) << "the token is in the log:\n" << log;
  EXPECT_EQ(log.find("registered"), std::string::npos) << log;
}

TEST_F(BootstrapTest, ATokenOfAnotherRoleStopsTheStartNamingTheSetting) {
  store::PgTeamStore teams(pool_.get());
  ASSERT_TRUE(teams.EnsureToken("admin", token_, Role::kMember).ok());
  Status status = RegisterBootstrapAdminToken(token_, teams);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(status.message().starts_with("bootstrap-admin-token: ")) << status.message();
  EXPECT_EQ(status.message().find(token_), std::string::npos);
}

TEST_F(BootstrapTest, NoTokenConfiguredRegistersNothing) {
  store::PgTeamStore teams(pool_.get());
  ASSERT_TRUE(RegisterBootstrapAdminToken("", teams).ok());
  auto tokens = teams.ListTokens("");
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE(tokens->empty());
}

}  // namespace
}  // namespace sparkd::server
