// The daemon's gRPC API over a real in-process server (port 0), a real channel, the real
// services and Postgres stores: authentication, isolation between two teams on every RPC,
// presets in SubmitJob and ResolveJob, token listing and revocation, and tokens kept out of
// the log.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/api/grpc/preset_service_grpc.h"
#include "daemon/api/grpc/token_auth.h"
#include "daemon/cluster/local_backend.h"
#include "daemon/store/pg_job_store.h"
#include "daemon/store/pg_listener.h"
#include "daemon/store/pg_preset_store.h"
#include "daemon/store/pg_team_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::api {
namespace {

namespace fs = std::filesystem;
using grpc::StatusCode;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class AuthGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_logger_ = spdlog::default_logger();
    log_ = std::make_shared<std::ostringstream>();
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);

    db_ = store::TestDatabase::Create();
    pool_ = store::PgPool::Create(db_->url(), 8).value();
    clock_ = NewSystemClock();
    ids_ = NewRandomIdGenerator(clock_.get());
    job_store_ = std::make_unique<store::PgJobStore>(pool_.get(), clock_.get());
    teams_ = std::make_unique<store::PgTeamStore>(pool_.get());
    preset_store_ = std::make_unique<store::PgPresetStore>(pool_.get());
    data_dir_ = fs::temp_directory_path() / ("sparkd-auth-test-" + ids_->NewJobId());
    cluster::LocalBackendOptions local;
    local.spark_home = "/nonexistent-spark";  // nothing is launched
    local.data_dir = data_dir_.string();
    backend_ = std::make_unique<cluster::LocalBackend>(local);
    // The supervisor's loop is never started: nothing launches, Cancel only stops (nothing).
    supervisor_ = std::make_unique<Supervisor>(job_store_.get(), backend_.get(),
                                               SupervisorOptions{"test-node"});
    presets_ = std::make_unique<PresetService>(preset_store_.get(), teams_.get(), clock_.get(),
                                               nullptr);
    admin_ = std::make_unique<AdminService>(teams_.get());
    jobs_ = std::make_unique<JobService>(job_store_.get(), presets_.get(), supervisor_.get(),
                                         clock_.get(), ids_.get(), "local");
    hub_.Start();
    StartServer();
    MakeTeamsAndTokens();
  }

  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    hub_.Stop();
    fs::remove_all(data_dir_);
    spdlog::set_default_logger(previous_logger_);
  }

  void StartServer() {
    Authenticator authenticate = BearerAuthenticator(teams_.get());
    job_grpc_ = std::make_unique<JobServiceGrpc>(jobs_.get(), backend_.get(), &hub_,
                                                 authenticate, LinkOptions{"http://sparkd"});
    preset_grpc_ = std::make_unique<PresetServiceGrpc>(presets_.get(), authenticate);
    admin_grpc_ = std::make_unique<AdminServiceGrpc>(admin_.get(), authenticate);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(job_grpc_.get());
    builder.RegisterService(preset_grpc_.get());
    builder.RegisterService(admin_grpc_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                       grpc::InsecureChannelCredentials());
    jobs_stub_ = v1::JobService::NewStub(channel);
    presets_stub_ = v1::PresetService::NewStub(channel);
    admin_stub_ = v1::AdminService::NewStub(channel);
  }

  // The bootstrap path creates the admin; the admin creates two teams over gRPC, each with a
  // member token, and loads deploy/presets/ into team blue.
  void MakeTeamsAndTokens() {
    ASSERT_TRUE(teams_->EnsureToken("admin", admin_token_, Role::kAdmin).ok());
    for (const std::string team : {"blue", "red"}) {
      v1::CreateTeamRequest create;
      create.set_name(team);
      v1::CreateTeamResponse created;
      ASSERT_TRUE(Call(&v1::AdminService::Stub::CreateTeam, admin_stub_, admin_token_, create,
                       &created).ok());
      v1::CreateTokenRequest token;
      token.set_team(team);
      token.set_role(v1::ROLE_MEMBER);
      v1::CreateTokenResponse issued;
      ASSERT_TRUE(Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, token,
                       &issued).ok());
      (team == "blue" ? blue_ : red_) = issued.token();
      (team == "blue" ? blue_id_ : red_id_) = issued.token_id();
    }
    // Base first: the others extend platform_default.
    for (const char* job_type : {"platform_default", "heavy_shuffle", "strong_compute"}) {
      v1::PutPresetRequest put;
      put.set_team("blue");
      put.set_job_type(job_type);
      put.set_yaml(ReadFile(fs::path(SPARKD_SOURCE_DIR) / "deploy/presets" /
                            (std::string(job_type) + ".yaml")));
      v1::PutPresetResponse stored;
      auto status = Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put,
                         &stored);
      ASSERT_TRUE(status.ok()) << job_type << ": " << status.error_message();
      ASSERT_EQ(stored.preset().ref().version(), 1);
    }
  }

  std::string MemberToken(const std::string& team) {
    v1::CreateTokenRequest request;
    request.set_team(team);
    v1::CreateTokenResponse issued;
    EXPECT_TRUE(
        Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, request, &issued)
            .ok());
    return issued.token();
  }

  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const std::unique_ptr<Stub>& stub, const std::string& token,
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ((*stub).*method)(&context, request, response);
  }

  grpc::Status Watch(const std::string& token, const std::string& job_id) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::WatchJobRequest request;
    request.set_job_id(job_id);
    auto reader = jobs_stub_->WatchJob(&context, request);
    v1::WatchJobResponse first;
    if (reader->Read(&first)) context.TryCancel();  // seen the job: access was granted
    return reader->Finish();
  }

  grpc::Status ReadLog(const std::string& token, const std::string& job_id) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReadJobLogRequest request;
    request.set_job_id(job_id);
    auto reader = jobs_stub_->ReadJobLog(&context, request);
    v1::ReadJobLogResponse chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  }

  v1::SubmitJobRequest SubmitRequest(const std::string& job_type, const std::string& key) {
    v1::SubmitJobRequest request;
    request.mutable_job()->set_file("app.jar");
    request.mutable_job()->set_class_name("com.example.Main");
    request.mutable_job()->set_job_type(job_type);
    request.set_idempotency_key(key);
    return request;
  }

  StatusOr<v1::Job> SubmitAsBlue(const std::string& job_type, const std::string& key) {
    v1::SubmitJobResponse response;
    auto status = Call(&v1::JobService::Stub::SubmitJob, jobs_stub_, blue_,
                       SubmitRequest(job_type, key), &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.job();
  }

  const std::string admin_token_ = "bootstrap-admin-token-for-tests-0001";
  std::string blue_, red_;
  std::string blue_id_, red_id_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  std::shared_ptr<std::ostringstream> log_;
  std::unique_ptr<store::TestDatabase> db_;
  std::unique_ptr<store::PgPool> pool_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<store::PgJobStore> job_store_;
  std::unique_ptr<store::PgTeamStore> teams_;
  std::unique_ptr<store::PgPresetStore> preset_store_;
  fs::path data_dir_;
  std::unique_ptr<cluster::LocalBackend> backend_;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<PresetService> presets_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<JobService> jobs_;
  WatchHub hub_;
  std::unique_ptr<JobServiceGrpc> job_grpc_;
  std::unique_ptr<PresetServiceGrpc> preset_grpc_;
  std::unique_ptr<AdminServiceGrpc> admin_grpc_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::JobService::Stub> jobs_stub_;
  std::unique_ptr<v1::PresetService::Stub> presets_stub_;
  std::unique_ptr<v1::AdminService::Stub> admin_stub_;
};


// One row per RPC, each aimed at team blue's job or presets.
struct RpcCase {
  std::string name;
  std::function<grpc::Status(const std::string& token)> call;
  StatusCode as_red_member;   // another team's member
  StatusCode as_blue_member;  // the owner team's member
};

TEST_F(AuthGrpcTest, EveryRpcChecksTokenTeamAndRole) {
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

TEST_F(AuthGrpcTest, SubmitStoresTheResolvedSpecAndTheBackendGetsThePresetConf) {
  auto job = SubmitAsBlue("heavy_shuffle", "dag/task/run/2");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_EQ(job->presets_used_size(), 2);
  EXPECT_EQ(job->presets_used(0).job_type(), "platform_default");
  EXPECT_EQ(job->presets_used(1).job_type(), "heavy_shuffle");
  EXPECT_EQ(job->presets_used(1).version(), 1);
  auto spec = nlohmann::json::parse(job->resolved_spec_json());
  EXPECT_EQ(spec["dynamicAllocation"]["maxExecutors"], 1000);

  auto stored = job_store_->GetJob(job->id(), "blue");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->presets_used.size(), 2u);
  std::string args;
  for (const auto& a : backend_->SubmitArguments(*stored, 4040)) args += a + " ";
  EXPECT_NE(args.find("spark.sql.shuffle.partitions=2000"), std::string::npos) << args;
  EXPECT_NE(args.find("spark.dynamicAllocation.maxExecutors=1000"), std::string::npos) << args;

  // A retry after the preset was deleted still finds the job: reattaching never re-resolves.
  v1::DeletePresetRequest del;
  del.set_team("blue");
  del.set_job_type("heavy_shuffle");
  del.set_expected_version(1);
  v1::DeletePresetResponse deleted;
  ASSERT_TRUE(Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, admin_token_, del,
                   &deleted).ok());
  v1::SubmitJobResponse retry;
  auto status = Call(&v1::JobService::Stub::SubmitJob, jobs_stub_, blue_,
                     SubmitRequest("heavy_shuffle", "dag/task/run/2"), &retry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(retry.created());
  EXPECT_EQ(retry.job().id(), job->id());
  EXPECT_EQ(SubmitAsBlue("heavy_shuffle", "dag/task/run/new").status().code(),
            sparkd::StatusCode::kNotFound);

  // No job_type: the team's platform_default applies.
  auto plain = SubmitAsBlue("", "dag/task/run/3");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_EQ(plain->presets_used_size(), 1);
  EXPECT_EQ(plain->presets_used(0).job_type(), "platform_default");
}

TEST_F(AuthGrpcTest, EnforcedAndSandboxKeysInARequestAreInvalidArgument) {
  auto request = SubmitRequest("heavy_shuffle", "dag/task/run/4");
  request.mutable_job()->mutable_dynamic_allocation()->set_enabled(true);
  request.mutable_job()->mutable_dynamic_allocation()->set_max_executors(5);
  v1::SubmitJobResponse response;
  auto status = Call(&v1::JobService::Stub::SubmitJob, jobs_stub_, blue_, request, &response);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("dynamicAllocation.maxExecutors"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("heavy_shuffle"), std::string::npos)
      << status.error_message();

  auto sandbox = SubmitRequest("", "dag/task/run/5");
  (*sandbox.mutable_job()->mutable_conf())["spark.kubernetes.namespace"] = "kube-system";
  status = Call(&v1::JobService::Stub::SubmitJob, jobs_stub_, blue_, sandbox, &response);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("spark.kubernetes.namespace"), std::string::npos)
      << status.error_message();
  auto listed = job_store_->ListJobs(JobQuery{});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->jobs.empty()) << "a refused submit must store nothing";
}

TEST_F(AuthGrpcTest, ResolveJobShowsProvenanceOfTheDeployPresets) {
  v1::ResolveJobRequest request;
  *request.mutable_job() = SubmitRequest("strong_compute", "").job();
  request.mutable_job()->mutable_driver()->set_memory("3g");
  v1::ResolveJobResponse response;
  auto status = Call(&v1::JobService::Stub::ResolveJob, jobs_stub_, blue_, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto& provenance = response.provenance();
  ASSERT_TRUE(provenance.contains("executor.memory"));
  EXPECT_NE(provenance.at("executor.memory").find("preset strong_compute v1"), std::string::npos);
  EXPECT_EQ(provenance.at("driver.memory"), "request");
  EXPECT_NE(provenance.at("labels.cost-center").find("platform_default v1"), std::string::npos);
  ASSERT_EQ(response.presets_used_size(), 2);
  EXPECT_EQ(response.spark_conf().at("spark.executor.memory"), "28g");
  EXPECT_EQ(response.spark_conf().at("spark.driver.memory"), "3g");
  auto spec = nlohmann::json::parse(response.effective_spec_json());
  EXPECT_EQ(spec["nodeSelector"]["node-pool"], "strong-compute");
}

TEST_F(AuthGrpcTest, PresetVersionsOverGrpcWithOptimisticConcurrency) {
  v1::PutPresetRequest put;
  put.set_team("blue");
  put.set_job_type("platform_default");
  put.set_yaml("executor: {memory: 2g}\n");
  put.set_expected_version(0);
  v1::PutPresetResponse response;
  auto stale = Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put,
                    &response);
  EXPECT_EQ(stale.error_code(), StatusCode::ABORTED);
  EXPECT_NE(stale.error_message().find("version 1"), std::string::npos) << stale.error_message();
  put.set_expected_version(1);
  ASSERT_TRUE(
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response).ok());
  EXPECT_EQ(response.preset().ref().version(), 2);
  EXPECT_FALSE(response.preset().author().empty());

  v1::GetPresetRequest get;
  get.set_job_type("platform_default");
  get.set_version(1);
  v1::GetPresetResponse old;
  ASSERT_TRUE(Call(&v1::PresetService::Stub::GetPreset, presets_stub_, blue_, get, &old).ok());
  EXPECT_NE(old.preset().yaml().find("Small default pool"), std::string::npos);

  put.set_yaml("executor: {memory: 4gb}\n");
  put.set_expected_version(2);
  auto invalid = Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put,
                      &response);
  EXPECT_EQ(invalid.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(invalid.error_message().find("executor.memory"), std::string::npos);
}

TEST_F(AuthGrpcTest, JobsRunInOneOfTheirTeamsNamespaces) {
  v1::CreateTeamRequest create;
  create.set_name("green");
  create.add_namespaces("spark-green");
  create.add_namespaces("spark-green-batch");
  v1::CreateTeamResponse created;
  ASSERT_TRUE(
      Call(&v1::AdminService::Stub::CreateTeam, admin_stub_, admin_token_, create, &created).ok());

  v1::PutPresetRequest put;
  put.set_team("green");
  put.set_job_type("etl");
  put.set_yaml("namespace: spark-blue\n");
  v1::PutPresetResponse response;
  auto foreign = Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put,
                      &response);
  EXPECT_EQ(foreign.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(foreign.error_message(),
            "namespace: \"spark-blue\" is not a namespace of team green (it may use: "
            "spark-green, spark-green-batch)");

  put.set_yaml("namespace: spark-green-batch\n");
  EXPECT_TRUE(
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response).ok());
  // blue was created without namespaces: nothing to hold its presets to.
  put.set_team("blue");
  put.set_yaml("namespace: anywhere\n");
  EXPECT_TRUE(
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response).ok());

  // A green job runs in the team's first namespace unless its preset picks another of them.
  auto resolve_as = [&](const std::string& token, const std::string& job_type,
                        v1::ResolveJobResponse* resolved) {
    v1::ResolveJobRequest request;
    *request.mutable_job() = SubmitRequest(job_type, "").job();
    return Call(&v1::JobService::Stub::ResolveJob, jobs_stub_, token, request, resolved);
  };
  std::string green = MemberToken("green");
  v1::ResolveJobResponse resolved;
  ASSERT_TRUE(resolve_as(green, "", &resolved).ok());
  EXPECT_EQ(nlohmann::json::parse(resolved.effective_spec_json())["namespace"], "spark-green");
  EXPECT_EQ(resolved.provenance().at("namespace"), "team green");
  ASSERT_TRUE(resolve_as(green, "etl", &resolved).ok());
  EXPECT_EQ(nlohmann::json::parse(resolved.effective_spec_json())["namespace"],
            "spark-green-batch");

  // The team's namespaces change under the preset (a fresh token: callers are cached).
  auto sql = store::PgConnection::Connect(db_->url());
  ASSERT_TRUE(sql.ok());
  ASSERT_TRUE((*sql)->Exec("UPDATE teams SET namespaces = '{spark-green-2}' WHERE name = 'green'",
                           {}).ok());
  auto stale = resolve_as(MemberToken("green"), "etl", &resolved);
  EXPECT_EQ(stale.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(stale.error_message(),
            "namespace: \"spark-green-batch\" is not a namespace of team green (it may use: "
            "spark-green-2), set by preset etl v1");
  // blue is held to nothing: no namespace is made up for it.
  ASSERT_TRUE(resolve_as(blue_, "", &resolved).ok());
  EXPECT_FALSE(nlohmann::json::parse(resolved.effective_spec_json()).contains("namespace"));
}

TEST_F(AuthGrpcTest, ABaseThatOthersExtendCanNeitherBeDeletedNorExtendAnother) {
  v1::DeletePresetRequest del;
  del.set_team("blue");
  del.set_job_type("platform_default");
  del.set_expected_version(1);
  v1::DeletePresetResponse deleted;
  auto refused = Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, admin_token_, del,
                      &deleted);
  EXPECT_EQ(refused.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused.error_message(),
            "preset platform_default is extended by heavy_shuffle, strong_compute; delete or "
            "change those first");

  v1::PutPresetRequest put;
  put.set_team("blue");
  put.set_job_type("solo");
  put.set_yaml("executor: {memory: 2g}\n");
  v1::PutPresetResponse response;
  ASSERT_TRUE(
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response).ok());
  put.set_job_type("platform_default");
  put.set_yaml("extends: solo\n");
  put.set_expected_version(1);
  auto chain = Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put,
                    &response);
  EXPECT_EQ(chain.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(chain.error_message(),
            "extends: platform_default is extended by heavy_shuffle, strong_compute; one level "
            "of extends only");

  del.set_job_type("solo");  // nothing extends it
  EXPECT_TRUE(Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, admin_token_, del,
                   &deleted).ok());
}

TEST_F(AuthGrpcTest, TokensNeverAppearInTheLog) {
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

TEST_F(AuthGrpcTest, ARevokedTokenIsRefusedAtItsNextCallThroughTheSameDaemon) {
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

TEST_F(AuthGrpcTest, ListTokensShowsDescriptionsAndRevocationsButNeverASecret) {
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

TEST_F(AuthGrpcTest, WatchJobStreamsEveryStateChangeOnceAndEndsAfterTheFinalOne) {
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
