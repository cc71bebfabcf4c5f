#include "daemon/api/grpc/link_key_service_grpc.h"

#include "daemon/api/grpc/convert.h"

namespace sparkd::api {
namespace {

template <typename Response>
void AddKeys(const std::vector<LinkKeyInfo>& keys, Response* response) {
  for (const auto& key : keys) {
    v1::LinkKey* out = response->add_keys();
    out->set_id(key.id);
    *out->mutable_created_at() = ToTimestamp(key.created_at);
    if (key.retired_at) *out->mutable_retired_at() = ToTimestamp(*key.retired_at);
  }
}

}  // namespace

grpc::Status LinkKeyServiceGrpc::RotateLinkKey(grpc::ServerContext* context,
                                               const v1::RotateLinkKeyRequest* request,
                                               v1::RotateLinkKeyResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::optional<std::chrono::seconds> retire;
  if (request->has_retire_older_than()) {
    retire = std::chrono::seconds(request->retire_older_than().seconds());
  }
  auto keys = admin_->Rotate(*caller, retire);
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  if (Status reloaded = signer_->Load(); !reloaded.ok()) return ToGrpcStatus(reloaded);
  AddKeys(*keys, response);
  return grpc::Status::OK;
}

grpc::Status LinkKeyServiceGrpc::ListLinkKeys(grpc::ServerContext* context,
                                              const v1::ListLinkKeysRequest* /*request*/,
                                              v1::ListLinkKeysResponse* response) {
  auto caller = authenticate_(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto keys = admin_->List(*caller);
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  AddKeys(*keys, response);
  return grpc::Status::OK;
}

}  // namespace sparkd::api
