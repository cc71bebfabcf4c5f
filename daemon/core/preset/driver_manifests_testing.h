// Jobs and settings shared by the driver manifests tests.
#pragma once

#include "daemon/core/preset/driver_manifests.h"

namespace sparkd::testing_jobs {

inline DriverJob PiJob() {
  DriverJob job;
  job.job_id = "j0abc123def456ghjkmn";
  job.team = "blue";
  job.job_type = "platform_default";
  job.idempotency_key = "dag/task/run/0";
  job.submit_time_ms = 1796151758641;
  job.spec.file = "local:///opt/spark/examples/jars/spark-examples.jar";
  job.spec.class_name = "org.apache.spark.examples.SparkPi";
  job.spec.args = {"10"};
  return job;
}

inline DriverJob PythonJob() {
  DriverJob job = PiJob();
  job.spec.file = "local:///opt/jobs/pi.py";
  job.spec.class_name.reset();
  return job;
}

inline NativeBackendSettings Settings() {
  NativeBackendSettings settings;
  settings.default_namespace = "spark-blue";
  settings.default_image = "apache/spark:3.5.8";
  return settings;
}

}  // namespace sparkd::testing_jobs
