// Teams, namespaces and roles on a real Postgres: a namespace has one owner even under racing
// creates, roles round-trip, and sql/0005 migrates the old roles and namespace arrays.
#include "daemon/store/pg_team_store.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "daemon/core/log_capture_testing.h"
#include "daemon/store/migrations.h"
#include "daemon/store/test_database.h"

namespace sparkd::store {
namespace {

class PgTeamStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    pool_ = db_->NewPool(16);
    teams_ = std::make_unique<PgTeamStore>(pool_.get());
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgTeamStore> teams_;
};

TEST_F(PgTeamStoreTest, ANamespaceOfAnotherTeamIsRefusedNamingBoth) {
  ASSERT_TRUE(teams_->CreateTeam(Team{"blue", {"spark-blue", "spark-shared"}}).ok());
  Status taken = teams_->CreateTeam(Team{"red", {"spark-red", "spark-shared"}});
  EXPECT_EQ(taken.code(), StatusCode::kFailedPrecondition) << taken.ToString();
  EXPECT_EQ(taken.message(),
            "namespaces: \"spark-shared\" already belongs to team blue; a namespace belongs to "
            "one team");
  // Refused whole: no team red, and spark-red is still free.
  EXPECT_EQ(teams_->GetTeam("red").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(teams_->NamespaceOwner("spark-red").value(), "");
  ASSERT_TRUE(teams_->CreateTeam(Team{"red", {"spark-red"}}).ok());
  EXPECT_EQ(teams_->NamespaceOwner("spark-shared").value(), "blue");
  EXPECT_EQ(teams_->NamespaceOwner("spark-red").value(), "red");
  EXPECT_EQ(teams_->CreateTeam(Team{"red", {}}).code(), StatusCode::kAlreadyExists);
}

TEST_F(PgTeamStoreTest, ATeamKeepsItsNamespacesInTheOrderItListedThem) {
  // The first is the jobs' default, so the order matters; sorting for the insert must not show.
  ASSERT_TRUE(teams_->CreateTeam(Team{"blue", {"zeta", "alpha", "mid"}}).ok());
  auto blue = teams_->GetTeam("blue");
  ASSERT_TRUE(blue.ok());
  EXPECT_EQ(blue->namespaces, (std::vector<std::string>{"zeta", "alpha", "mid"}));
  auto token = teams_->CreateToken("blue", Role::kMember, "");
  ASSERT_TRUE(token.ok());
  auto caller = teams_->Authenticate(token->token);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->namespaces, (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

TEST_F(PgTeamStoreTest, BadNamespacesAreRefusedNamingTheEntry) {
  struct Case {
    std::vector<std::string> namespaces;
    std::string message;
  };
  const std::string kNotAName =
      ": not a Kubernetes namespace name (1 to 63 characters of a-z, 0-9 and '-', starting and "
      "ending with a letter or digit)";
  const std::vector<Case> cases = {
      {{""}, "namespaces[0]" + kNotAName},
      {{"ok", "Upper"}, "namespaces[1]" + kNotAName},
      {{"-lead"}, "namespaces[0]" + kNotAName},
      {{"trail-"}, "namespaces[0]" + kNotAName},
      {{std::string(64, 'a')}, "namespaces[0]" + kNotAName},
      {{std::string("nul\0x", 5)}, "namespaces[0]" + kNotAName},
      {{"a.b"}, "namespaces[0]" + kNotAName},
      {{"twice", "other", "twice"}, "namespaces[2]: \"twice\" is listed twice"},
  };
  for (const auto& c : cases) {
    Status status = teams_->CreateTeam(Team{"blue", c.namespaces});
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(status.message(), c.message);
  }
  EXPECT_EQ(teams_->GetTeam("blue").status().code(), StatusCode::kNotFound);
}

TEST_F(PgTeamStoreTest, RacingCreatesOfOneNamespaceHaveOneWinner) {
  // Each round: teams that want the same namespace at once, plus two whose lists overlap in
  // opposite orders (the case that would deadlock without a fixed insert order).
  for (int round = 0; round < 5; ++round) {
    const std::string shared = "shared-" + std::to_string(round);
    const std::string x = "x-" + std::to_string(round), y = "y-" + std::to_string(round);
    std::vector<Team> wanted;
    for (int i = 0; i < 6; ++i) {
      wanted.push_back(Team{"r" + std::to_string(round) + "-t" + std::to_string(i), {shared}});
    }
    wanted.push_back(Team{"r" + std::to_string(round) + "-xy", {x, y}});
    wanted.push_back(Team{"r" + std::to_string(round) + "-yx", {y, x}});
    std::vector<Status> results(wanted.size());
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < wanted.size(); ++i) {
      threads.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        results[i] = teams_->CreateTeam(wanted[i]);
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    auto check_one_winner = [&](size_t from, size_t to, const std::string& ns) {
      int won = 0;
      for (size_t i = from; i < to; ++i) {
        if (results[i].ok()) {
          ++won;
          EXPECT_EQ(teams_->NamespaceOwner(ns).value(), wanted[i].name);
          continue;
        }
        EXPECT_EQ(results[i].code(), StatusCode::kFailedPrecondition) << results[i].ToString();
        EXPECT_NE(results[i].message().find("already belongs to team"), std::string::npos)
            << results[i].ToString();
        EXPECT_EQ(teams_->GetTeam(wanted[i].name).status().code(), StatusCode::kNotFound);
      }
      EXPECT_EQ(won, 1) << "round " << round << ", namespace " << ns;
    };
    check_one_winner(0, 6, shared);
    check_one_winner(6, 8, x);
  }
}

TEST_F(PgTeamStoreTest, RolesRoundTripAndGetTokenShowsOneToken) {
  ASSERT_TRUE(teams_->CreateTeam(Team{"blue", {}}).ok());
  for (Role role : {Role::kMember, Role::kTeamAdmin, Role::kPlatformAdmin}) {
    auto issued = teams_->CreateToken("blue", role, "");
    ASSERT_TRUE(issued.ok()) << issued.status().ToString();
    auto caller = teams_->Authenticate(issued->token);
    ASSERT_TRUE(caller.ok());
    EXPECT_EQ(caller->role, role);
    auto info = teams_->GetToken(issued->id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->role, role);
    EXPECT_EQ(info->team, "blue");
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
  EXPECT_EQ(teams_->GetToken("tok_0000000000000000").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseRole("admin"), std::nullopt) << "the old role name must not parse";
}

// The migrations before 0005 in a schema of their own, some data the old way, then 0005.
class Migration0005Test : public PgTeamStoreTest {
 protected:
  void SetUp() override {
    PgTeamStoreTest::SetUp();
    auto conn = PgConnection::Connect(db_->url());
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
    ASSERT_TRUE(
        conn_->ExecScript("CREATE SCHEMA before_0005; SET search_path TO before_0005").ok());
    for (const auto& m : EmbeddedMigrations()) {
      if (m.version == 5) migration_ = m.sql;
      if (m.version >= 5) continue;
      ASSERT_TRUE(conn_->ExecScript(m.sql).ok()) << m.name;
    }
    ASSERT_FALSE(migration_.empty());
  }

  Status Apply() {
    return InTransaction(*conn_, [&](PgConnection& c) { return c.ExecScript(migration_); });
  }

  std::unique_ptr<PgConnection> conn_;
  std::string migration_;
};

TEST_F(Migration0005Test, AdminTokensBecomeWhatTheyWereMeantToBe) {
  ASSERT_TRUE(
      conn_
          ->ExecScript("INSERT INTO teams (name, namespaces) VALUES ('admin', '{}'),"
                       " ('blue', '{spark-blue,spark-etl,spark-blue}'), ('red', '{spark-red}');"
                       "INSERT INTO api_tokens (id, team, role, token_hash) VALUES"
                       " ('tok_boot', 'admin', 'admin', '\\x01'),"
                       " ('tok_blue_admin', 'blue', 'admin', '\\x02'),"
                       " ('tok_blue', 'blue', 'member', '\\x03'),"
                       " ('tok_red_admin', 'red', 'admin', '\\x04')")
          .ok());
  Status applied = Apply();
  ASSERT_TRUE(applied.ok()) << applied.ToString();
  auto roles = conn_->Exec("SELECT id, role::text FROM api_tokens ORDER BY id COLLATE \"C\"");
  ASSERT_TRUE(roles.ok());
  std::vector<std::pair<std::string, std::string>> got;
  for (int i = 0; i < roles->rows(); ++i) {
    got.emplace_back(roles->Get(i, 0), roles->Get(i, 1));
  }
  EXPECT_EQ(got,
            (std::vector<std::pair<std::string, std::string>>{{"tok_blue", "member"},
                                                              {"tok_blue_admin", "team_admin"},
                                                              {"tok_boot", "platform_admin"},
                                                              {"tok_red_admin", "team_admin"}}));
  auto owned = conn_->Exec(
      "SELECT team || ':' || string_agg(namespace, ',' ORDER BY position) FROM team_namespaces"
      " GROUP BY team ORDER BY team");
  ASSERT_TRUE(owned.ok());
  ASSERT_EQ(owned->rows(), 2);
  EXPECT_EQ(owned->Get(0, 0), "blue:spark-blue,spark-etl");
  EXPECT_EQ(owned->Get(1, 0), "red:spark-red");
  EXPECT_FALSE(conn_->Exec("SELECT namespaces FROM teams").ok()) << "the old column is gone";
}

TEST_F(Migration0005Test, TeamsThatShareANamespaceStopTheMigrationNamingThem) {
  LogCapture log;
  ASSERT_TRUE(conn_
                  ->ExecScript("INSERT INTO teams (name, namespaces) VALUES"
                               " ('blue', '{spark-blue,spark-shared}'), ('red', '{spark-shared}');"
                               "INSERT INTO api_tokens (id, team, role, token_hash) VALUES"
                               " ('tok_blue_admin', 'blue', 'admin', '\\x02')")
                  .ok());
  Status applied = Apply();
  EXPECT_EQ(applied.code(), StatusCode::kInternal);
  EXPECT_NE(log.str().find("namespace spark-shared is listed by teams blue, red"),
            std::string::npos)
      << log.str();
  // Rolled back whole: the old roles and the array column are still there.
  auto role = conn_->Exec(
      "SELECT role::text, namespaces FROM api_tokens, teams WHERE"
      " teams.name = 'red'");
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(role->Get(0, 0), "admin");
}

}  // namespace
}  // namespace sparkd::store
