// The daemon's gRPC API over a real in-process server: presets in SubmitJob and ResolveJob,
// enforced and sandbox keys, versions with optimistic concurrency, team namespaces and the
// integrity of `extends`.
#include <functional>

#include "daemon/api/grpc/grpc_api_test_fixture.h"

namespace sparkd::api {
namespace {

TEST_F(GrpcApiTest, SubmitStoresTheResolvedSpecAndTheBackendGetsThePresetConf) {
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
  auto submit_args = backend_->SubmitArguments(*stored, 4040);
  ASSERT_TRUE(submit_args.ok()) << submit_args.status().ToString();
  std::string args;
  for (const auto& a : *submit_args) args += a + " ";
  EXPECT_NE(args.find("spark.sql.shuffle.partitions=2000"), std::string::npos) << args;
  EXPECT_NE(args.find("spark.dynamicAllocation.maxExecutors=1000"), std::string::npos) << args;

  // A retry after the preset was deleted still finds the job: reattaching never re-resolves.
  v1::DeletePresetRequest del;
  del.set_team("blue");
  del.set_job_type("heavy_shuffle");
  del.set_expected_version(1);
  v1::DeletePresetResponse deleted;
  ASSERT_TRUE(
      Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, admin_token_, del, &deleted)
          .ok());
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

TEST_F(GrpcApiTest, EnforcedAndSandboxKeysInARequestAreInvalidArgument) {
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

// What PostgreSQL cannot store (NUL) and what would cost the daemon unbounded work is refused
// before it reaches the store or the did-you-mean search: INVALID_ARGUMENT naming the field,
// never INTERNAL with SQL text; and a file outside the daemon's roots (none here) is refused.
TEST_F(GrpcApiTest, BadTextHugeInputsAndLocalFilesAreInvalidArgumentNamingTheField) {
  using namespace std::string_literals;
  struct Case {
    std::function<void(v1::JobRequest&)> mutate;
    std::string error;
  };
  const Case cases[] = {
      {[](v1::JobRequest& j) { j.set_name("etl\0daily"s); }, "name: contains a NUL byte at byte 3"},
      {[](v1::JobRequest& j) { j.add_args("a\0b"s); }, "args[0]: contains a NUL byte"},
      {[](v1::JobRequest& j) { (*j.mutable_conf())["spark.x"] = "\0"s; },
       "conf.\"spark.x\": contains a NUL byte"},
      {[](v1::JobRequest& j) { (*j.mutable_conf())["spark.\0x"s] = "1"; },
       "conf: a key contains a NUL byte"},
      {[](v1::JobRequest& j) { (*j.mutable_labels())["team"] = "\0"s; },
       "labels.team: contains a NUL byte"},
      {[](v1::JobRequest& j) { j.set_class_name(std::string(1 << 20, 'a')); },
       "class_name: 1048576 bytes; at most 4096"},
      {[](v1::JobRequest& j) {
         for (int i = 0; i < 8000; ++i) (*j.mutable_conf())["spark.k" + std::to_string(i)] = "1";
       },
       "conf: 8000 keys; at most 500"},
      {[](v1::JobRequest& j) { j.set_file("/srv/apps/app.jar"); },
       "file: \"/srv/apps/app.jar\" is a local path, and this daemon allows none"},
      {[](v1::JobRequest& j) { j.set_file("--conf"); }, "file: \"--conf\" starts with '-'"},
  };
  for (const auto& c : cases) {
    auto submit = SubmitRequest("", "dag/task/run/bad");
    c.mutate(*submit.mutable_job());
    v1::SubmitJobResponse submitted;
    auto status = Call(&v1::JobService::Stub::SubmitJob, jobs_stub_, blue_, submit, &submitted);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << c.error;
    EXPECT_NE(status.error_message().find(c.error), std::string::npos) << status.error_message();
    v1::ResolveJobRequest resolve;
    *resolve.mutable_job() = submit.job();
    v1::ResolveJobResponse resolved;
    status = Call(&v1::JobService::Stub::ResolveJob, jobs_stub_, blue_, resolve, &resolved);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << c.error;
    EXPECT_NE(status.error_message().find(c.error), std::string::npos) << status.error_message();
  }
  auto listed = job_store_->ListJobs(JobQuery{});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->jobs.empty()) << "a refused submit must store nothing";
}

TEST_F(GrpcApiTest, ResolveJobShowsProvenanceOfTheDeployPresets) {
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

TEST_F(GrpcApiTest, PresetVersionsOverGrpcWithOptimisticConcurrency) {
  v1::PutPresetRequest put;
  put.set_team("blue");
  put.set_job_type("platform_default");
  put.set_yaml("executor: {memory: 2g}\n");
  put.set_expected_version(0);
  v1::PutPresetResponse response;
  auto stale =
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response);
  EXPECT_EQ(stale.error_code(), StatusCode::ABORTED);
  EXPECT_NE(stale.error_message().find("version 1"), std::string::npos) << stale.error_message();
  put.set_expected_version(1);
  ASSERT_TRUE(
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response).ok());
  EXPECT_EQ(response.preset().ref().version(), 2);
  EXPECT_FALSE(response.preset().author().empty());

  v1::ListPresetVersionsRequest history;
  history.set_job_type("platform_default");
  v1::ListPresetVersionsResponse versions;
  ASSERT_TRUE(
      Call(&v1::PresetService::Stub::ListPresetVersions, presets_stub_, blue_, history, &versions)
          .ok());
  ASSERT_EQ(versions.versions_size(), 2);
  EXPECT_EQ(versions.versions(0).ref().version(), 2);
  EXPECT_EQ(versions.versions(1).ref().version(), 1);
  history.set_job_type("never_written");
  EXPECT_EQ(
      Call(&v1::PresetService::Stub::ListPresetVersions, presets_stub_, blue_, history, &versions)
          .error_code(),
      StatusCode::NOT_FOUND);

  v1::GetPresetRequest get;
  get.set_job_type("platform_default");
  get.set_version(1);
  v1::GetPresetResponse old;
  ASSERT_TRUE(Call(&v1::PresetService::Stub::GetPreset, presets_stub_, blue_, get, &old).ok());
  EXPECT_NE(old.preset().yaml().find("Small default pool"), std::string::npos);

  put.set_yaml("executor: {memory: 4gb}\n");
  put.set_expected_version(2);
  auto invalid =
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response);
  EXPECT_EQ(invalid.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(invalid.error_message().find("executor.memory"), std::string::npos);
}

TEST_F(GrpcApiTest, JobsRunInOneOfTheirTeamsNamespaces) {
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
  auto foreign =
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response);
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
  ASSERT_TRUE((*sql)
                  ->ExecScript("DELETE FROM team_namespaces WHERE team = 'green';"
                               "INSERT INTO team_namespaces VALUES ('spark-green-2', 'green', 1)")
                  .ok());
  auto stale = resolve_as(MemberToken("green"), "etl", &resolved);
  EXPECT_EQ(stale.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(stale.error_message(),
            "namespace: \"spark-green-batch\" is not a namespace of team green (it may use: "
            "spark-green-2), set by preset etl v1");
  // blue is held to nothing: no namespace is made up for it.
  ASSERT_TRUE(resolve_as(blue_, "", &resolved).ok());
  EXPECT_FALSE(nlohmann::json::parse(resolved.effective_spec_json()).contains("namespace"));
}

TEST_F(GrpcApiTest, ABaseThatOthersExtendCanNeitherBeDeletedNorExtendAnother) {
  v1::DeletePresetRequest del;
  del.set_team("blue");
  del.set_job_type("platform_default");
  del.set_expected_version(1);
  v1::DeletePresetResponse deleted;
  auto refused =
      Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, admin_token_, del, &deleted);
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
  auto chain =
      Call(&v1::PresetService::Stub::PutPreset, presets_stub_, admin_token_, put, &response);
  EXPECT_EQ(chain.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(chain.error_message(),
            "extends: platform_default is extended by heavy_shuffle, strong_compute; one level "
            "of extends only");

  del.set_job_type("solo");  // nothing extends it
  EXPECT_TRUE(
      Call(&v1::PresetService::Stub::DeletePreset, presets_stub_, admin_token_, del, &deleted)
          .ok());
}

}  // namespace
}  // namespace sparkd::api
