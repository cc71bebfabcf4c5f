#include "daemon/core/job.h"

#include <gtest/gtest.h>

#include "daemon/core/job_json.h"
#include "daemon/core/preset/request_json.h"
#include "daemon/core/spark_size.h"

namespace sparkd {
namespace {

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState s : {JobState::kQueued, JobState::kSubmitting, JobState::kSubmitted,
                     JobState::kRunning, JobState::kSucceeded, JobState::kFailed,
                     JobState::kCancelled, JobState::kUnknown}) {
    EXPECT_EQ(ParseJobState(JobStateName(s)), s);
  }
  EXPECT_EQ(ParseJobState("running"), std::nullopt);
}

struct TransitionCase {
  JobState from;
  JobState to;
  bool allowed;
};

TEST(JobStateTest, Transitions) {
  using S = JobState;
  const TransitionCase cases[] = {
      {S::kQueued, S::kSubmitting, true},     {S::kQueued, S::kRunning, false},
      {S::kQueued, S::kCancelled, true},      {S::kSubmitting, S::kSubmitted, true},
      {S::kSubmitting, S::kQueued, true},     {S::kSubmitted, S::kRunning, true},
      {S::kSubmitted, S::kSucceeded, true},   {S::kRunning, S::kSucceeded, true},
      {S::kRunning, S::kFailed, true},        {S::kRunning, S::kQueued, false},
      {S::kRunning, S::kUnknown, true},       {S::kUnknown, S::kRunning, true},
      {S::kSucceeded, S::kFailed, false},     {S::kCancelled, S::kRunning, false},
      {S::kFailed, S::kUnknown, false},       {S::kRunning, S::kRunning, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsAllowedTransition(c.from, c.to), c.allowed)
        << JobStateName(c.from) << " -> " << JobStateName(c.to);
  }
}

struct SizeCase {
  const char* text;
  int64_t bytes;         // -1: invalid
  const char* error_part;
};

TEST(SparkSizeTest, Table) {
  const SizeCase cases[] = {
      {"512m", 512ll << 20, ""},
      {"4g", 4ll << 30, ""},
      {"4G", 4ll << 30, ""},
      {"1t", 1ll << 40, ""},
      {"2048", 2048ll << 20, ""},
      {"4gb", -1, "did you mean \"4g\"?"},
      {"4Gi", -1, "did you mean \"4g\"?"},
      {"512MiB", -1, "did you mean \"512m\"?"},
      {"", -1, "not a Spark size"},
      {"g4", -1, "not a Spark size"},
      {"1.5g", -1, "not a Spark size"},
      {"4x", -1, "units: k, m, g, t"},
      {"99999999999999999999g", -1, "too large"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseSparkSize(c.text);
    if (c.bytes >= 0) {
      ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
      EXPECT_EQ(*parsed, c.bytes) << c.text;
    } else {
      ASSERT_FALSE(parsed.ok()) << c.text;
      EXPECT_NE(parsed.status().message().find(c.error_part), std::string::npos)
          << c.text << ": " << parsed.status().message();
    }
  }
}

JobRequest ValidRequest() {
  JobRequest r;
  r.file = "app.jar";
  r.class_name = "org.example.Main";
  return r;
}

struct RequestCase {
  const char* name;
  void (*mutate)(JobRequest&);
  const char* error_part;  // "" = valid
};

TEST(ValidateJobRequestTest, Table) {
  const RequestCase cases[] = {
      {"valid", [](JobRequest&) {}, ""},
      {"python", [](JobRequest& r) { r.file = "pi.py"; r.class_name.clear(); }, ""},
      {"no file", [](JobRequest& r) { r.file.clear(); }, "file: required"},
      {"jar without class", [](JobRequest& r) { r.class_name.clear(); }, "class_name: required"},
      {"python with class", [](JobRequest& r) { r.file = "x.py"; }, "class_name: must be empty"},
      {"bad executor memory", [](JobRequest& r) { r.executor.memory = "4gb"; },
       "executor.memory: \"4gb\" is not a Spark size; did you mean \"4g\"?"},
      {"bad driver overhead", [](JobRequest& r) { r.driver.memory_overhead = "lots"; },
       "driver.memory_overhead:"},
      {"zero cores", [](JobRequest& r) { r.executor.cores = 0; }, "executor.cores: must be at least 1"},
      {"zero executors", [](JobRequest& r) { r.executor_instances = 0; }, "executor_instances"},
      {"min > max",
       [](JobRequest& r) {
         r.dynamic_allocation = {true, 5, 2, std::nullopt};
       },
       "min_executors (5) exceeds max_executors (2)"},
      {"initial above max",
       [](JobRequest& r) {
         r.dynamic_allocation = {true, 1, 2, 3};
       },
       "initial_executors: above max_executors"},
      {"instances with dynalloc",
       [](JobRequest& r) {
         r.dynamic_allocation.enabled = true;
         r.executor_instances = 3;
       },
       "executor_instances: cannot be set with dynamic_allocation.enabled"},
      {"empty conf key", [](JobRequest& r) { r.conf[""] = "x"; }, "conf: empty key"},
  };
  for (const auto& c : cases) {
    JobRequest r = ValidRequest();
    c.mutate(r);
    Status s = ValidateJobRequest(r);
    if (std::string(c.error_part).empty()) {
      EXPECT_TRUE(s.ok()) << c.name << ": " << s.ToString();
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.name;
      EXPECT_NE(s.message().find(c.error_part), std::string::npos) << c.name << ": " << s.message();
    }
  }
}

TEST(JobRequestJsonTest, StoredRowsRoundTripAndKeysFromANewerDaemonAreIgnored) {
  JobRequest request;
  request.file = "app.py";
  request.executor.memory = "2g";
  request.executor.cores = 2;
  request.dynamic_allocation = {true, 1, 10, std::nullopt};
  request.conf = {{"spark.sql.shuffle.partitions", "200"}};
  request.local_mode = LocalMode::kCluster;
  nlohmann::json row = JobRequestToJson(request);
  auto read = JobRequestFromJson(row);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(JobRequestToJson(*read), row);

  row["priority"] = "high";
  row["executor"]["gpus"] = 1;
  read = JobRequestFromJson(row);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->executor.memory, "2g");
  // What a person sends is read strictly.
  auto strict = ParseRequestJson(row);
  ASSERT_FALSE(strict.ok());
  EXPECT_TRUE(strict.status().message().starts_with("priority: unknown key"))
      << strict.status().message();

  row["executor"]["cores"] = "two";
  read = JobRequestFromJson(row);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("stored job request"), std::string::npos);
  EXPECT_NE(read.status().message().find("executor.cores"), std::string::npos)
      << read.status().message();
}

TEST(ValidateIdempotencyKeyTest, Rules) {
  EXPECT_TRUE(ValidateIdempotencyKey("dag/task/run/0").ok());
  EXPECT_EQ(ValidateIdempotencyKey("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateIdempotencyKey(std::string(513, 'k')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateIdempotencyKey("a\nb").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sparkd
