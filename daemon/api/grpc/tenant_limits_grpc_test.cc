// What an adversarial tenant tried, over the real gRPC API: a team admin reaching past its
// team, a namespace claimed twice, an idempotency key reused for another request, a listing
// blown up by huge jobs, and SQL leaking into error messages.
#include <atomic>
#include <thread>

#include "daemon/api/grpc/grpc_api_test_fixture.h"

namespace sparkd::api {
namespace {

using A = v1::AdminService::Stub;
using J = v1::JobService::Stub;
using P = v1::PresetService::Stub;

class TenantLimitsTest : public GrpcApiTest {
 protected:
  grpc::Status CreateToken(const std::string& token, const std::string& team, int role,
                           v1::CreateTokenResponse* issued = nullptr) {
    v1::CreateTokenRequest request;
    request.set_team(team);
    request.set_role(static_cast<v1::Role>(role));
    v1::CreateTokenResponse response;
    return Call(&A::CreateToken, admin_stub_, token, request, issued ? issued : &response);
  }

  grpc::Status PutPreset(const std::string& token, const std::string& team,
                         const std::string& job_type, const std::string& yaml) {
    v1::PutPresetRequest put;
    put.set_team(team);
    put.set_job_type(job_type);
    put.set_yaml(yaml);
    v1::PutPresetResponse response;
    return Call(&P::PutPreset, presets_stub_, token, put, &response);
  }

  grpc::Status CreateTeam(const std::string& name, const std::vector<std::string>& namespaces) {
    v1::CreateTeamRequest request;
    request.set_name(name);
    for (const auto& ns : namespaces) request.add_namespaces(ns);
    v1::CreateTeamResponse response;
    return Call(&A::CreateTeam, admin_stub_, admin_token_, request, &response);
  }

  grpc::Status Submit(const v1::SubmitJobRequest& request, v1::SubmitJobResponse* response) {
    return Call(&J::SubmitJob, jobs_stub_, blue_, request, response);
  }
};

TEST_F(TenantLimitsTest, ATeamAdminCannotReachPastItsTeam) {
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    StatusCode code;
    std::string says;  // part of the message
  };
  v1::CreateTokenResponse blue_platform;
  ASSERT_TRUE(CreateToken(admin_token_, "blue", v1::ROLE_PLATFORM_ADMIN, &blue_platform).ok());
  const std::string& admin = blue_admin_;
  const std::vector<Case> cases = {
      {"mint a platform admin of its team",
       [&] { return CreateToken(admin, "blue", v1::ROLE_PLATFORM_ADMIN); },
       StatusCode::PERMISSION_DENIED, "only platform admins create platform-admin tokens"},
      {"mint a member of another team", [&] { return CreateToken(admin, "red", v1::ROLE_MEMBER); },
       StatusCode::PERMISSION_DENIED, "own team's tokens (team blue)"},
      {"mint a token of a team that does not exist",
       [&] { return CreateToken(admin, "nosuch", v1::ROLE_MEMBER); }, StatusCode::PERMISSION_DENIED,
       "own team's tokens"},
      {"mint for its team spelt in capitals",
       [&] { return CreateToken(admin, "BLUE", v1::ROLE_MEMBER); }, StatusCode::PERMISSION_DENIED,
       "own team's tokens"},
      {"the retired ROLE_ADMIN", [&] { return CreateToken(admin, "blue", 2); },
       StatusCode::INVALID_ARGUMENT, "ROLE_TEAM_ADMIN"},
      {"a role the proto does not define", [&] { return CreateToken(admin, "blue", 99); },
       StatusCode::INVALID_ARGUMENT, "role: 99 is not a role"},
      {"the retired ROLE_ADMIN, even from the platform",
       [&] { return CreateToken(admin_token_, "blue", 2); }, StatusCode::INVALID_ARGUMENT,
       "ROLE_PLATFORM_ADMIN"},
      {"revoke a platform admin's token of its team",
       [&] {
         v1::RevokeTokenRequest request;
         request.set_token_id(blue_platform.token_id());
         v1::RevokeTokenResponse response;
         return Call(&A::RevokeToken, admin_stub_, admin, request, &response);
       },
       StatusCode::PERMISSION_DENIED, "platform-admin tokens"},
      {"revoke red's token",
       [&] {
         v1::RevokeTokenRequest request;
         request.set_token_id(red_id_);
         v1::RevokeTokenResponse response;
         return Call(&A::RevokeToken, admin_stub_, admin, request, &response);
       },
       StatusCode::NOT_FOUND, "not found"},
      {"list red's tokens",
       [&] {
         v1::ListTokensRequest request;
         request.set_team("red");
         v1::ListTokensResponse response;
         return Call(&A::ListTokens, admin_stub_, admin, request, &response);
       },
       StatusCode::PERMISSION_DENIED, "own team's tokens"},
      {"create a team",
       [&] {
         v1::CreateTeamRequest request;
         request.set_name("mallory");
         v1::CreateTeamResponse response;
         return Call(&A::CreateTeam, admin_stub_, admin, request, &response);
       },
       StatusCode::PERMISSION_DENIED, "only platform admins create teams"},
      {"write red's preset",
       [&] { return PutPreset(admin, "red", "x", "executor: {memory: 1g}\n"); },
       StatusCode::PERMISSION_DENIED, "own team's presets (team blue)"},
      {"choose a namespace for a team that has none",
       [&] { return PutPreset(admin, "blue", "x", "namespace: spark-red\n"); },
       StatusCode::PERMISSION_DENIED, "only a platform admin may choose one"},
      {"a credentials key in a preset",
       [&] {
         return PutPreset(admin, "", "x",
                          "conf: {spark.kubernetes.authenticate.driver.oauthToken: t}\n");
       },
       StatusCode::PERMISSION_DENIED, "sets the job's credentials"},
      {"a pod template in a preset",
       [&] {
         return PutPreset(admin, "", "x",
                          "conf: {spark.kubernetes.driver.podTemplateFile: /etc/p.yaml}\n");
       },
       StatusCode::PERMISSION_DENIED, "only a platform admin may set it"},
      {"a hostPath volume in a preset",
       [&] {
         return PutPreset(admin, "", "x",
                          "volumes: [{name: root, hostPath: {path: /}}]\n"
                          "volumeMounts: [{name: root, mountPath: /host}]\n");
       },
       StatusCode::PERMISSION_DENIED, "hostPath"},
  };
  for (const auto& c : cases) {
    auto status = c.call();
    EXPECT_EQ(status.error_code(), c.code) << c.name << ": " << status.error_message();
    EXPECT_NE(status.error_message().find(c.says), std::string::npos)
        << c.name << ": " << status.error_message();
  }
  EXPECT_EQ(teams_->GetTeam("mallory").status().code(), sparkd::StatusCode::kNotFound);
  auto still = teams_->GetToken(blue_platform.token_id());
  ASSERT_TRUE(still.ok());
  EXPECT_FALSE(still->revoked_at.has_value());

  // What it may do: a team admin of blue mints a team admin of blue that works as one.
  v1::CreateTokenResponse deputy;
  ASSERT_TRUE(CreateToken(admin, "blue", v1::ROLE_TEAM_ADMIN, &deputy).ok());
  EXPECT_EQ(deputy.role(), v1::ROLE_TEAM_ADMIN);
  EXPECT_TRUE(PutPreset(deputy.token(), "", "deputy", "executor: {memory: 1g}\n").ok());
  EXPECT_EQ(PutPreset(deputy.token(), "red", "deputy", "executor: {memory: 1g}\n").error_code(),
            StatusCode::PERMISSION_DENIED);
}

TEST_F(TenantLimitsTest, ANamespaceBelongsToOneTeamEvenUnderRacingCreates) {
  ASSERT_TRUE(CreateTeam("etl", {"spark-etl", "spark-etl-2"}).ok());
  auto taken = CreateTeam("thief", {"spark-thief", "spark-etl-2"});
  EXPECT_EQ(taken.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(taken.error_message(),
            "namespaces: \"spark-etl-2\" already belongs to team etl; a namespace belongs to one "
            "team");
  auto bad = CreateTeam("thief", {"Spark_ETL"});
  EXPECT_EQ(bad.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(bad.error_message().starts_with("namespaces[0]: ")) << bad.error_message();

  // A platform admin cannot hand another team's namespace to a team through a preset either.
  ASSERT_TRUE(CreateTeam("free", {}).ok());
  auto via_preset = PutPreset(admin_token_, "free", "p", "namespace: spark-etl\n");
  EXPECT_EQ(via_preset.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(via_preset.error_message(), "namespace: \"spark-etl\" belongs to team etl");
  EXPECT_TRUE(PutPreset(admin_token_, "free", "p", "namespace: spark-free\n").ok());

  constexpr int kRacers = 8;
  std::vector<grpc::Status> results(kRacers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = CreateTeam("racer-" + std::to_string(i), {"spark-contested"});
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  int won = 0;
  for (const auto& result : results) {
    if (result.ok()) {
      ++won;
      continue;
    }
    EXPECT_EQ(result.error_code(), StatusCode::FAILED_PRECONDITION) << result.error_message();
    EXPECT_NE(result.error_message().find("\"spark-contested\" already belongs to team racer-"),
              std::string::npos)
        << result.error_message();
  }
  EXPECT_EQ(won, 1);
}

TEST_F(TenantLimitsTest, AKeyReusedForAnotherRequestIsAlreadyExistsNamingTheJob) {
  v1::SubmitJobRequest first = SubmitRequest("heavy_shuffle", "dag/task/run/0");
  (*first.mutable_job()->mutable_conf())["spark.sql.shuffle.partitions"] = "64";
  (*first.mutable_job()->mutable_conf())["spark.app.tag"] = "nightly";
  first.mutable_job()->add_args("--day=2026-01-01");
  v1::SubmitJobResponse created;
  ASSERT_TRUE(Submit(first, &created).ok());
  ASSERT_TRUE(created.created());
  const std::string id = created.job().id();

  // The same request, however its maps were built, reattaches.
  v1::SubmitJobRequest same = SubmitRequest("heavy_shuffle", "dag/task/run/0");
  (*same.mutable_job()->mutable_conf())["spark.app.tag"] = "nightly";
  (*same.mutable_job()->mutable_conf())["spark.sql.shuffle.partitions"] = "64";
  same.mutable_job()->add_args("--day=2026-01-01");
  v1::SubmitJobResponse again;
  ASSERT_TRUE(Submit(same, &again).ok());
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.job().id(), id);

  // Also after the team's presets changed: the request, not its resolution, is compared.
  v1::GetPresetRequest get;
  get.set_team("blue");
  get.set_job_type("heavy_shuffle");
  v1::GetPresetResponse current;
  ASSERT_TRUE(Call(&P::GetPreset, presets_stub_, blue_, get, &current).ok());
  v1::PutPresetRequest put;
  put.set_team("blue");
  put.set_job_type("heavy_shuffle");
  put.set_yaml(current.preset().yaml() + "\nannotations: {changed: \"yes\"}\n");
  put.set_expected_version(current.preset().ref().version());
  v1::PutPresetResponse changed;
  ASSERT_TRUE(Call(&P::PutPreset, presets_stub_, admin_token_, put, &changed).ok());
  ASSERT_TRUE(Submit(same, &again).ok());
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.job().id(), id);

  struct Spelling {
    std::string name;
    std::function<void(v1::JobRequest*)> change;
  };
  const std::vector<Spelling> spellings = {
      {"another argument", [](v1::JobRequest* j) { j->set_args(0, "--day=2026-01-02"); }},
      {"another conf value",
       [](v1::JobRequest* j) { (*j->mutable_conf())["spark.app.tag"] = "hourly"; }},
      {"one more conf key",
       [](v1::JobRequest* j) { (*j->mutable_conf())["spark.app.extra"] = "1"; }},
      {"another name", [](v1::JobRequest* j) { j->set_name("renamed"); }},
      {"another file", [](v1::JobRequest* j) { j->set_file("other.jar"); }},
      {"more executor memory", [](v1::JobRequest* j) { j->mutable_executor()->set_memory("8g"); }},
      // Resolving fails for this one (no such preset): the key is looked up on that path too.
      {"a job type that does not resolve", [](v1::JobRequest* j) { j->set_job_type("nosuch"); }},
  };
  for (const auto& spelling : spellings) {
    v1::SubmitJobRequest different = same;
    spelling.change(different.mutable_job());
    v1::SubmitJobResponse response;
    auto status = Submit(different, &response);
    EXPECT_EQ(status.error_code(), StatusCode::ALREADY_EXISTS) << spelling.name;
    EXPECT_EQ(status.error_message(),
              "idempotency_key: already used for a different request (job " + id +
                  "); send the same request to reattach to that job, or use another key for a "
                  "new one")
        << spelling.name;
  }
  // Another team's same key is another submission.
  v1::SubmitJobRequest red_request = SubmitRequest("", "dag/task/run/0");
  v1::SubmitJobResponse red_job;
  ASSERT_TRUE(Call(&J::SubmitJob, jobs_stub_, red_, red_request, &red_job).ok());
  EXPECT_TRUE(red_job.created());
}

TEST_F(TenantLimitsTest, HugeJobsNeverBreakAListing) {
  // Stored directly: request validation (elsewhere) may refuse such jobs, the listing must not
  // depend on it. Four jobs with a 1 MiB conf value, one with a huge name and state message.
  for (int i = 0; i < 5; ++i) {
    Job job;
    job.id = "huge" + std::to_string(i);
    job.team = "blue";
    job.idempotency_key = "huge/" + std::to_string(i);
    job.backend = "local";
    job.request.file = "app.jar";
    job.request.conf["spark.huge"] = std::string(1 << 20, 'x');
    job.created_at = clock_->Now() + std::chrono::seconds(i);
    job.state_message = i == 4 ? std::string(3 << 20, 'm') : "accepted";
    if (i == 4) job.request.name = std::string(2 << 20, 'n');
    ASSERT_TRUE(job_store_->CreateJob(job, "{}").ok());
  }
  for (int page_size : {0, 3, 500}) {
    v1::ListJobsRequest request;
    request.set_page_size(page_size);
    v1::ListJobsResponse listed;
    auto status = Call(&J::ListJobs, jobs_stub_, blue_, request, &listed);
    ASSERT_TRUE(status.ok()) << page_size << ": " << status.error_message();
    EXPECT_LT(listed.ByteSizeLong(), kMaxJobPageBytes) << page_size;
    EXPECT_EQ(listed.jobs_size(), page_size == 3 ? 3 : 5);
    EXPECT_EQ(listed.jobs(0).id(), "huge4");
    EXPECT_EQ(listed.jobs(0).state_message(), std::string(kSummaryTextChars, 'm') + "\u2026");
    EXPECT_EQ(listed.jobs(0).name(), std::string(kSummaryTextChars, 'n') + "\u2026");
    EXPECT_EQ(listed.jobs(1).file(), "app.jar");
    EXPECT_EQ(listed.jobs(1).links().job_page(), "http://sparkd/jobs/huge3");
    EXPECT_EQ(listed.next_page_token().empty(), page_size != 3);
  }
  // The whole job is still there for GetJob.
  v1::GetJobRequest get;
  get.set_job_id("huge0");
  v1::GetJobResponse whole;
  ASSERT_TRUE(Call(&J::GetJob, jobs_stub_, blue_, get, &whole).ok());
  EXPECT_EQ(whole.job().request().conf().at("spark.huge").size(), size_t{1} << 20);
}

TEST_F(TenantLimitsTest, NoErrorMessageCarriesSql) {
  const std::string nul("x\0y", 3);
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
  };
  auto submit_with = [&](std::function<void(v1::SubmitJobRequest*)> change) {
    v1::SubmitJobRequest request = SubmitRequest("", "nul/key");
    change(&request);
    v1::SubmitJobResponse response;
    return Submit(request, &response);
  };
  const std::vector<Case> cases = {
      {"NUL in a job name",
       [&] { return submit_with([&](auto* r) { r->mutable_job()->set_name(nul); }); }},
      {"NUL in a conf value",
       [&] {
         return submit_with([&](auto* r) { (*r->mutable_job()->mutable_conf())["spark.x"] = nul; });
       }},
      {"NUL in an argument",
       [&] { return submit_with([&](auto* r) { r->mutable_job()->add_args(nul); }); }},
      {"NUL in a label value",
       [&] {
         return submit_with([&](auto* r) { (*r->mutable_job()->mutable_labels())["team"] = nul; });
       }},
      {"NUL in a job id",
       [&] {
         v1::GetJobRequest request;
         request.set_job_id(nul);
         v1::GetJobResponse response;
         return Call(&J::GetJob, jobs_stub_, blue_, request, &response);
       }},
      {"NUL in a page token",
       [&] {
         v1::ListJobsRequest request;
         request.set_page_token("1_" + nul);
         v1::ListJobsResponse response;
         return Call(&J::ListJobs, jobs_stub_, blue_, request, &response);
       }},
      {"a page token of digits too many for a number",
       [&] {
         v1::ListJobsRequest request;
         request.set_page_token("99999999999999999999_j");
         v1::ListJobsResponse response;
         return Call(&J::ListJobs, jobs_stub_, blue_, request, &response);
       }},
      {"NUL in a team to list",
       [&] {
         v1::ListJobsRequest request;
         request.set_team(nul);
         v1::ListJobsResponse response;
         return Call(&J::ListJobs, jobs_stub_, admin_token_, request, &response);
       }},
      {"NUL in a token id to revoke",
       [&] {
         v1::RevokeTokenRequest request;
         request.set_token_id(nul);
         v1::RevokeTokenResponse response;
         return Call(&A::RevokeToken, admin_stub_, admin_token_, request, &response);
       }},
      {"NUL in a namespace", [&] { return CreateTeam("nul-team", {nul}); }},
      {"NUL in a preset job type", [&] { return PutPreset(admin_token_, "blue", nul, "{}"); }},
      {"NUL in a team to read presets of",
       [&] {
         v1::ListPresetsRequest request;
         request.set_team(nul);
         v1::ListPresetsResponse response;
         return Call(&P::ListPresets, presets_stub_, admin_token_, request, &response);
       }},
  };
  for (const auto& c : cases) {
    auto status = c.call();
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT)
        << c.name << ": " << status.error_message();
    for (const char* word : {"SELECT", "INSERT", "FROM", "WHERE", "$1", "jsonb", "ERROR", "syntax",
                             "relation", "byte sequence", "\\u0000", "PostgreSQL"}) {
      EXPECT_EQ(status.error_message().find(word), std::string::npos)
          << c.name << ": \"" << word << "\" in: " << status.error_message();
    }
  }
}

}  // namespace
}  // namespace sparkd::api
