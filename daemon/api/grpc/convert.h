// Conversions between sparkd.v1 protos and core types, and the one Status ↔ gRPC mapping.
#pragma once

#include <grpcpp/grpcpp.h>

#include "daemon/api/link_signer.h"
#include "daemon/core/job.h"
#include "daemon/core/job_store.h"
#include "daemon/core/preset/resolve.h"
#include "daemon/core/preset_store.h"
#include "daemon/core/status.h"
#include "daemon/core/team_store.h"
#include "sparkd/v1/jobs.pb.h"
#include "sparkd/v1/presets.pb.h"

namespace sparkd::api {

// A core time point as a protobuf Timestamp (microsecond precision).
google::protobuf::Timestamp ToTimestamp(TimePoint t);

// Core codes are gRPC's canonical codes, value for value.
grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

JobRequest FromProto(const v1::JobRequest& proto);
void ToProto(const JobRequest& request, v1::JobRequest* proto);

v1::JobState ToProto(JobState state);
std::optional<JobState> FromProto(v1::JobState state);

void ToProto(const JobEvent& event, v1::JobEvent* proto);

// Stable links served by the daemon's HTTP API at `http_base_url`, signed by `signer` (when
// set) so they open without a token.
struct LinkOptions {
  std::string http_base_url;
  const LinkSigner* signer = nullptr;
};

void ToProto(const Job& job, const LinkOptions& links, v1::Job* proto);
void ToProto(const JobSummary& job, const LinkOptions& links, v1::JobSummary* proto);

StatusOr<JobQuery> FromProto(const v1::ListJobsRequest& proto);

void ToProto(const PresetRef& ref, v1::PresetRef* proto);
void ToProto(const StoredPreset& preset, v1::Preset* proto);
// With the Spark conf the resolved spec renders to.
void ToProto(const ResolvedJob& resolved, v1::ResolveJobResponse* proto);

// ROLE_UNSPECIFIED is a member, as the proto says. INVALID_ARGUMENT for the retired
// ROLE_ADMIN (2) and any value the proto does not define.
StatusOr<Role> FromProto(v1::Role role);
v1::Role ToProto(Role role);
void ToProto(const Team& team, v1::Team* proto);
void ToProto(const TokenInfo& token, v1::TokenInfo* proto);

}  // namespace sparkd::api
