// gRPC adapter of the link key rotation (LinkKeyService): authenticate → core → convert.
#pragma once

#include "daemon/api/grpc/job_service_grpc.h"
#include "daemon/api/link_signer.h"
#include "daemon/core/link_keys.h"
#include "sparkd/v1/link_keys.grpc.pb.h"

namespace sparkd::api {

class LinkKeyServiceGrpc final : public v1::LinkKeyService::Service {
 public:
  // `admin` and `signer` must outlive the service. After a rotation the signer reloads, so this
  // replica signs with the new key (and stops accepting retired ones) at once; other replicas
  // follow within the signer's refresh period.
  LinkKeyServiceGrpc(LinkKeyAdmin* admin, LinkSigner* signer, Authenticator authenticate)
      : admin_(admin), signer_(signer), authenticate_(std::move(authenticate)) {}

  grpc::Status RotateLinkKey(grpc::ServerContext* context, const v1::RotateLinkKeyRequest* request,
                             v1::RotateLinkKeyResponse* response) override;
  grpc::Status ListLinkKeys(grpc::ServerContext* context, const v1::ListLinkKeysRequest* request,
                            v1::ListLinkKeysResponse* response) override;

 private:
  LinkKeyAdmin* admin_;
  LinkSigner* signer_;
  Authenticator authenticate_;
};

}  // namespace sparkd::api
