// gRPC adapters of PresetService and AdminService. Each RPC: authenticate → convert → core →
// convert; authorization (own team, admin role) is the core services' job, and errors map
// through ToGrpcStatus only.
#pragma once

#include "daemon/api/grpc/job_service_grpc.h"
#include "daemon/core/admin_service.h"
#include "daemon/core/preset_service.h"
#include "sparkd/v1/presets.grpc.pb.h"

namespace sparkd::api {

class PresetServiceGrpc final : public v1::PresetService::Service {
 public:
  // `presets` must outlive the service.
  PresetServiceGrpc(PresetService* presets, Authenticator authenticate)
      : presets_(presets), authenticate_(std::move(authenticate)) {}

  grpc::Status PutPreset(grpc::ServerContext* context, const v1::PutPresetRequest* request,
                         v1::PutPresetResponse* response) override;
  grpc::Status GetPreset(grpc::ServerContext* context, const v1::GetPresetRequest* request,
                         v1::GetPresetResponse* response) override;
  grpc::Status ListPresets(grpc::ServerContext* context, const v1::ListPresetsRequest* request,
                           v1::ListPresetsResponse* response) override;
  grpc::Status ListPresetVersions(grpc::ServerContext* context,
                                  const v1::ListPresetVersionsRequest* request,
                                  v1::ListPresetVersionsResponse* response) override;
  grpc::Status DeletePreset(grpc::ServerContext* context, const v1::DeletePresetRequest* request,
                            v1::DeletePresetResponse* response) override;

 private:
  PresetService* presets_;
  Authenticator authenticate_;
};

class AdminServiceGrpc final : public v1::AdminService::Service {
 public:
  // `admin` must outlive the service.
  AdminServiceGrpc(AdminService* admin, Authenticator authenticate)
      : admin_(admin), authenticate_(std::move(authenticate)) {}

  grpc::Status CreateTeam(grpc::ServerContext* context, const v1::CreateTeamRequest* request,
                          v1::CreateTeamResponse* response) override;
  grpc::Status ListTeams(grpc::ServerContext* context, const v1::ListTeamsRequest* request,
                         v1::ListTeamsResponse* response) override;
  grpc::Status CreateToken(grpc::ServerContext* context, const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                           v1::RevokeTokenResponse* response) override;

 private:
  AdminService* admin_;
  Authenticator authenticate_;
};

}  // namespace sparkd::api
