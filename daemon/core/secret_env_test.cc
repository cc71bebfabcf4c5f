#include "daemon/core/secret_env.h"

#include <gtest/gtest.h>

#include "daemon/core/job_json.h"
#include "daemon/core/preset/render.h"
#include "daemon/core/preset/request_json.h"
#include "daemon/core/preset/resolve.h"
#include "daemon/core/redact.h"

namespace sparkd {
namespace {

JobRequest WithSecret(std::string variable, SecretKeyRef ref) {
  JobRequest r;
  r.file = "app.py";
  r.secret_env[std::move(variable)] = std::move(ref);
  return r;
}

struct RefCase {
  std::string name;
  std::string variable;
  SecretKeyRef ref;
  std::string error;  // "" = valid, else a part of the message
};

TEST(SecretEnvTest, ReferencesAreKubernetesNamesSoNoneCanNameAPath) {
  const RefCase cases[] = {
      {"plain", "API_TOKEN", {"creds", "token"}, ""},
      {"dotted names", "APP_TOKEN", {"team-creds.v2", "api.token"}, ""},
      {"hidden-looking key", "X", {"creds", ".token"}, ""},
      {"parent as key", "X", {"creds", ".."}, "secret_env.X.key: \"..\" must not be"},
      {"dot as key", "X", {"creds", "."}, "secret_env.X.key"},
      {"key starting with ..", "X", {"creds", "..data"}, "secret_env.X.key"},
      {"slash in key", "X", {"creds", "a/b"}, "secret_env.X.key: \"a/b\" may contain only"},
      {"encoded slash in key", "X", {"creds", "a%2Fb"}, "secret_env.X.key"},
      {"backslash in key", "X", {"creds", "a\\b"}, "secret_env.X.key"},
      {"empty key", "X", {"creds", ""}, "secret_env.X.key"},
      {"NUL in key", "X", {"creds", std::string("a\0b", 3)}, "secret_env.X.key"},
      {"parent as name", "X", {"..", "token"}, "secret_env.X.name: secret name \"..\""},
      {"slash in name", "X", {"other-team/creds", "token"}, "secret_env.X.name"},
      {"upper case name", "X", {"Creds", "token"}, "secret_env.X.name"},
      {"empty name", "X", {"", "token"}, "secret_env.X.name"},
      {"variable with =",
       "A=B",
       {"creds", "token"},
       "secret_env: variable \"A=B\": is not a POSIX"},
      {"dotted variable", "app.token", {"creds", "token"}, "is not a POSIX name"},
      {"variable starting with a digit", "1X", {"creds", "token"}, "is not a POSIX name"},
      {"empty variable", "", {"creds", "token"}, "secret_env: variable \"\": is not a POSIX"},
      // The launch chain reads these: a secret may not set them either.
      {"loader variable", "LD_PRELOAD", {"creds", "token"}, "is read by the dynamic loader"},
      {"daemon variable", "SPARKD_JOB_ID", {"creds", "token"}, "is read by sparkd"},
      {"JVM variable", "JAVA_TOOL_OPTIONS", {"creds", "token"}, "is read by the JVM"},
  };
  for (const auto& c : cases) {
    Status status = ValidateJobRequest(WithSecret(c.variable, c.ref));
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.name << ": " << status.ToString();
      continue;
    }
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(status.message().find(c.error), std::string::npos)
        << c.name << ": " << status.message();
  }
}

TEST(SecretEnvTest, AVariableIsEitherAValueOrASecret) {
  JobRequest r = WithSecret("API_TOKEN", {"creds", "token"});
  r.env["API_TOKEN"] = "plain";
  Status status = ValidateJobRequest(r);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("secret_env.API_TOKEN: also set in env"), std::string::npos)
      << status.message();
}

TEST(SecretEnvTest, ReferencesSurviveTheStoredJsonForm) {
  JobRequest r = WithSecret("API_TOKEN", {"creds", "token"});
  auto parsed = ParseRequestJson(JobRequestToJson(r));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->secret_env, r.secret_env);

  auto typo = ParseRequestJson(
      nlohmann::json::parse(R"({"file": "a.py", "secret_env": {"X": {"name": "c", "kee": "k"}}})"));
  EXPECT_EQ(typo.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(typo.status().message().find("secret_env.X.kee: unknown key"), std::string::npos)
      << typo.status().message();
}

TEST(SecretEnvTest, RenderedConfCarriesTheReferenceAndNeverAValue) {
  JobRequest r = WithSecret("API_TOKEN", {"creds", "token"});
  auto resolved = ResolveJob(ResolveLayers{}, r);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  auto conf = RenderSparkConf(resolved->spec);
  EXPECT_EQ(conf["spark.kubernetes.driver.secretKeyRef.API_TOKEN"], "creds:token");
  EXPECT_EQ(conf["spark.kubernetes.executor.secretKeyRef.API_TOKEN"], "creds:token");
  EXPECT_FALSE(conf.contains("spark.executorEnv.API_TOKEN"));
  EXPECT_FALSE(conf.contains("spark.kubernetes.driverEnv.API_TOKEN"));
}

TEST(SecretEnvTest, TheRenderedRedactionRegexIsAlwaysTheDaemons) {
  JobSpec spec;  // no layer may set it (conf_policy.h); rendering holds even if one did
  spec.conf["spark.redaction.regex"] = "nothing-matches-this";
  EXPECT_EQ(RenderSparkConf(spec)["spark.redaction.regex"], SparkRedactionRegex());
  EXPECT_EQ(RenderSparkConf(JobSpec{})["spark.redaction.regex"], SparkRedactionRegex());
}

}  // namespace
}  // namespace sparkd
