#include "bench/submit/workload.h"

#include <grpcpp/grpcpp.h>
#include <libpq-fe.h>

#include <memory>

#include "daemon/api/grpc/convert.h"
#include "daemon/core/clock.h"
#include "daemon/core/job_json.h"
#include "daemon/store/pg_job_store.h"
#include "sparkd/v1/jobs.grpc.pb.h"

namespace sparkd::bench {
namespace {

// The daemon's local backend's name.
constexpr const char* kBackend = "local";

// dag_id/task_id/run_id/map_index, as the Airflow provider builds it.
std::string IdempotencyKey(const std::string& run, int client, int64_t n) {
  return "bench_submit/client_" + std::to_string(client) + "/" + run + "/" + std::to_string(n);
}

std::string MicrosNow() {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

// Shared by every raw client: the ids look like the daemon's and come from the same generator.
struct RawShared {
  std::string url;
  std::string request_json;
  std::string run;
  std::string team;
  std::unique_ptr<Clock> clock = NewSystemClock();
  std::unique_ptr<IdGenerator> ids = NewRandomIdGenerator(clock.get());
};

StatusOr<Operation> OpenRawClient(std::shared_ptr<RawShared> shared, int index) {
  std::shared_ptr<PGconn> conn(PQconnectdb(shared->url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Unavailable("raw client: " + std::string(PQerrorMessage(conn.get())));
  }
  auto n = std::make_shared<int64_t>(0);
  return Operation([shared, conn, index, n]() -> std::string {
    std::string id = shared->ids->NewJobId();
    std::string key = IdempotencyKey(shared->run, index, (*n)++);
    std::string now = MicrosNow();
    // The resolved spec is about the size of the request; the daemon stores both, and the
    // digest of the request as sent (any 32 bytes cost the database the same).
    const char* values[] = {
        id.c_str(),  shared->team.c_str(),
        key.c_str(), shared->request_json.c_str(),
        kBackend,    "accepted",
        now.c_str(), shared->request_json.c_str(),
        "[]",        "00000000000000000000000000000000000000000000000000000000000000ff"};
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexecParams(conn.get(), store::kCreateJobStatement, 10, nullptr, values, nullptr, nullptr,
                     0),
        &PQclear);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      return PQresultErrorMessage(result.get());
    }
    return PQntuples(result.get()) == 1 ? "" : "raw insert: key already present";
  });
}

StatusOr<Operation> OpenDaemonClient(const std::string& target,
                                     std::shared_ptr<const WorkloadOptions> options, int index) {
  // A subchannel pool per client gives each its own TCP connection, as separate Airflow workers
  // would have, instead of multiplexing every client over one HTTP/2 connection.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return Unavailable("daemon client: cannot connect to " + target);
  }
  std::shared_ptr<v1::JobService::Stub> stub = v1::JobService::NewStub(channel);
  auto n = std::make_shared<int64_t>(0);
  return Operation([stub, options, index, n]() -> std::string {
    v1::SubmitJobRequest submit;
    *submit.mutable_job() = options->request;
    submit.set_idempotency_key(IdempotencyKey(options->run, index, (*n)++));
    v1::SubmitJobResponse response;
    grpc::ClientContext context;
    if (!options->token.empty()) context.AddMetadata("authorization", "Bearer " + options->token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status status = stub->SubmitJob(&context, submit, &response);
    if (!status.ok()) {
      return "SubmitJob: code " + std::to_string(status.error_code()) + ": " +
             status.error_message();
    }
    return response.created() ? "" : "SubmitJob: key already present";
  });
}

}  // namespace

v1::JobRequest RealisticRequest() {
  v1::JobRequest r;
  r.set_name("sessions_daily_rollup");
  // No job_type: the benchmark team has no presets, so only the defaults layer resolves.
  r.set_file("s3a://data-platform-artifacts/jobs/sessions-rollup-2.14.0.jar");
  r.set_class_name("com.example.sessions.DailyRollupJob");
  for (const char* arg : {"--date", "2024-06-01", "--input", "s3a://lake/raw/sessions/", "--output",
                          "s3a://lake/curated/sessions_daily/", "--partitions", "400"}) {
    r.add_args(arg);
  }
  r.mutable_driver()->set_memory("4g");
  r.mutable_driver()->set_cores(2);
  r.mutable_driver()->set_memory_overhead("1g");
  r.mutable_executor()->set_memory("8g");
  r.mutable_executor()->set_cores(4);
  r.mutable_executor()->set_memory_overhead("2g");
  auto* da = r.mutable_dynamic_allocation();
  da->set_enabled(true);
  da->set_min_executors(2);
  da->set_max_executors(50);
  da->set_initial_executors(4);
  auto& conf = *r.mutable_conf();
  conf["spark.sql.shuffle.partitions"] = "400";
  conf["spark.sql.adaptive.enabled"] = "true";
  conf["spark.sql.adaptive.coalescePartitions.enabled"] = "true";
  conf["spark.sql.adaptive.skewJoin.enabled"] = "true";
  conf["spark.sql.autoBroadcastJoinThreshold"] = "104857600";
  conf["spark.sql.sources.partitionOverwriteMode"] = "dynamic";
  conf["spark.serializer"] = "org.apache.spark.serializer.KryoSerializer";
  conf["spark.kryoserializer.buffer.max"] = "512m";
  conf["spark.network.timeout"] = "600s";
  conf["spark.executor.heartbeatInterval"] = "30s";
  conf["spark.speculation"] = "false";
  conf["spark.dynamicAllocation.shuffleTracking.enabled"] = "true";
  conf["spark.dynamicAllocation.executorIdleTimeout"] = "120s";
  conf["spark.hadoop.fs.s3a.aws.credentials.provider"] =
      "com.amazonaws.auth.WebIdentityTokenCredentialsProvider";
  conf["spark.hadoop.fs.s3a.fast.upload"] = "true";
  conf["spark.hadoop.fs.s3a.connection.maximum"] = "200";
  conf["spark.sql.warehouse.dir"] = "s3a://data-platform-warehouse/";
  conf["spark.driver.extraJavaOptions"] = "-XX:+UseG1GC -XX:MaxGCPauseMillis=200";
  conf["spark.executor.extraJavaOptions"] = "-XX:+UseG1GC -XX:MaxGCPauseMillis=200";
  auto& env = *r.mutable_env();
  env["AWS_REGION"] = "eu-west-1";
  env["PIPELINE_ENV"] = "production";
  env["TZ"] = "UTC";
  auto& labels = *r.mutable_labels();
  labels["team"] = "data-platform";
  labels["dag_id"] = "sessions_daily";
  labels["task_id"] = "rollup";
  labels["cost-center"] = "cc-4711";
  r.add_jars("s3a://data-platform-artifacts/libs/delta-spark_2.12-3.2.0.jar");
  r.add_jars("s3a://data-platform-artifacts/libs/hadoop-aws-3.3.4.jar");
  r.add_files("s3a://data-platform-artifacts/conf/sessions-rollup.conf");
  return r;
}

ClientFactory RawInsertClients(std::string database_url, const WorkloadOptions& options) {
  auto shared = std::make_shared<RawShared>();
  shared->url = std::move(database_url);
  shared->request_json = JobRequestToJson(api::FromProto(options.request)).dump();
  shared->run = options.run;
  shared->team = options.team;
  return [shared](int index) { return OpenRawClient(shared, index); };
}

ClientFactory DaemonSubmitClients(std::string target, const WorkloadOptions& options) {
  auto shared = std::make_shared<const WorkloadOptions>(options);
  return [target = std::move(target), shared](int index) {
    return OpenDaemonClient(target, shared, index);
  };
}

}  // namespace sparkd::bench
