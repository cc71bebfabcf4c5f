// The daemon's gRPC API over a real in-process server: authentication, isolation between two
// teams on every RPC, token listing and revocation, tokens kept out of the log, and WatchJob
// streaming changes that arrive through Postgres NOTIFY.
#include "daemon/api/grpc/grpc_api_test_fixture.h"

namespace sparkd::api {
namespace {

// One row per RPC, each aimed at team blue's job or presets.
struct RpcCase {
  std::string name;
  std::function<grpc::Status(const std::string& token)> call;
  StatusCode as_red_member;   // another team's member
  StatusCode as_blue_member;  // the owner team's member
};

TEST_F(GrpcApiTest, EveryRpcChecksTokenTeamAndRole) {
  auto job = SubmitAsBlue("heavy_shuffle", "dag/task/run/1");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const std::string id = job->id();
  v1::GetJobResponse get_job;
  v1::ListJobsResponse list_jobs;
  v1::CancelJobResponse cancel;
  v1::ResolveJobResponse resolve;
  v1::SubmitJobResponse submit;
  v1::PutPresetResponse put;
  v1::GetPresetResponse get_preset;
  v1::ListPresetsResponse list_presets;
  v1::ListPresetVersionsResponse versions;
  v1::DeletePresetResponse del;
  v1::CreateTeamResponse team;
  v1::CreateTokenResponse token;
  v1::ListTeamsResponse teams;
  v1::ListTokensResponse tokens;
  v1::RevokeTokenResponse revoked;
  v1::GetJobRequest get_job_req;
  get_job_req.set_job_id(id);
  v1::ListJobsRequest list_blue;
  list_blue.set_team("blue");
  v1::CancelJobRequest cancel_req;
  cancel_req.set_job_id(id);
  v1::ResolveJobRequest resolve_req;
  *resolve_req.mutable_job() = SubmitRequest("heavy_shuffle", "").job();
  v1::PutPresetRequest put_req;
  put_req.set_team("blue");
  put_req.set_job_type("tiny");
  put_req.set_yaml("executor: {memory: 1g}\n");
  v1::GetPresetRequest get_preset_req;
  get_preset_req.set_team("blue");
  get_preset_req.set_job_type("heavy_shuffle");
  v1::ListPresetsRequest list_presets_req;
  v1::ListPresetVersionsRequest versions_req;
  versions_req.set_team("blue");
  versions_req.set_job_type("heavy_shuffle");
  list_presets_req.set_team("blue");
  v1::DeletePresetRequest del_req;
  del_req.set_team("blue");
  del_req.set_job_type("heavy_shuffle");
  del_req.set_expected_version(1);
  v1::CreateTeamRequest team_req;
  team_req.set_name("mallory");
  v1::CreateTokenRequest token_req;
  token_req.set_team("blue");
  token_req.set_role(v1::ROLE_ADMIN);
  v1::ListTokensRequest tokens_req;
  tokens_req.set_team("blue");
  v1::RevokeTokenRequest revoke_req;  // red's own token: a member may not revoke even that
  revoke_req.set_token_id(red_id_);

  using J = v1::JobService::Stub;
  using P = v1::PresetService::Stub;
  using A = v1::AdminService::Stub;
  const std::vector<RpcCase> cases = {
      {"SubmitJob (blue's job type)",
       [&](const std::string& t) {
         return Call(&J::SubmitJob, jobs_stub_, t, SubmitRequest("heavy_shuffle", "k2"), &submit);
       },
       StatusCode::NOT_FOUND, StatusCode::OK},
      {"GetJob", [&](auto& t) { return Call(&J::GetJob, jobs_stub_, t, get_job_req, &get_job); },
       StatusCode::NOT_FOUND, StatusCode::OK},
      {"ListJobs team=blue",
       [&](auto& t) { return Call(&J::ListJobs, jobs_stub_, t, list_blue, &list_jobs); },
       StatusCode::PERMISSION_DENIED, StatusCode::OK},
      {"WatchJob", [&](auto& t) { return Watch(t, id); }, StatusCode::NOT_FOUND,
       StatusCode::CANCELLED},
      {"ReadJobLog", [&](auto& t) { return ReadLog(t, id); }, StatusCode::NOT_FOUND,
       StatusCode::OK},
      {"ResolveJob (blue's job type)",
       [&](auto& t) { return Call(&J::ResolveJob, jobs_stub_, t, resolve_req, &resolve); },
       StatusCode::NOT_FOUND, StatusCode::OK},
      {"PutPreset", [&](auto& t) { return Call(&P::PutPreset, presets_stub_, t, put_req, &put); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      {"GetPreset",
       [&](auto& t) {
         return Call(&P::GetPreset, presets_stub_, t, get_preset_req, &get_preset);
       },
       StatusCode::NOT_FOUND, StatusCode::OK},
      {"ListPresets",
       [&](auto& t) {
         return Call(&P::ListPresets, presets_stub_, t, list_presets_req, &list_presets);
       },
       StatusCode::NOT_FOUND, StatusCode::OK},
      {"ListPresetVersions",
       [&](auto& t) {
         return Call(&P::ListPresetVersions, presets_stub_, t, versions_req, &versions);
       },
       StatusCode::NOT_FOUND, StatusCode::OK},
      {"DeletePreset",
       [&](auto& t) { return Call(&P::DeletePreset, presets_stub_, t, del_req, &del); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      {"CreateTeam",
       [&](auto& t) { return Call(&A::CreateTeam, admin_stub_, t, team_req, &team); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      {"CreateToken",
       [&](auto& t) { return Call(&A::CreateToken, admin_stub_, t, token_req, &token); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      {"ListTeams",
       [&](auto& t) { return Call(&A::ListTeams, admin_stub_, t, {}, &teams); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      {"ListTokens team=blue",
       [&](auto& t) { return Call(&A::ListTokens, admin_stub_, t, tokens_req, &tokens); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      {"RevokeToken (red's)",
       [&](auto& t) { return Call(&A::RevokeToken, admin_stub_, t, revoke_req, &revoked); },
       StatusCode::PERMISSION_DENIED, StatusCode::PERMISSION_DENIED},
      // Last: it changes the job.
      {"CancelJob",
       [&](auto& t) { return Call(&J::CancelJob, jobs_stub_, t, cancel_req, &cancel); },
       StatusCode::NOT_FOUND, StatusCode::OK},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.call("").error_code(), StatusCode::UNAUTHENTICATED) << c.name << ", no token";
    EXPECT_EQ(c.call("sparkd_0000").error_code(), StatusCode::UNAUTHENTICATED)
        << c.name << ", unknown token";
    auto as_red = c.call(red_);
    EXPECT_EQ(as_red.error_code(), c.as_red_member) << c.name << ": " << as_red.error_message();
    auto as_blue = c.call(blue_);
    EXPECT_EQ(as_blue.error_code(), c.as_blue_member) << c.name << ": " << as_blue.error_message();
  }
  // The other team's attempts changed nothing: blue's job was cancelled by blue only.
  auto cancelled = jobs_->Get(Caller{"blue", false, "", {}}, id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_NE(cancelled->state_message.find("cancelled by blue"), std::string::npos);
  EXPECT_EQ(list_presets.presets_size(), 3);
  EXPECT_EQ(tokens.tokens_size(), 0) << "a member was shown tokens";
  EXPECT_EQ(teams.teams_size(), 0) << "a member was shown teams";
  // A member listing its own jobs never sees another team's.
  v1::ListJobsResponse red_jobs;
  ASSERT_TRUE(Call(&J::ListJobs, jobs_stub_, red_, v1::ListJobsRequest(), &red_jobs).ok());
  EXPECT_EQ(red_jobs.jobs_size(), 0);
}

TEST_F(GrpcApiTest, TokensNeverAppearInTheLog) {
  // Successful and refused calls of every kind, then the captured log at trace level.
  ASSERT_TRUE(SubmitAsBlue("", "dag/task/run/6").ok());
  v1::ListJobsResponse listed;
  (void)Call(&v1::JobService::Stub::ListJobs, jobs_stub_, red_, v1::ListJobsRequest(), &listed);
  (void)Call(&v1::JobService::Stub::ListJobs, jobs_stub_, "sparkd_wrong_token_abcdef",
             v1::ListJobsRequest(), &listed);
  v1::CreateTokenRequest create;
  create.set_team("red");
  v1::CreateTokenResponse issued;
  ASSERT_TRUE(
      Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, create, &issued).ok());
  ASSERT_TRUE(teams_->EnsureToken("admin", admin_token_, Role::kAdmin).ok());
  spdlog::default_logger()->flush();
  const std::string log = log_->str();
  for (const std::string& token :
       {admin_token_, blue_, red_, issued.token(), std::string("sparkd_wrong_token_abcdef")}) {
    EXPECT_EQ(log.find(token), std::string::npos) << "token in the log:\n" << log;
  }
}

TEST_F(GrpcApiTest, ARevokedTokenIsRefusedAtItsNextCallThroughTheSameDaemon) {
  v1::ListJobsResponse listed;
  using J = v1::JobService::Stub;
  using A = v1::AdminService::Stub;
  // Both tokens authenticated just now, so the daemon has them cached.
  ASSERT_TRUE(Call(&J::ListJobs, jobs_stub_, blue_, v1::ListJobsRequest(), &listed).ok());
  ASSERT_TRUE(Call(&J::ListJobs, jobs_stub_, red_, v1::ListJobsRequest(), &listed).ok());

  v1::RevokeTokenRequest revoke;
  revoke.set_token_id(blue_id_);
  v1::RevokeTokenResponse revoked;
  auto status = Call(&A::RevokeToken, admin_stub_, admin_token_, revoke, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revoked.token().id(), blue_id_);
  EXPECT_EQ(revoked.token().team(), "blue");
  ASSERT_TRUE(revoked.token().has_revoked_at());

  EXPECT_EQ(Call(&J::ListJobs, jobs_stub_, blue_, v1::ListJobsRequest(), &listed).error_code(),
            StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Call(&J::ListJobs, jobs_stub_, red_, v1::ListJobsRequest(), &listed).ok());

  // Idempotent: a second revoke succeeds and keeps the first time.
  v1::RevokeTokenResponse again;
  ASSERT_TRUE(Call(&A::RevokeToken, admin_stub_, admin_token_, revoke, &again).ok());
  EXPECT_EQ(again.token().revoked_at().seconds(), revoked.token().revoked_at().seconds());
  EXPECT_EQ(again.token().revoked_at().nanos(), revoked.token().revoked_at().nanos());
  revoke.set_token_id("tok_0000000000000000");
  EXPECT_EQ(Call(&A::RevokeToken, admin_stub_, admin_token_, revoke, &again).error_code(),
            StatusCode::NOT_FOUND);
  revoke.clear_token_id();
  auto missing = Call(&A::RevokeToken, admin_stub_, admin_token_, revoke, &again);
  EXPECT_EQ(missing.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(missing.error_message().find("token_id"), std::string::npos);
}

TEST_F(GrpcApiTest, ListTokensShowsDescriptionsAndRevocationsButNeverASecret) {
  using A = v1::AdminService::Stub;
  v1::CreateTokenRequest create;
  create.set_team("red");
  create.set_description("airflow prod connection");
  v1::CreateTokenResponse airflow;
  ASSERT_TRUE(Call(&A::CreateToken, admin_stub_, admin_token_, create, &airflow).ok());
  create.set_description("two\nlines");
  v1::CreateTokenResponse refused;
  auto invalid = Call(&A::CreateToken, admin_stub_, admin_token_, create, &refused);
  EXPECT_EQ(invalid.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(invalid.error_message().starts_with("description: ")) << invalid.error_message();
  v1::RevokeTokenRequest revoke;
  revoke.set_token_id(red_id_);
  v1::RevokeTokenResponse revoked;
  ASSERT_TRUE(Call(&A::RevokeToken, admin_stub_, admin_token_, revoke, &revoked).ok());

  v1::ListTokensResponse all;
  ASSERT_TRUE(Call(&A::ListTokens, admin_stub_, admin_token_, v1::ListTokensRequest(), &all).ok());
  ASSERT_EQ(all.tokens_size(), 4);  // admin's bootstrap token, blue's, red's two
  const std::string listing = all.SerializeAsString() + all.DebugString();
  for (const std::string& secret : {admin_token_, blue_, red_, airflow.token()}) {
    EXPECT_EQ(listing.find(secret), std::string::npos) << "a token in ListTokens";
    EXPECT_EQ(listing.find(store::TokenHashHex(secret)), std::string::npos) << "a token hash";
  }

  v1::ListTokensRequest red_only;
  red_only.set_team("red");
  v1::ListTokensResponse red;
  ASSERT_TRUE(Call(&A::ListTokens, admin_stub_, admin_token_, red_only, &red).ok());
  ASSERT_EQ(red.tokens_size(), 2);
  EXPECT_EQ(red.tokens(0).id(), red_id_);
  EXPECT_TRUE(red.tokens(0).has_revoked_at());
  EXPECT_EQ(red.tokens(1).id(), airflow.token_id());
  EXPECT_EQ(red.tokens(1).description(), "airflow prod connection");
  EXPECT_EQ(red.tokens(1).role(), v1::ROLE_MEMBER);
  EXPECT_FALSE(red.tokens(1).has_revoked_at());
  EXPECT_TRUE(red.tokens(1).has_created_at());

  red_only.set_team("green");
  EXPECT_EQ(Call(&A::ListTokens, admin_stub_, admin_token_, red_only, &red).error_code(),
            StatusCode::NOT_FOUND);
  v1::ListTeamsResponse teams;
  ASSERT_TRUE(Call(&A::ListTeams, admin_stub_, admin_token_, {}, &teams).ok());
  ASSERT_EQ(teams.teams_size(), 3);
  EXPECT_EQ(teams.teams(0).name(), "admin");
  EXPECT_EQ(teams.teams(1).name(), "blue");
  EXPECT_EQ(teams.teams(2).name(), "red");
}

TEST_F(GrpcApiTest, WatchJobStreamsEveryStateChangeOnceAndEndsAfterTheFinalOne) {
  // Changes reach watchers the way they do in the daemon: Postgres NOTIFY → listener → hub.
  store::PgListener listener(db_->url(), &hub_, nullptr);
  listener.Start();
  auto job = SubmitAsBlue("platform_default", "watch-key");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + blue_);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchJobRequest request;
  request.set_job_id(job->id());
  auto reader = jobs_stub_->WatchJob(&context, request);
  v1::WatchJobResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_FALSE(message.has_event());
  EXPECT_EQ(message.job().state(), v1::JOB_STATE_QUEUED);

  // Drive the job as the supervisor would, through the store.
  auto claimed = job_store_->ClaimQueuedJob("local", "test-node");
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  for (JobState next : {JobState::kSubmitted, JobState::kRunning, JobState::kSucceeded}) {
    ASSERT_TRUE(job_store_->Transition(job->id(), next, {}, "step").ok());
  }
  std::vector<v1::JobState> streamed;
  while (reader->Read(&message)) {
    streamed.push_back(message.event().to_state());
    EXPECT_EQ(message.job().id(), job->id());
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(streamed, (std::vector<v1::JobState>{v1::JOB_STATE_SUBMITTING,
                                                 v1::JOB_STATE_SUBMITTED, v1::JOB_STATE_RUNNING,
                                                 v1::JOB_STATE_SUCCEEDED}));
  listener.Stop();
}

}  // namespace
}  // namespace sparkd::api
