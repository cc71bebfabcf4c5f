// The daemon's gRPC API over a real in-process server: authentication, isolation between two
// teams on every RPC, token listing and revocation, tokens kept out of the log, and WatchJob
// streaming changes that arrive through Postgres NOTIFY.
#include <array>

#include "daemon/api/grpc/grpc_api_test_fixture.h"

namespace sparkd::api {
namespace {

// The callers of the isolation table: each role of team red and team blue, and the platform.
enum Who { kRedMember, kBlueMember, kRedAdmin, kBlueAdmin, kPlatform, kWhoCount };
constexpr const char* kWhoNames[] = {"red member", "blue member", "red team admin",
                                     "blue team admin", "platform admin"};

// One row per RPC (and per spelling of an RPC that matters), each aimed at team blue's job,
// presets or tokens unless it says otherwise; `expected` is the code for each caller.
struct RpcCase {
  std::string name;
  std::function<grpc::Status(const std::string& token)> call;
  std::array<StatusCode, kWhoCount> expected;
};

TEST_F(GrpcApiTest, EveryRpcChecksTokenTeamAndRole) {
  auto job = SubmitAsBlue("heavy_shuffle", "dag/task/run/1");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const std::string id = job->id();
  // Red's token that the revocation rows aim at: not red_, which later rows still use.
  v1::CreateTokenRequest victim_req;
  victim_req.set_team("red");
  v1::CreateTokenResponse victim;
  ASSERT_TRUE(
      Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, victim_req, &victim)
          .ok());
  // A platform-admin token that lives in team blue: blue's team admin must not revoke it.
  victim_req.set_team("blue");
  victim_req.set_role(v1::ROLE_PLATFORM_ADMIN);
  v1::CreateTokenResponse blue_platform;
  ASSERT_TRUE(Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, victim_req,
                   &blue_platform)
                  .ok());

  int serial = 0;  // makes each writing call's target new, so every caller's call is comparable
  auto next = [&serial](const std::string& prefix) { return prefix + std::to_string(++serial); };
  v1::GetJobRequest get_job_req;
  get_job_req.set_job_id(id);
  v1::ListJobsRequest list_blue;
  list_blue.set_team("blue");
  v1::ResolveJobRequest resolve_req;
  *resolve_req.mutable_job() = SubmitRequest("heavy_shuffle", "").job();
  v1::GetPresetRequest get_preset_req;
  get_preset_req.set_team("blue");
  get_preset_req.set_job_type("heavy_shuffle");
  v1::ListPresetsRequest list_presets_req;
  list_presets_req.set_team("blue");
  v1::ListPresetVersionsRequest versions_req;
  versions_req.set_team("blue");
  versions_req.set_job_type("heavy_shuffle");
  v1::ListTokensRequest tokens_req;
  tokens_req.set_team("blue");

  auto put_preset = [&](const std::string& t, const std::string& team, bool validate_only) {
    v1::PutPresetRequest put;
    put.set_team(team);
    put.set_job_type(next("tiny-"));
    put.set_yaml("executor: {memory: 1g}\n");
    put.set_validate_only(validate_only);
    v1::PutPresetResponse response;
    auto status = Call(&v1::PresetService::Stub::PutPreset, presets_stub_, t, put, &response);
    // A rehearsal writes nothing: the preset it accepted does not exist.
    if (validate_only && status.ok()) {
      v1::GetPresetRequest get;
      get.set_team(team);
      get.set_job_type(put.job_type());
      v1::GetPresetResponse got;
      EXPECT_EQ(Call(&v1::PresetService::Stub::GetPreset, presets_stub_, t, get, &got).error_code(),
                StatusCode::NOT_FOUND);
    }
    return status;
  };
  auto delete_preset = [&](const std::string& t, bool validate_only) {
    const std::string job_type = next("doomed-");
    v1::PutPresetRequest put;
    put.set_team("blue");
    put.set_job_type(job_type);
    put.set_yaml("executor: {memory: 1g}\n");
    v1::PutPresetResponse stored;
    EXPECT_TRUE(
        Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &stored).ok());
    v1::DeletePresetRequest del;
    del.set_team("blue");
    del.set_job_type(job_type);
    del.set_expected_version(1);
    del.set_validate_only(validate_only);
    v1::DeletePresetResponse response;
    return Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, t, del, &response);
  };
  auto create_token = [&](const std::string& t, const std::string& team, v1::Role role) {
    v1::CreateTokenRequest request;
    request.set_team(team);
    request.set_role(role);
    v1::CreateTokenResponse response;
    return Call(&v1::AdminService::Stub::CreateToken, admin_stub_, t, request, &response);
  };
  auto revoke = [&](const std::string& t, const std::string& token_id) {
    v1::RevokeTokenRequest request;
    request.set_token_id(token_id);
    v1::RevokeTokenResponse response;
    return Call(&v1::AdminService::Stub::RevokeToken, admin_stub_, t, request, &response);
  };
  auto cancel_new_job = [&](const std::string& t) {
    auto fresh = SubmitAsBlue("", next("to-cancel-"));
    EXPECT_TRUE(fresh.ok());
    v1::CancelJobRequest cancel;
    cancel.set_job_id(fresh.ok() ? fresh->id() : "");
    v1::CancelJobResponse response;
    return Call(&v1::JobService::Stub::CancelJob, jobs_stub_, t, cancel, &response);
  };

  using J = v1::JobService::Stub;
  using P = v1::PresetService::Stub;
  using A = v1::AdminService::Stub;
  constexpr StatusCode OK = StatusCode::OK, NF = StatusCode::NOT_FOUND,
                       PD = StatusCode::PERMISSION_DENIED;
  v1::SubmitJobResponse submit;
  v1::GetJobResponse get_job;
  v1::ListJobsResponse list_jobs;
  v1::ResolveJobResponse resolve;
  v1::GetPresetResponse get_preset;
  v1::ListPresetsResponse list_presets;
  v1::ListPresetVersionsResponse versions;
  v1::ListTeamsResponse teams;
  v1::ListTokensResponse tokens;
  //                       red member, blue member, red admin, blue admin, platform admin
  const std::vector<RpcCase> cases = {
      // The platform admin's own team (admin) has no heavy_shuffle preset.
      {"SubmitJob (blue's job type)",
       [&](auto& t) {
         return Call(&J::SubmitJob, jobs_stub_, t, SubmitRequest("heavy_shuffle", "k2"), &submit);
       },
       {NF, OK, NF, OK, NF}},
      {"GetJob",
       [&](auto& t) { return Call(&J::GetJob, jobs_stub_, t, get_job_req, &get_job); },
       {NF, OK, NF, OK, OK}},
      {"ListJobs team=blue",
       [&](auto& t) { return Call(&J::ListJobs, jobs_stub_, t, list_blue, &list_jobs); },
       {PD, OK, PD, OK, OK}},
      {"WatchJob",
       [&](auto& t) { return Watch(t, id); },
       {NF, StatusCode::CANCELLED, NF, StatusCode::CANCELLED, StatusCode::CANCELLED}},
      {"ReadJobLog", [&](auto& t) { return ReadLog(t, id); }, {NF, OK, NF, OK, OK}},
      {"ResolveJob (blue's job type)",
       [&](auto& t) { return Call(&J::ResolveJob, jobs_stub_, t, resolve_req, &resolve); },
       {NF, OK, NF, OK, NF}},
      {"CancelJob", cancel_new_job, {NF, OK, NF, OK, OK}},
      {"PutPreset team=blue",
       [&](auto& t) { return put_preset(t, "blue", false); },
       {PD, PD, PD, OK, OK}},
      {"PutPreset team=\"\" (own team)",
       [&](auto& t) { return put_preset(t, "", false); },
       {PD, PD, OK, OK, OK}},
      // A rehearsal (validate_only) is refused exactly as the write would be.
      {"PutPreset team=blue validate_only",
       [&](auto& t) { return put_preset(t, "blue", true); },
       {PD, PD, PD, OK, OK}},
      {"PutPreset team=\"\" validate_only",
       [&](auto& t) { return put_preset(t, "", true); },
       {PD, PD, OK, OK, OK}},
      {"GetPreset",
       [&](auto& t) { return Call(&P::GetPreset, presets_stub_, t, get_preset_req, &get_preset); },
       {NF, OK, NF, OK, OK}},
      {"ListPresets",
       [&](auto& t) {
         return Call(&P::ListPresets, presets_stub_, t, list_presets_req, &list_presets);
       },
       {NF, OK, NF, OK, OK}},
      {"ListPresetVersions",
       [&](auto& t) {
         return Call(&P::ListPresetVersions, presets_stub_, t, versions_req, &versions);
       },
       {NF, OK, NF, OK, OK}},
      {"DeletePreset team=blue",
       [&](auto& t) { return delete_preset(t, false); },
       {PD, PD, PD, OK, OK}},
      {"DeletePreset team=blue validate_only",
       [&](auto& t) { return delete_preset(t, true); },
       {PD, PD, PD, OK, OK}},
      {"CreateTeam",
       [&](auto& t) {
         v1::CreateTeamRequest request;
         request.set_name(next("mallory-"));
         v1::CreateTeamResponse response;
         return Call(&A::CreateTeam, admin_stub_, t, request, &response);
       },
       {PD, PD, PD, PD, OK}},
      {"ListTeams",
       [&](auto& t) { return Call(&A::ListTeams, admin_stub_, t, {}, &teams); },
       {PD, PD, OK, OK, OK}},
      {"CreateToken blue member",
       [&](auto& t) { return create_token(t, "blue", v1::ROLE_MEMBER); },
       {PD, PD, PD, OK, OK}},
      {"CreateToken blue team admin",
       [&](auto& t) { return create_token(t, "blue", v1::ROLE_TEAM_ADMIN); },
       {PD, PD, PD, OK, OK}},
      {"CreateToken blue platform admin",
       [&](auto& t) { return create_token(t, "blue", v1::ROLE_PLATFORM_ADMIN); },
       {PD, PD, PD, PD, OK}},
      {"ListTokens team=blue",
       [&](auto& t) { return Call(&A::ListTokens, admin_stub_, t, tokens_req, &tokens); },
       {PD, PD, PD, OK, OK}},
      {"RevokeToken (red's)",
       [&](auto& t) { return revoke(t, victim.token_id()); },
       {PD, PD, OK, NF, OK}},
      {"RevokeToken (a platform admin's in team blue)",
       [&](auto& t) { return revoke(t, blue_platform.token_id()); },
       {PD, PD, NF, PD, OK}},
  };
  const std::array<std::string, kWhoCount> tokens_of = {red_, blue_, red_admin_, blue_admin_,
                                                        admin_token_};
  for (const auto& c : cases) {
    EXPECT_EQ(c.call("").error_code(), StatusCode::UNAUTHENTICATED) << c.name << ", no token";
    EXPECT_EQ(c.call("sparkd_0000").error_code(), StatusCode::UNAUTHENTICATED)
        << c.name << ", unknown token";
    for (int who = 0; who < kWhoCount; ++who) {
      auto status = c.call(tokens_of[who]);
      EXPECT_EQ(status.error_code(), c.expected[who])
          << c.name << " as " << kWhoNames[who] << ": " << status.error_message();
    }
  }
  // What the calls that were allowed showed: each caller its own team only.
  auto cancelled = jobs_->Get(Caller{"blue", Role::kMember, "", {}}, id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, JobState::kQueued) << "another team cancelled blue's job";
  v1::ListTeamsResponse red_teams;
  ASSERT_TRUE(Call(&A::ListTeams, admin_stub_, red_admin_, {}, &red_teams).ok());
  ASSERT_EQ(red_teams.teams_size(), 1);
  EXPECT_EQ(red_teams.teams(0).name(), "red");
  v1::ListTokensResponse red_tokens;
  ASSERT_TRUE(
      Call(&A::ListTokens, admin_stub_, red_admin_, v1::ListTokensRequest(), &red_tokens).ok());
  ASSERT_GE(red_tokens.tokens_size(), 3);
  for (const auto& token : red_tokens.tokens()) EXPECT_EQ(token.team(), "red") << token.id();
  // A member or team admin listing its own jobs never sees another team's.
  for (const std::string& token : {red_, red_admin_}) {
    v1::ListJobsResponse red_jobs;
    ASSERT_TRUE(Call(&J::ListJobs, jobs_stub_, token, v1::ListJobsRequest(), &red_jobs).ok());
    EXPECT_EQ(red_jobs.jobs_size(), 0);
  }
  v1::ListJobsResponse all_jobs;
  ASSERT_TRUE(Call(&J::ListJobs, jobs_stub_, admin_token_, v1::ListJobsRequest(), &all_jobs).ok());
  EXPECT_GT(all_jobs.jobs_size(), 1);
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
  ASSERT_TRUE(teams_->EnsureToken("admin", admin_token_, Role::kPlatformAdmin).ok());
  const std::string log = log_.str();
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
  ASSERT_EQ(all.tokens_size(), 6);  // the bootstrap token, blue's two, red's three
  const std::string listing = all.SerializeAsString() + all.DebugString();
  for (const std::string& secret : {admin_token_, blue_, red_, airflow.token()}) {
    EXPECT_EQ(listing.find(secret), std::string::npos) << "a token in ListTokens";
    EXPECT_EQ(listing.find(store::TokenHashHex(secret)), std::string::npos) << "a token hash";
  }

  v1::ListTokensRequest red_only;
  red_only.set_team("red");
  v1::ListTokensResponse red;
  ASSERT_TRUE(Call(&A::ListTokens, admin_stub_, admin_token_, red_only, &red).ok());
  ASSERT_EQ(red.tokens_size(), 3);
  EXPECT_EQ(red.tokens(0).id(), red_id_);
  EXPECT_TRUE(red.tokens(0).has_revoked_at());
  EXPECT_EQ(red.tokens(1).role(), v1::ROLE_TEAM_ADMIN);
  EXPECT_EQ(red.tokens(2).id(), airflow.token_id());
  EXPECT_EQ(red.tokens(2).description(), "airflow prod connection");
  EXPECT_EQ(red.tokens(2).role(), v1::ROLE_MEMBER);
  EXPECT_FALSE(red.tokens(2).has_revoked_at());
  EXPECT_TRUE(red.tokens(2).has_created_at());

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
  EXPECT_EQ(streamed, (std::vector<v1::JobState>{v1::JOB_STATE_SUBMITTING, v1::JOB_STATE_SUBMITTED,
                                                 v1::JOB_STATE_RUNNING, v1::JOB_STATE_SUCCEEDED}));
  listener.Stop();
}

}  // namespace
}  // namespace sparkd::api
