// The fixture of the daemon's gRPC API tests: a real in-process server (port 0), a real
// channel, the real services over Postgres stores (a fresh database per test), the bootstrap
// (platform) admin token, teams blue and red with a member and a team-admin token each, and
// blue's presets from deploy/presets.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/api/grpc/preset_service_grpc.h"
#include "daemon/api/grpc/token_auth.h"
#include "daemon/cluster/local_backend.h"
#include "daemon/core/log_capture_testing.h"
#include "daemon/store/pg_job_store.h"
#include "daemon/store/pg_listener.h"
#include "daemon/store/pg_preset_store.h"
#include "daemon/store/pg_team_store.h"
#include "daemon/store/test_database.h"

namespace sparkd::api {

namespace fs = std::filesystem;
using grpc::StatusCode;

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class GrpcApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = store::TestDatabase::Create();
    pool_ = db_->NewPool(8);
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
    presets_ =
        std::make_unique<PresetService>(preset_store_.get(), teams_.get(), clock_.get(), nullptr);
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
  }

  void StartServer() {
    Authenticator authenticate = BearerAuthenticator(teams_.get());
    job_grpc_ = std::make_unique<JobServiceGrpc>(jobs_.get(), backend_.get(), &hub_, authenticate,
                                                 LinkOptions{"http://sparkd"});
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
    ASSERT_TRUE(teams_->EnsureToken("admin", admin_token_, Role::kPlatformAdmin).ok());
    for (const std::string team : {"blue", "red"}) {
      v1::CreateTeamRequest create;
      create.set_name(team);
      v1::CreateTeamResponse created;
      ASSERT_TRUE(
          Call(&v1::AdminService::Stub::CreateTeam, admin_stub_, admin_token_, create, &created)
              .ok());
      v1::CreateTokenRequest token;
      token.set_team(team);
      token.set_role(v1::ROLE_MEMBER);
      v1::CreateTokenResponse issued;
      ASSERT_TRUE(
          Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, token, &issued)
              .ok());
      (team == "blue" ? blue_ : red_) = issued.token();
      (team == "blue" ? blue_id_ : red_id_) = issued.token_id();
      token.set_role(v1::ROLE_TEAM_ADMIN);
      ASSERT_TRUE(
          Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, token, &issued)
              .ok());
      (team == "blue" ? blue_admin_ : red_admin_) = issued.token();
    }
    // Base first: the others extend platform_default.
    for (const char* job_type : {"platform_default", "heavy_shuffle", "strong_compute"}) {
      v1::PutPresetRequest put;
      put.set_team("blue");
      put.set_job_type(job_type);
      put.set_yaml(ReadFile(fs::path(SPARKD_SOURCE_DIR) / "deploy/presets" /
                            (std::string(job_type) + ".yaml")));
      v1::PutPresetResponse stored;
      auto status =
          Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &stored);
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
    request.mutable_job()->set_file("https://artifacts.example.com/app.jar");
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
  std::string blue_, red_;              // members
  std::string blue_id_, red_id_;        // their token ids
  std::string blue_admin_, red_admin_;  // team admins
  LogCapture log_{spdlog::level::trace};
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

}  // namespace sparkd::api
