#include "daemon/api/grpc/convert.h"

#include <google/protobuf/util/time_util.h>

#include "daemon/core/job_links.h"
#include "daemon/core/preset/render.h"
#include "daemon/core/redact.h"

namespace sparkd::api {
namespace {

using google::protobuf::util::TimeUtil;

TimePoint FromTimestamp(const google::protobuf::Timestamp& t) {
  return TimePoint(std::chrono::microseconds(TimeUtil::TimestampToMicroseconds(t)));
}

Resources FromProto(const v1::Resources& p) {
  Resources r;
  r.memory = p.memory();
  if (p.has_cores()) r.cores = p.cores();
  r.memory_overhead = p.memory_overhead();
  return r;
}

void SetLinks(const std::string& job_id, bool dashboard, const LinkOptions& links,
              v1::JobLinks* p) {
  if (links.http_base_url.empty()) return;
  std::string base = links.http_base_url + "/jobs/" + job_id;
  std::string query = links.signer ? "?" + links.signer->Sign(job_id).Query() : "";
  p->set_job_page(base + query);
  p->set_spark_ui(base + "/ui" + query);
  p->set_logs(base + "/logs" + query);
  if (dashboard) p->set_dashboard(base + "/dashboard" + query);
}

void ToProto(const Resources& r, v1::Resources* p) {
  p->set_memory(r.memory);
  if (r.cores) p->set_cores(*r.cores);
  p->set_memory_overhead(r.memory_overhead);
}

template <typename Map>
std::map<std::string, std::string> ToStdMap(const Map& map) {
  return {map.begin(), map.end()};
}

}  // namespace

google::protobuf::Timestamp ToTimestamp(TimePoint t) {
  return TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message());
}

Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return Status::Ok();
  return Status(static_cast<StatusCode>(status.error_code()), status.error_message());
}

JobRequest FromProto(const v1::JobRequest& p) {
  JobRequest r;
  r.name = p.name();
  r.job_type = p.job_type();
  r.file = p.file();
  r.class_name = p.class_name();
  r.args = {p.args().begin(), p.args().end()};
  r.driver = FromProto(p.driver());
  r.executor = FromProto(p.executor());
  if (p.has_executor_instances()) r.executor_instances = p.executor_instances();
  const auto& da = p.dynamic_allocation();
  r.dynamic_allocation.enabled = da.enabled();
  if (da.has_min_executors()) r.dynamic_allocation.min_executors = da.min_executors();
  if (da.has_max_executors()) r.dynamic_allocation.max_executors = da.max_executors();
  if (da.has_initial_executors()) r.dynamic_allocation.initial_executors = da.initial_executors();
  r.conf = ToStdMap(p.conf());
  r.env = ToStdMap(p.env());
  for (const auto& [name, ref] : p.secret_env()) r.secret_env[name] = {ref.name(), ref.key()};
  r.labels = ToStdMap(p.labels());
  r.py_files = {p.py_files().begin(), p.py_files().end()};
  r.jars = {p.jars().begin(), p.jars().end()};
  r.files = {p.files().begin(), p.files().end()};
  switch (p.local_mode()) {
    case v1::LOCAL_MODE_THREADS:
      r.local_mode = LocalMode::kThreads;
      break;
    case v1::LOCAL_MODE_CLUSTER:
      r.local_mode = LocalMode::kCluster;
      break;
    default:
      r.local_mode = LocalMode::kDefault;
      break;
  }
  return r;
}

void ToProto(const JobRequest& r, v1::JobRequest* p) {
  p->set_name(r.name);
  p->set_job_type(r.job_type);
  p->set_file(r.file);
  p->set_class_name(r.class_name);
  for (const auto& a : r.args) p->add_args(a);
  ToProto(r.driver, p->mutable_driver());
  ToProto(r.executor, p->mutable_executor());
  if (r.executor_instances) p->set_executor_instances(*r.executor_instances);
  auto* da = p->mutable_dynamic_allocation();
  da->set_enabled(r.dynamic_allocation.enabled);
  if (r.dynamic_allocation.min_executors)
    da->set_min_executors(*r.dynamic_allocation.min_executors);
  if (r.dynamic_allocation.max_executors)
    da->set_max_executors(*r.dynamic_allocation.max_executors);
  if (r.dynamic_allocation.initial_executors) {
    da->set_initial_executors(*r.dynamic_allocation.initial_executors);
  }
  p->mutable_conf()->insert(r.conf.begin(), r.conf.end());
  p->mutable_env()->insert(r.env.begin(), r.env.end());
  for (const auto& [name, ref] : r.secret_env) {
    v1::SecretKeyRef& out = (*p->mutable_secret_env())[name];
    out.set_name(ref.name);
    out.set_key(ref.key);
  }
  p->mutable_labels()->insert(r.labels.begin(), r.labels.end());
  for (const auto& f : r.py_files) p->add_py_files(f);
  for (const auto& f : r.jars) p->add_jars(f);
  for (const auto& f : r.files) p->add_files(f);
  p->set_local_mode(r.local_mode == LocalMode::kThreads   ? v1::LOCAL_MODE_THREADS
                    : r.local_mode == LocalMode::kCluster ? v1::LOCAL_MODE_CLUSTER
                                                          : v1::LOCAL_MODE_UNSPECIFIED);
}

// JobState and v1::JobState list the same states; the proto's are shifted by its UNSPECIFIED.
v1::JobState ToProto(JobState state) {
  return static_cast<v1::JobState>(static_cast<int>(state) + 1);
}

std::optional<JobState> FromProto(v1::JobState state) {
  if (state <= v1::JOB_STATE_UNSPECIFIED || state > v1::JOB_STATE_UNKNOWN) return std::nullopt;
  return static_cast<JobState>(static_cast<int>(state) - 1);
}

void ToProto(const JobEvent& e, v1::JobEvent* p) {
  p->set_seq(e.seq);
  if (e.from) p->set_from_state(ToProto(*e.from));
  p->set_to_state(ToProto(e.to));
  *p->mutable_at() = ToTimestamp(e.at);
  p->set_message(e.message);
}

void ToProto(const PresetRef& ref, v1::PresetRef* p) {
  p->set_team(ref.team);
  p->set_job_type(ref.job_type);
  p->set_version(ref.version);
}

void ToProto(const StoredPreset& stored, v1::Preset* p) {
  ToProto(stored.layer.ref, p->mutable_ref());
  p->set_yaml(stored.source_yaml);
  if (!stored.deleted) p->set_body_json(PresetToJson(stored.layer.preset).dump());
  p->set_author(stored.author);
  *p->mutable_created_at() = ToTimestamp(stored.created_at);
  p->set_deleted(stored.deleted);
  for (const auto& w : stored.layer.preset.warnings) p->add_warnings(w);
}

void ToProto(const ResolvedJob& resolved, v1::ResolveJobResponse* p) {
  p->set_effective_spec_json(RedactSpecJson(SpecToJson(resolved.spec)).dump());
  p->mutable_provenance()->insert(resolved.provenance.begin(), resolved.provenance.end());
  for (const auto& w : resolved.warnings) p->add_warnings(w);
  for (const auto& ref : resolved.presets_used) ToProto(ref, p->add_presets_used());
  auto conf = RedactEntries(RenderSparkConf(resolved.spec));
  p->mutable_spark_conf()->insert(conf.begin(), conf.end());
}

void ToProto(const Job& stored, const LinkOptions& links, v1::Job* p) {
  // Every reply that carries a job comes through here: the one place values are redacted.
  const Job job = RedactedJob(stored);
  p->set_id(job.id);
  p->set_team(job.team);
  p->set_idempotency_key(job.idempotency_key);
  p->set_state(ToProto(job.state));
  p->set_state_message(job.state_message);
  ToProto(job.request, p->mutable_request());
  p->set_backend(job.backend);
  p->set_backend_ref(job.backend_ref);
  p->set_spark_app_id(job.spark_app_id);
  if (job.driver_exit_code) p->set_driver_exit_code(*job.driver_exit_code);
  *p->mutable_created_at() = ToTimestamp(job.created_at);
  *p->mutable_updated_at() = ToTimestamp(job.updated_at);
  if (job.started_at) *p->mutable_started_at() = ToTimestamp(*job.started_at);
  if (job.finished_at) *p->mutable_finished_at() = ToTimestamp(*job.finished_at);
  for (const auto& x : job.executors) {
    auto* e = p->add_executors();
    e->set_executor_id(x.executor_id);
    e->set_pod_name(x.pod_name);
    e->set_host(x.host);
    if (x.started_at) *e->mutable_started_at() = ToTimestamp(*x.started_at);
    if (x.ended_at) *e->mutable_ended_at() = ToTimestamp(*x.ended_at);
    if (x.exit_code) e->set_exit_code(*x.exit_code);
    e->set_reason(static_cast<v1::ExitReason>(x.reason));
    e->set_evidence(x.evidence);
    e->set_advice(x.advice);
  }
  for (const auto& e : job.events) ToProto(e, p->add_events());
  auto* report = p->mutable_report();
  for (const auto& [reason, count] : job.report.executors_by_reason) {
    auto* c = report->add_executors_by_reason();
    c->set_reason(static_cast<v1::ExitReason>(reason));
    c->set_count(count);
  }
  report->set_first_fatal_reason(static_cast<v1::ExitReason>(job.report.first_fatal_reason));
  report->set_first_fatal_cause(job.report.first_fatal_cause);
  for (const auto& line : job.report.driver_log_tail) report->add_driver_log_tail(line);
  if (!links.http_base_url.empty()) {
    bool dashboard = JobLinkTemplate(job, JobLink::kDashboard).has_value();
    SetLinks(job.id, dashboard, links, p->mutable_links());
  }
  p->set_resolved_spec_json(job.resolved_spec_json);
  for (const auto& ref : job.presets_used) ToProto(ref, p->add_presets_used());
}

void ToProto(const JobSummary& job, const LinkOptions& links, v1::JobSummary* p) {
  p->set_id(job.id);
  p->set_team(job.team);
  p->set_idempotency_key(job.idempotency_key);
  p->set_state(ToProto(job.state));
  p->set_state_message(job.state_message);
  p->set_name(job.name);
  p->set_job_type(job.job_type);
  p->set_file(job.file);
  p->set_backend(job.backend);
  p->set_spark_app_id(job.spark_app_id);
  if (job.driver_exit_code) p->set_driver_exit_code(*job.driver_exit_code);
  *p->mutable_created_at() = ToTimestamp(job.created_at);
  *p->mutable_updated_at() = ToTimestamp(job.updated_at);
  if (job.started_at) *p->mutable_started_at() = ToTimestamp(*job.started_at);
  if (job.finished_at) *p->mutable_finished_at() = ToTimestamp(*job.finished_at);
  p->set_first_fatal_reason(static_cast<v1::ExitReason>(job.first_fatal_reason));
  // A summary has no resolved spec: its job's dashboard link is on the full job.
  if (!links.http_base_url.empty()) SetLinks(job.id, false, links, p->mutable_links());
}

StatusOr<Role> FromProto(v1::Role role) {
  switch (static_cast<int>(role)) {
    case v1::ROLE_UNSPECIFIED:
    case v1::ROLE_MEMBER:
      return Role::kMember;
    case v1::ROLE_TEAM_ADMIN:
      return Role::kTeamAdmin;
    case v1::ROLE_PLATFORM_ADMIN:
      return Role::kPlatformAdmin;
    case 2:
      return InvalidArgument(
          "role: ROLE_ADMIN (2) is retired: ask for ROLE_TEAM_ADMIN (admin of one team) or "
          "ROLE_PLATFORM_ADMIN (every team)");
    default:
      return InvalidArgument("role: " + std::to_string(role) + " is not a role");
  }
}

v1::Role ToProto(Role role) {
  switch (role) {
    case Role::kTeamAdmin:
      return v1::ROLE_TEAM_ADMIN;
    case Role::kPlatformAdmin:
      return v1::ROLE_PLATFORM_ADMIN;
    case Role::kMember:
      break;
  }
  return v1::ROLE_MEMBER;
}

void ToProto(const Team& team, v1::Team* p) {
  p->set_name(team.name);
  for (const auto& ns : team.namespaces) p->add_namespaces(ns);
}

void ToProto(const TokenInfo& token, v1::TokenInfo* p) {
  p->set_id(token.id);
  p->set_team(token.team);
  p->set_role(ToProto(token.role));
  p->set_description(token.description);
  *p->mutable_created_at() = ToTimestamp(token.created_at);
  if (token.revoked_at) *p->mutable_revoked_at() = ToTimestamp(*token.revoked_at);
}

StatusOr<JobQuery> FromProto(const v1::ListJobsRequest& p) {
  JobQuery query;
  for (int s : p.states()) {
    auto state = FromProto(static_cast<v1::JobState>(s));
    if (!state) return InvalidArgument("states: " + std::to_string(s) + " is not a job state");
    query.states.push_back(*state);
  }
  if (p.has_created_after()) query.created_after = FromTimestamp(p.created_after());
  if (p.has_created_before()) query.created_before = FromTimestamp(p.created_before());
  query.page_size = p.page_size();
  query.page_token = p.page_token();
  if (!p.team().empty()) query.team = p.team();
  return query;
}

}  // namespace sparkd::api
