#include "daemon/core/job.h"

#include <gtest/gtest.h>

#include <functional>

#include "daemon/core/job_json.h"
#include "daemon/core/preset/request_json.h"
#include "daemon/core/spark_size.h"

namespace sparkd {
namespace {

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState s :
       {JobState::kQueued, JobState::kSubmitting, JobState::kSubmitted, JobState::kRunning,
        JobState::kSucceeded, JobState::kFailed, JobState::kCancelled, JobState::kUnknown}) {
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
      {S::kQueued, S::kSubmitting, true},   {S::kQueued, S::kRunning, false},
      {S::kQueued, S::kCancelled, true},    {S::kSubmitting, S::kSubmitted, true},
      {S::kSubmitting, S::kQueued, true},   {S::kSubmitted, S::kRunning, true},
      {S::kSubmitted, S::kSucceeded, true}, {S::kRunning, S::kSucceeded, true},
      {S::kRunning, S::kFailed, true},      {S::kRunning, S::kQueued, false},
      {S::kRunning, S::kUnknown, true},     {S::kUnknown, S::kRunning, true},
      {S::kSucceeded, S::kFailed, false},   {S::kCancelled, S::kRunning, false},
      {S::kFailed, S::kUnknown, false},     {S::kRunning, S::kRunning, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsAllowedTransition(c.from, c.to), c.allowed)
        << JobStateName(c.from) << " -> " << JobStateName(c.to);
  }
}

struct SizeCase {
  const char* text;
  int64_t bytes;  // -1: invalid
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
      {"python",
       [](JobRequest& r) {
         r.file = "pi.py";
         r.class_name.clear();
       },
       ""},
      {"no file", [](JobRequest& r) { r.file.clear(); }, "file: required"},
      {"jar without class", [](JobRequest& r) { r.class_name.clear(); }, "class_name: required"},
      {"python with class", [](JobRequest& r) { r.file = "x.py"; }, "class_name: must be empty"},
      {"bad executor memory", [](JobRequest& r) { r.executor.memory = "4gb"; },
       "executor.memory: \"4gb\" is not a Spark size; did you mean \"4g\"?"},
      {"bad driver overhead", [](JobRequest& r) { r.driver.memory_overhead = "lots"; },
       "driver.memory_overhead:"},
      {"zero cores", [](JobRequest& r) { r.executor.cores = 0; },
       "executor.cores: must be at least 1"},
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

// Each limit of request_limits, the text rules and the option rule, with the field named.
TEST(ValidateJobRequestTest, BoundsTextAndOptionsNameTheFieldAndTheLimit) {
  using namespace std::string_literals;
  namespace limits = request_limits;
  struct Case {
    const char* name;
    std::function<void(JobRequest&)> mutate;
    std::string error_part;  // "" = valid
  };
  auto many = [](size_t n, const std::string& stem) {
    std::map<std::string, std::string> map;
    for (size_t i = 0; i < n; ++i) map[stem + std::to_string(i)] = "v";
    return map;
  };
  const Case cases[] = {
      {"1 MB file", [](JobRequest& r) { r.file = "/" + std::string(1 << 20, 'a') + ".jar"; },
       "file: 1048581 bytes; at most 4096"},
      {"300 KB of conf values",
       [](JobRequest& r) {
         for (int i = 0; i < 300; ++i)
           r.conf["spark.k" + std::to_string(i)] = std::string(1000, 'v');
       },
       "request: 302913 bytes of text; at most 262144"},
      {"5 KiB file", [](JobRequest& r) { r.file = "/" + std::string(5000, 'a') + ".jar"; },
       "file: 5005 bytes; at most 4096"},
      {"5 KiB class", [](JobRequest& r) { r.class_name = std::string(5000, 'a'); },
       "class_name: 5000 bytes; at most 4096"},
      {"long name", [](JobRequest& r) { r.name = std::string(201, 'n'); },
       "name: 201 bytes; at most 200"},
      {"1001 args", [](JobRequest& r) { r.args.assign(1001, "x"); },
       "args: 1001 entries; at most 1000"},
      {"70 KB of args", [](JobRequest& r) { r.args.assign(10, std::string(7000, 'x')); },
       "args: more than 65536 bytes in all"},
      {"8000 conf keys", [&](JobRequest& r) { r.conf = many(8000, "spark.k"); },
       "conf: 8000 keys; at most 500"},
      {"500 conf keys", [&](JobRequest& r) { r.conf = many(500, "spark.k"); }, ""},
      {"long conf key", [](JobRequest& r) { r.conf["spark." + std::string(300, 'k')] = "v"; },
       "conf: a key of 306 bytes; at most 256"},
      {"20 KB conf value",
       [](JobRequest& r) { r.conf["spark.driver.extraJavaOptions"] = std::string(20000, 'x'); },
       "conf.\"spark.driver.extraJavaOptions\": 20000 bytes; at most 16384"},
      {"201 env", [&](JobRequest& r) { r.env = many(201, "E"); }, "env: 201 entries; at most 200"},
      {"65 labels", [&](JobRequest& r) { r.labels = many(65, "l"); },
       "labels: 65 labels; at most 64"},
      {"257 jars", [](JobRequest& r) { r.jars.assign(257, "/a.jar"); },
       "jars: 257 entries; at most 256"},
      {"NUL in name", [](JobRequest& r) { r.name = "a\0b"s; }, "name: contains a NUL byte"},
      {"NUL in job_type", [](JobRequest& r) { r.job_type = "x\0"s; }, "job_type: contains a NUL"},
      {"NUL in file", [](JobRequest& r) { r.file = "/a\0.jar"s; }, "file: contains a NUL"},
      {"NUL in arg",
       [](JobRequest& r) {
         r.args = {"ok", "a\0"s};
       },
       "args[1]: contains a NUL"},
      {"NUL in conf key", [](JobRequest& r) { r.conf["spark.\0x"s] = "v"; },
       "conf: a key contains a NUL byte at byte 6"},
      {"NUL in conf value", [](JobRequest& r) { r.conf["spark.x"] = "\0"s; },
       "conf.\"spark.x\": contains a NUL"},
      {"NUL in env value", [](JobRequest& r) { r.env["MODE"] = "a\0"s; },
       "env.MODE: contains a NUL"},
      {"NUL in label", [](JobRequest& r) { r.labels["team"] = "a\0"s; },
       "labels.team: contains a NUL"},
      {"NUL in a jar", [](JobRequest& r) { r.jars = {"/a\0.jar"s}; }, "jars[0]: contains a NUL"},
      {"NUL in memory", [](JobRequest& r) { r.executor.memory = "4g\0"s; },
       "executor.memory: contains a NUL"},
      {"control in name", [](JobRequest& r) { r.name = "etl\x1b[31m"; },
       "name: contains the control character U+001B"},
      {"tab in name", [](JobRequest& r) { r.name = "a\tb"; }, "name: contains the control"},
      {"newline in a conf value", [](JobRequest& r) { r.conf["spark.x"] = "a\nspark.y=b"; },
       "conf.\"spark.x\": contains the control character U+000A"},
      {"tab in a conf value", [](JobRequest& r) { r.conf["spark.x"] = "a\tb"; }, ""},
      {"multi-line SQL arg", [](JobRequest& r) { r.args = {"SELECT 1\nFROM t"}; }, ""},
      {"invalid UTF-8 arg", [](JobRequest& r) { r.args = {"\xff"}; },
       "args[0]: is not valid UTF-8"},
      {"unicode name", [](JobRequest& r) { r.name = "Tägliche Läufe 東京"; }, ""},
      {"file --conf", [](JobRequest& r) { r.file = "--conf"; },
       "file: \"--conf\" starts with '-'; spark-submit would read it as an option"},
      {"file --master", [](JobRequest& r) { r.file = "--master"; }, "file: \"--master\" starts"},
      {"file -v", [](JobRequest& r) { r.file = "-v.jar"; }, "starts with '-'"},
      {"class --conf", [](JobRequest& r) { r.class_name = "--conf"; },
       "class_name: \"--conf\" is not a Java class name"},
      {"class with space", [](JobRequest& r) { r.class_name = "a b"; }, "not a Java class name"},
      {"class 1a", [](JobRequest& r) { r.class_name = "org.1a.Main"; }, "not a Java class name"},
      {"class ..", [](JobRequest& r) { r.class_name = "org..Main"; }, "not a Java class name"},
      {"class dot end", [](JobRequest& r) { r.class_name = "org.Main."; }, "ends with '.'"},
      {"nested class", [](JobRequest& r) { r.class_name = "org.example.Outer$Inner_2"; }, ""},
      {"py_files -x", [](JobRequest& r) { r.py_files = {"--conf"}; },
       "py_files[0]: \"--conf\" starts with '-'"},
      {"jars -x",
       [](JobRequest& r) {
         r.jars = {"/ok.jar", "-x"};
       },
       "jars[1]: \"-x\" starts"},
      {"files -x", [](JobRequest& r) { r.files = {"--master"}; }, "files[0]"},
      {"comma in a jar", [](JobRequest& r) { r.jars = {"/a.jar,/etc/shadow"}; },
       "jars[0]: \"/a.jar,/etc/shadow\" contains ','"},
      {"empty jar", [](JobRequest& r) { r.jars = {""}; }, "jars[0]: empty"},
      {"args that look like options",
       [](JobRequest& r) {
         r.args = {"--conf", "--master=x"};
       },
       ""},
  };
  for (const auto& c : cases) {
    JobRequest r = ValidRequest();
    c.mutate(r);
    Status s = ValidateJobRequest(r);
    if (c.error_part.empty()) {
      EXPECT_TRUE(s.ok()) << c.name << ": " << s.ToString();
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.name;
      EXPECT_NE(s.message().find(c.error_part), std::string::npos) << c.name << ": " << s.message();
      EXPECT_LT(s.message().size(), 600u) << c.name << ": the message repeats the input";
    }
  }
  EXPECT_EQ(limits::kConfKeys, 500u);
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
