#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "daemon/store/pg_preset_store.h"
#include "daemon/store/pg_team_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::store {
namespace {

class TeamPresetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    pool_ = db_->NewPool(8);
    teams_ = std::make_unique<PgTeamStore>(pool_.get());
    presets_ = std::make_unique<PgPresetStore>(pool_.get());
    ASSERT_TRUE(teams_->CreateTeam({"blue", {"spark-blue"}}).ok());
    ASSERT_TRUE(teams_->CreateTeam({"red", {}}).ok());
  }

  PresetWrite Write(const std::string& yaml, int64_t expected, const std::string& team = "blue",
                    const std::string& job_type = "platform_default") {
    PresetWrite w;
    w.team = team;
    w.job_type = job_type;
    w.expected_version = expected;
    w.author = "alice";
    w.at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    auto parsed = ParsePreset(yaml);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (parsed.ok()) w.preset = *parsed;
    w.source_yaml = yaml;
    return w;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgTeamStore> teams_;
  std::unique_ptr<PgPresetStore> presets_;
};

TEST_F(TeamPresetStoreTest, TeamsHaveUniqueValidNamesAndKeepNamespaces) {
  EXPECT_EQ(teams_->CreateTeam({"blue", {}}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(teams_->CreateTeam({"Blue Team", {}}).code(), StatusCode::kInvalidArgument);
  auto blue = teams_->GetTeam("blue");
  ASSERT_TRUE(blue.ok());
  EXPECT_EQ(blue->namespaces, std::vector<std::string>{"spark-blue"});
  EXPECT_EQ(teams_->GetTeam("green").status().code(), StatusCode::kNotFound);
}

TEST_F(TeamPresetStoreTest, TokensAuthenticateUntilRevokedAndOnlyTheHashIsStored) {
  auto member = teams_->CreateToken("blue", Role::kMember, "");
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  auto admin = teams_->CreateToken("red", Role::kTeamAdmin, "");
  ASSERT_TRUE(admin.ok());
  EXPECT_NE(member->token, admin->token);

  auto caller = teams_->Authenticate(member->token);
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->team, "blue");
  EXPECT_EQ(caller->role, Role::kMember);
  auto admin_caller = teams_->Authenticate(admin->token);
  ASSERT_TRUE(admin_caller.ok());
  EXPECT_EQ(admin_caller->role, Role::kTeamAdmin);
  EXPECT_EQ(admin_caller->team, "red");

  auto conn = PgConnection::Connect(db_->url());
  ASSERT_TRUE(conn.ok());
  auto dump = (*conn)->Exec("SELECT string_agg(row_to_json(t)::text, ' ') FROM api_tokens t");
  ASSERT_TRUE(dump.ok());
  std::string stored(dump->Get(0, 0));
  EXPECT_EQ(stored.find(member->token), std::string::npos);
  EXPECT_NE(stored.find(TokenHashHex(member->token)), std::string::npos);

  ASSERT_TRUE(teams_->RevokeToken(member->id).ok());
  auto revoked = teams_->Authenticate(member->token);
  EXPECT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(revoked.status().message().find(member->token), std::string::npos);
  EXPECT_EQ(teams_->Authenticate("sparkd_nope").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(teams_->Authenticate("").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(teams_->CreateToken("green", Role::kMember, "").status().code(), StatusCode::kNotFound);
}

TEST_F(TeamPresetStoreTest, EnsureTokenIsIdempotentAndRefusesAReassignedToken) {
  const std::string token = "bootstrap-admin-token-0123456789";
  auto first = teams_->EnsureToken("admin", token, Role::kPlatformAdmin);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, TokenState::kActive);
  auto again = teams_->EnsureToken("admin", token, Role::kPlatformAdmin);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, TokenState::kActive);
  auto caller = teams_->Authenticate(token);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->team, "admin");
  EXPECT_EQ(caller->role, Role::kPlatformAdmin);
  EXPECT_EQ(teams_->EnsureToken("blue", token, Role::kPlatformAdmin).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(teams_->EnsureToken("admin", token, Role::kMember).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(teams_->EnsureToken("admin", "short", Role::kPlatformAdmin).status().code(),
            StatusCode::kInvalidArgument);
  auto tokens = teams_->ListTokens("admin");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), 1u) << "a repeated EnsureToken must not add tokens";
}

TEST_F(TeamPresetStoreTest, ARevokedBootstrapTokenStaysRevokedAtTheNextStart) {
  const std::string token = "bootstrap-admin-token-0123456789";
  ASSERT_TRUE(teams_->EnsureToken("admin", token, Role::kPlatformAdmin).ok());
  ASSERT_TRUE(teams_->Authenticate(token).ok());
  auto listed = teams_->ListTokens("admin");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(teams_->RevokeToken(listed->front().id).ok());

  // What the next start does: the token is found revoked, and left so.
  auto restarted = teams_->EnsureToken("admin", token, Role::kPlatformAdmin);
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ(*restarted, TokenState::kRevoked);
  EXPECT_EQ(teams_->Authenticate(token).status().code(), StatusCode::kUnauthenticated);
  // Also through a store with an empty cache, as a restarted daemon has.
  PgTeamStore fresh(pool_.get());
  EXPECT_EQ(fresh.Authenticate(token).status().code(), StatusCode::kUnauthenticated);
  auto after = teams_->ListTokens("admin");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u) << "the bootstrap token must not be registered anew";
  EXPECT_TRUE(after->front().revoked_at.has_value());
}

TEST_F(TeamPresetStoreTest, ListTeamsByName) {
  ASSERT_TRUE(teams_->CreateTeam({"amber", {"spark-amber", "spark-shared"}}).ok());
  auto teams = teams_->ListTeams();
  ASSERT_TRUE(teams.ok()) << teams.status().ToString();
  ASSERT_EQ(teams->size(), 3u);
  EXPECT_EQ((*teams)[0].name, "amber");
  EXPECT_EQ((*teams)[0].namespaces, (std::vector<std::string>{"spark-amber", "spark-shared"}));
  EXPECT_EQ((*teams)[1].name, "blue");
  EXPECT_EQ((*teams)[1].namespaces, std::vector<std::string>{"spark-blue"});
  EXPECT_EQ((*teams)[2].name, "red");
  EXPECT_TRUE((*teams)[2].namespaces.empty());
}

TEST_F(TeamPresetStoreTest, ListTokensShowsDescriptionsAndRevocationsButNoSecret) {
  auto airflow = teams_->CreateToken("blue", Role::kMember, "airflow prod connection");
  ASSERT_TRUE(airflow.ok()) << airflow.status().ToString();
  auto ops = teams_->CreateToken("blue", Role::kTeamAdmin, "");
  ASSERT_TRUE(ops.ok());
  auto red = teams_->CreateToken("red", Role::kMember, "red's notebook");
  ASSERT_TRUE(red.ok());

  auto blue = teams_->ListTokens("blue");
  ASSERT_TRUE(blue.ok()) << blue.status().ToString();
  ASSERT_EQ(blue->size(), 2u);
  const TokenInfo& first = (*blue)[0];
  EXPECT_EQ(first.id, airflow->id);
  EXPECT_EQ(first.team, "blue");
  EXPECT_EQ(first.role, Role::kMember);
  EXPECT_EQ(first.description, "airflow prod connection");
  EXPECT_FALSE(first.revoked_at.has_value());
  EXPECT_LE(std::chrono::system_clock::now() - first.created_at, std::chrono::minutes(1));
  EXPECT_EQ((*blue)[1].id, ops->id);
  EXPECT_EQ((*blue)[1].role, Role::kTeamAdmin);
  EXPECT_EQ((*blue)[1].description, "");
  auto all = teams_->ListTokens("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].id, red->id);
  EXPECT_EQ((*all)[2].description, "red's notebook");
  auto none = teams_->ListTokens("green");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // Revoking is idempotent and keeps the first revocation's time.
  ASSERT_TRUE(teams_->Authenticate(airflow->token).ok());  // now cached
  auto revoked = teams_->RevokeToken(airflow->id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  ASSERT_TRUE(revoked->revoked_at.has_value());
  EXPECT_EQ(revoked->description, "airflow prod connection");
  EXPECT_EQ(teams_->Authenticate(airflow->token).status().code(), StatusCode::kUnauthenticated);
  auto again = teams_->RevokeToken(airflow->id);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->revoked_at, revoked->revoked_at);
  EXPECT_EQ(teams_->RevokeToken("tok_unknown").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(teams_->Authenticate(ops->token).ok()) << "only the revoked token stops working";

  auto listed = teams_->ListTokens("blue");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].revoked_at, revoked->revoked_at);
  EXPECT_FALSE((*listed)[1].revoked_at.has_value());
}

TEST_F(TeamPresetStoreTest, PutCreatesImmutableVersionsWithOptimisticConcurrency) {
  auto v1 = presets_->Put(Write("executor: {memory: 4g}\n", 0));
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ((*v1)->layer.ref.version, 1);
  auto stale = presets_->Put(Write("executor: {memory: 8g}\n", 0));
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  EXPECT_NE(stale.status().message().find("version 1"), std::string::npos)
      << stale.status().message();
  auto v2 = presets_->Put(Write("executor: {memory: 8g}\n", 1));
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ((*v2)->layer.ref.version, 2);

  auto latest = presets_->Get("blue", "platform_default", 0);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ((*latest)->layer.preset.spec.executor.memory, "8g");
  EXPECT_EQ((*latest)->author, "alice");
  auto first = presets_->Get("blue", "platform_default", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->layer.preset.spec.executor.memory, "4g");
  EXPECT_EQ((*first)->source_yaml, "executor: {memory: 4g}\n");
  EXPECT_EQ(presets_->Get("red", "platform_default", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(presets_->Put(Write("{}", 0, "green")).status().code(), StatusCode::kNotFound);

  auto conn = PgConnection::Connect(db_->url());
  ASSERT_TRUE(conn.ok());
  EXPECT_FALSE((*conn)->Exec("UPDATE presets SET author = 'mallory'").ok());
  EXPECT_FALSE((*conn)->Exec("DELETE FROM presets").ok());
}

TEST_F(TeamPresetStoreTest, TwoConcurrentWritersOfOneVersionOneWinsTheOtherIsAborted) {
  ASSERT_TRUE(presets_->Put(Write("executor: {memory: 4g}\n", 0)).ok());
  for (int round = 0; round < 10; ++round) {
    // Both writers saw version round+1; a barrier lines them up on the same read.
    std::barrier start(2);
    std::atomic<int> wins{0}, aborted{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        PresetWrite write = Write("executor: {cores: " + std::to_string(w + 1) + "}\n", round + 1);
        start.arrive_and_wait();
        auto result = presets_->Put(write);
        if (result.ok()) ++wins;
        if (result.status().code() == StatusCode::kAborted) ++aborted;
      });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(aborted.load(), 1) << "round " << round;
  }
  auto latest = presets_->Get("blue", "platform_default", 0);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ((*latest)->layer.ref.version, 11);
}

TEST_F(TeamPresetStoreTest, ABaseIsNeverDeletedUnderAPresetThatExtendsItConcurrently) {
  // Each round races deleting the base against writing a preset that extends it; whatever
  // the order, no round may end with the base deleted and the dependent live.
  auto latest_version = [&](const std::string& job_type) -> int64_t {
    auto latest = presets_->Get("blue", job_type, 0);
    return latest.ok() ? (*latest)->layer.ref.version : 0;
  };
  for (int round = 0; round < 20; ++round) {
    if (latest_version("base") == 0) {
      ASSERT_TRUE(presets_->Put(Write("executor: {memory: 4g}\n", 0, "blue", "base")).ok());
    }
    if (int64_t dependent = latest_version("heavy"); dependent > 0) {
      ASSERT_TRUE(presets_->Delete(Write("", dependent, "blue", "heavy")).ok());
    }
    PresetWrite remove_base = Write("", latest_version("base"), "blue", "base");
    PresetWrite extend_base = Write("extends: base\nexecutor: {cores: 4}\n", 0, "blue", "heavy");
    std::barrier start(2);
    std::thread deleter([&] {
      start.arrive_and_wait();
      (void)presets_->Delete(remove_base);
    });
    std::thread extender([&] {
      start.arrive_and_wait();
      (void)presets_->Put(extend_base);
    });
    deleter.join();
    extender.join();
    EXPECT_FALSE(latest_version("base") == 0 && latest_version("heavy") > 0)
        << "round " << round << ": heavy extends a deleted base";
  }
}

TEST_F(TeamPresetStoreTest, DeleteWritesATombstoneThatListAndGetLatestSkip) {
  ASSERT_TRUE(presets_->Put(Write("executor: {memory: 4g}\n", 0)).ok());
  ASSERT_TRUE(presets_->Put(Write("executor: {memory: 8g}\n", 0, "blue", "heavy")).ok());
  ASSERT_TRUE(presets_->Put(Write("executor: {memory: 2g}\n", 0, "red")).ok());
  EXPECT_EQ(presets_->Delete(Write("{}", 2)).status().code(), StatusCode::kAborted);
  auto tombstone = presets_->Delete(Write("{}", 1));
  ASSERT_TRUE(tombstone.ok()) << tombstone.status().ToString();
  EXPECT_TRUE((*tombstone)->deleted);
  EXPECT_EQ((*tombstone)->layer.ref.version, 2);
  EXPECT_EQ(presets_->Delete(Write("{}", 2)).status().code(), StatusCode::kNotFound);

  EXPECT_EQ(presets_->Get("blue", "platform_default", 0).status().code(), StatusCode::kNotFound);
  auto old = presets_->Get("blue", "platform_default", 1);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE((*old)->deleted);
  auto listed = presets_->List("blue");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0]->layer.ref.job_type, "heavy");

  // Writing again after a delete starts from "does not exist" and continues the numbering.
  auto again = presets_->Put(Write("executor: {memory: 1g}\n", 0));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->layer.ref.version, 3);
}

}  // namespace
}  // namespace sparkd::store
