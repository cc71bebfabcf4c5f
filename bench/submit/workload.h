// The two workloads of submit_bench, both storing the same rows: a realistic SubmitJob through
// the daemon's gRPC API, and the store's own INSERT sent straight to PostgreSQL with libpq.
#pragma once

#include <string>

#include "bench/submit/load.h"
#include "sparkd/v1/jobs.pb.h"

namespace sparkd::bench {

// What an Airflow DAG typically sends: a JVM job with ~20 conf keys, labels, env and jars.
v1::JobRequest RealisticRequest();

struct WorkloadOptions {
  v1::JobRequest request;
  std::string run;    // part of every idempotency key, so keys stay unique across runs
  std::string team;   // raw rows: the team the daemon stores for its caller
  std::string token;  // daemon calls: sent as `authorization: Bearer <token>` when not empty
};

// Clients that each open one libpq connection to `database_url` and run, per operation, the
// statement PgJobStore::CreateJob runs (jobs row + first job_events row in one CTE, autocommit),
// with the jsonb the daemon would store for the request.
ClientFactory RawInsertClients(std::string database_url, const WorkloadOptions& options);

// Clients that each open their own gRPC connection to `target` (host:port) and call SubmitJob
// with the request and a fresh idempotency key per call.
ClientFactory DaemonSubmitClients(std::string target, const WorkloadOptions& options);

}  // namespace sparkd::bench
