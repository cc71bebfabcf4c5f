// What a database failure looks like to a client, on a real Postgres: never SQL, libpq's or the
// server's message (those go to the log under a reference), and the right code for values the
// database cannot take, whichever store and field they come through.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "daemon/core/job_json.h"
#include "daemon/core/log_capture_testing.h"
#include "daemon/store/pg.h"
#include "daemon/store/pg_job_store.h"
#include "daemon/store/pg_preset_store.h"
#include "daemon/store/pg_team_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::store {
namespace {

// Words that only SQL, libpq or the server's messages would put in a Status.
void ExpectNoDatabaseText(const Status& status, const std::string& what) {
  for (const char* word :
       {"SELECT", "INSERT",     "UPDATE", "WITH ",      "FROM",   "WHERE",     "$1",
        "jsonb",  "ERROR",      "syntax", "relation",   "column", "violates",  "byte sequence",
        "0x",     "constraint", "libpq",  "PostgreSQL", "server", "127.0.0.1", "postgres"}) {
    EXPECT_EQ(status.message().find(word), std::string::npos)
        << what << ": \"" << word << "\" in: " << status.message();
  }
}

class PgErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::Create();
    pool_ = db_->NewPool(4);
    jobs_ = std::make_unique<PgJobStore>(pool_.get(), clock_.get());
    teams_ = std::make_unique<PgTeamStore>(pool_.get());
    presets_ = std::make_unique<PgPresetStore>(pool_.get());
    ASSERT_TRUE(teams_->CreateTeam(Team{"blue", {}}).ok());
  }

  std::string Log() const { return log_.str(); }

  // The reference a Status names ("ref 0123abcd..."), "" when none.
  static std::string RefOf(const Status& status) {
    auto at = status.message().find("(ref ");
    if (at == std::string::npos) return "";
    return status.message().substr(at + 5, 16);
  }

  Job NewJob(const std::string& id) {
    Job job;
    job.id = id;
    job.team = "blue";
    job.idempotency_key = "key-" + id;
    job.backend = "local";
    job.request.file = "app.jar";
    job.state_message = "accepted";
    job.created_at = clock_->Now();
    return job;
  }

  LogCapture log_;
  std::unique_ptr<Clock> clock_ = NewSystemClock();
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgJobStore> jobs_;
  std::unique_ptr<PgTeamStore> teams_;
  std::unique_ptr<PgPresetStore> presets_;
};

TEST_F(PgErrorTest, AQueryErrorNamesAReferenceAndTheLogHasTheDetails) {
  struct Case {
    std::string name;
    std::string sql;
    std::vector<PgParam> params;
    StatusCode code;
    std::string logged;  // what the log line must hold about it
  };
  const std::vector<Case> cases = {
      {"syntax error", "SELEC 1", {}, StatusCode::kInternal, "SELEC 1"},
      {"unknown table", "SELECT * FROM no_such_table", {}, StatusCode::kInternal, "42P01"},
      {"invalid UTF-8",
       "SELECT $1::text",
       {std::string("bad \xff\xfe bytes")},
       StatusCode::kInvalidArgument,
       "22021"},
      {"NUL in jsonb",
       "SELECT $1::jsonb",
       {std::string(R"({"a": "x\u0000y"})")},
       StatusCode::kInvalidArgument,
       "22P05"},
      {"malformed number",
       "SELECT $1::bigint",
       {std::string("12x")},
       StatusCode::kInvalidArgument,
       "22P02"},
      {"number out of range",
       "SELECT $1::integer",
       {std::string("99999999999")},
       StatusCode::kInvalidArgument,
       "22003"},
      {"too long",
       "INSERT INTO short_text VALUES ($1)",
       {std::string("abcd")},
       StatusCode::kInvalidArgument,
       "22001"},
  };
  auto conn = PgConnection::Connect(db_->url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->ExecScript("CREATE TEMP TABLE short_text (v varchar(3))").ok());
  for (const auto& c : cases) {
    Status status = (*conn)->Exec(c.sql, c.params).status();
    EXPECT_EQ(status.code(), c.code) << c.name << ": " << status.ToString();
    ExpectNoDatabaseText(status, c.name);
    std::string ref = RefOf(status);
    ASSERT_EQ(ref.size(), 16u) << c.name << ": no reference in " << status.message();
    const std::string log = Log();
    auto line = log.find("ref " + ref);
    ASSERT_NE(line, std::string::npos) << c.name << ": reference not logged:\n" << log;
    EXPECT_NE(log.find(c.logged, line), std::string::npos) << c.name << ":\n" << log;
  }
}

TEST_F(PgErrorTest, ANulCharacterIsRefusedBeforeItReachesTheDatabase) {
  // libpq takes C strings: without the check "blue\0x" would silently be "blue".
  auto conn = PgConnection::Connect(db_->url());
  ASSERT_TRUE(conn.ok());
  auto rows = (*conn)->Exec("SELECT name FROM teams WHERE name = $1", {std::string("blue\0x", 6)});
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument) << rows.status().ToString();
  EXPECT_NE(rows.status().message().find("NUL"), std::string::npos);
  ExpectNoDatabaseText(rows.status(), "NUL parameter");
}

TEST_F(PgErrorTest, EveryStoreRefusesTextTheDatabaseCannotHoldWithoutSql) {
  const std::string nul("a\0b", 3);
  const std::string not_utf8 = "a\xff\xfe";
  struct Case {
    std::string name;
    std::function<Status()> call;
  };
  std::vector<Case> cases;
  for (const auto& [spelling, bad] : std::vector<std::pair<std::string, std::string>>{
           {"NUL", nul}, {"invalid UTF-8", not_utf8}}) {
    auto job_with = [this, bad](const std::string& id, auto set) {
      Job job = NewJob(id);
      set(job, bad);
      return jobs_->CreateJob(job, "{}").status();
    };
    const std::string id = spelling == "NUL" ? "n" : "u";
    cases.push_back({spelling + " in a job's team",
                     [=] { return job_with(id + "1", [](Job& j, auto& v) { j.team = v; }); }});
    cases.push_back({spelling + " in an idempotency key", [=] {
                       return job_with(id + "2", [](Job& j, auto& v) { j.idempotency_key = v; });
                     }});
    cases.push_back({spelling + " in a state message", [=] {
                       return job_with(id + "3", [](Job& j, auto& v) { j.state_message = v; });
                     }});
    cases.push_back({spelling + " in a job name (jsonb)", [=] {
                       return job_with(id + "4", [](Job& j, auto& v) { j.request.name = v; });
                     }});
    cases.push_back({spelling + " in a conf value (jsonb)", [=] {
                       return job_with(id + "5",
                                       [](Job& j, auto& v) { j.request.conf["spark.x"] = v; });
                     }});
    cases.push_back({spelling + " in a job id lookup",
                     [=, this] { return jobs_->GetJob(bad, std::nullopt).status(); }});
    cases.push_back({spelling + " in a listed team", [=, this] {
                       JobQuery query;
                       query.team = bad;
                       return jobs_->ListJobs(query).status();
                     }});
    cases.push_back({spelling + " in a token description", [=, this] {
                       return teams_->CreateToken("blue", Role::kMember, bad).status();
                     }});
    cases.push_back(
        {spelling + " in a token id", [=, this] { return teams_->RevokeToken(bad).status(); }});
    cases.push_back(
        {spelling + " in a team lookup", [=, this] { return teams_->GetTeam(bad).status(); }});
    cases.push_back({spelling + " in a namespace lookup",
                     [=, this] { return teams_->NamespaceOwner(bad).status(); }});
    cases.push_back({spelling + " in a preset lookup",
                     [=, this] { return presets_->Get("blue", bad, 0).status(); }});
  }
  for (const auto& c : cases) {
    Status status = c.call();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.name << ": " << status.ToString();
    ExpectNoDatabaseText(status, c.name);
  }
}

TEST_F(PgErrorTest, ALostConnectionIsUnavailableWithoutLibpqText) {
  auto victim = PgConnection::Connect(db_->url());
  auto killer = PgConnection::Connect(db_->url());
  ASSERT_TRUE(victim.ok() && killer.ok());
  auto pid = (*victim)->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE((*killer)
                  ->Exec("SELECT pg_terminate_backend($1::integer)", {std::string(pid->Get(0, 0))})
                  .ok());
  Status lost = (*victim)->Exec("SELECT 1").status();
  EXPECT_EQ(lost.code(), StatusCode::kUnavailable) << lost.ToString();
  ExpectNoDatabaseText(lost, "lost connection");
  EXPECT_EQ(RefOf(lost).size(), 16u) << lost.message();
  EXPECT_TRUE((*victim)->Exec("SELECT 1").ok()) << "the connection was not reset";

  // Nothing listens on port 1: libpq's message names the host and port; the Status does not.
  auto refused = PgConnection::Connect("postgresql://127.0.0.1:1/sparkd?connect_timeout=5");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  ExpectNoDatabaseText(refused.status(), "refused connection");
  EXPECT_NE(Log().find("ref " + RefOf(refused.status())), std::string::npos);
}

}  // namespace
}  // namespace sparkd::store
