#include "daemon/api/grpc/preset_service_grpc.h"

namespace sparkd::api {

grpc::Status PresetServiceGrpc::PutPreset(grpc::ServerContext* context,
                                          const v1::PutPresetRequest* request,
                                          v1::PutPresetResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->validate_only()) {
    return ToGrpcStatus(presets_
                            ->CheckPut(*caller, request->team(), request->job_type(),
                                       request->yaml(), request->expected_version())
                            .status());
  }
  auto stored = presets_->Put(*caller, request->team(), request->job_type(), request->yaml(),
                              request->expected_version());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  ToProto(**stored, response->mutable_preset());
  return grpc::Status::OK;
}

grpc::Status PresetServiceGrpc::GetPreset(grpc::ServerContext* context,
                                          const v1::GetPresetRequest* request,
                                          v1::GetPresetResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto stored = presets_->Get(*caller, request->team(), request->job_type(), request->version());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  ToProto(**stored, response->mutable_preset());
  return grpc::Status::OK;
}

grpc::Status PresetServiceGrpc::ListPresets(grpc::ServerContext* context,
                                            const v1::ListPresetsRequest* request,
                                            v1::ListPresetsResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto listed = presets_->List(*caller, request->team());
  if (!listed.ok()) return ToGrpcStatus(listed.status());
  for (const auto& stored : *listed) ToProto(*stored, response->add_presets());
  return grpc::Status::OK;
}

grpc::Status PresetServiceGrpc::ListPresetVersions(grpc::ServerContext* context,
                                                   const v1::ListPresetVersionsRequest* request,
                                                   v1::ListPresetVersionsResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto versions = presets_->History(*caller, request->team(), request->job_type());
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  for (const auto& stored : *versions) ToProto(*stored, response->add_versions());
  return grpc::Status::OK;
}

grpc::Status PresetServiceGrpc::DeletePreset(grpc::ServerContext* context,
                                             const v1::DeletePresetRequest* request,
                                             v1::DeletePresetResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->validate_only()) {
    return ToGrpcStatus(presets_
                            ->CheckDelete(*caller, request->team(), request->job_type(),
                                          request->expected_version())
                            .status());
  }
  auto tombstone =
      presets_->Delete(*caller, request->team(), request->job_type(), request->expected_version());
  if (!tombstone.ok()) return ToGrpcStatus(tombstone.status());
  ToProto(**tombstone, response->mutable_preset());
  return grpc::Status::OK;
}

grpc::Status AdminServiceGrpc::CreateTeam(grpc::ServerContext* context,
                                          const v1::CreateTeamRequest* request,
                                          v1::CreateTeamResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  Team team{request->name(), {request->namespaces().begin(), request->namespaces().end()}};
  auto created = admin_->CreateTeam(*caller, team);
  if (!created.ok()) return ToGrpcStatus(created.status());
  response->set_name(created->name);
  for (const auto& ns : created->namespaces) response->add_namespaces(ns);
  return grpc::Status::OK;
}

grpc::Status AdminServiceGrpc::CreateToken(grpc::ServerContext* context,
                                           const v1::CreateTokenRequest* request,
                                           v1::CreateTokenResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto role = FromProto(request->role());
  if (!role.ok()) return ToGrpcStatus(role.status());
  auto issued = admin_->CreateToken(*caller, request->team(), *role, request->description());
  if (!issued.ok()) return ToGrpcStatus(issued.status());
  response->set_token_id(issued->id);
  response->set_token(issued->token);
  response->set_team(issued->team);
  response->set_role(ToProto(issued->role));
  return grpc::Status::OK;
}

grpc::Status AdminServiceGrpc::ListTeams(grpc::ServerContext* context,
                                         const v1::ListTeamsRequest* /*request*/,
                                         v1::ListTeamsResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto teams = admin_->ListTeams(*caller);
  if (!teams.ok()) return ToGrpcStatus(teams.status());
  for (const auto& team : *teams) ToProto(team, response->add_teams());
  return grpc::Status::OK;
}

grpc::Status AdminServiceGrpc::ListTokens(grpc::ServerContext* context,
                                          const v1::ListTokensRequest* request,
                                          v1::ListTokensResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto tokens = admin_->ListTokens(*caller, request->team());
  if (!tokens.ok()) return ToGrpcStatus(tokens.status());
  for (const auto& token : *tokens) ToProto(token, response->add_tokens());
  return grpc::Status::OK;
}

grpc::Status AdminServiceGrpc::RevokeToken(grpc::ServerContext* context,
                                           const v1::RevokeTokenRequest* request,
                                           v1::RevokeTokenResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto revoked = admin_->RevokeToken(*caller, request->token_id());
  if (!revoked.ok()) return ToGrpcStatus(revoked.status());
  ToProto(*revoked, response->mutable_token());
  return grpc::Status::OK;
}

}  // namespace sparkd::api
