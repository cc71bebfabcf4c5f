#include "daemon/core/redact.h"

#include <gtest/gtest.h>

#include "daemon/core/preset/job_spec.h"

namespace sparkd {
namespace {

TEST(RedactTest, SparkGetsSpark35sDefaultPatternAndSparkdsAdditions) {
  // Spark 3.5.8's default spark.redaction.regex is "(?i)secret|password|token|access[.]?key":
  // the daemon's must start with it so Spark hides at least what it hides by default.
  EXPECT_TRUE(SparkRedactionRegex().starts_with("(?i)secret|password|token|access[.]?key|"))
      << SparkRedactionRegex();
}

TEST(RedactTest, NamesThatLookSecretInEverySpelling) {
  const std::pair<std::string, bool> cases[] = {
      {"DB_PASSWORD", true},
      {"db_password", true},
      {"PGPASSWORD", true},
      {"MYSQL_PASSWD", true},
      {"GITHUB_TOKEN", true},
      {"AWS_SESSION_TOKEN", true},
      {"AWS_SECRET_ACCESS_KEY", true},
      {"AWS_ACCESS_KEY_ID", true},
      {"spark.hadoop.fs.s3a.secret.key", true},
      {"spark.hadoop.fs.s3a.access.key", true},
      {"fs.azure.account.accesskey", true},
      {"spark.ssl.keyPassword", true},
      {"spark.authenticate.secret", true},
      {"spark.executorEnv.API_KEY", true},
      {"STRIPE_APIKEY", true},
      {"api-key", true},
      {"GCP_PRIVATE_KEY", true},
      {"GOOGLE_APPLICATION_CREDENTIALS", true},
      {"SecReT", true},
      {"MODE", false},
      {"spark.executor.memory", false},
      {"spark.kubernetes.driver.label.team", false},
      {"KEYSPACE", false},
      {"", false},
  };
  for (const auto& [name, sensitive] : cases) {
    EXPECT_EQ(IsSensitiveName(name), sensitive) << name;
  }
}

TEST(RedactTest, AnEntryIsHiddenWhenItsKeyOrItsValueLooksSecret) {
  auto redacted = RedactEntries({{"DB_PASSWORD", "hunter2"},
                                 {"spark.driver.extraJavaOptions", "-Dfoo.password=hunter2"},
                                 {"MODE", "adhoc"},
                                 {"spark.executor.memory", "4g"}});
  EXPECT_EQ(redacted["DB_PASSWORD"], kRedactedValue);
  EXPECT_EQ(redacted["spark.driver.extraJavaOptions"], kRedactedValue);
  EXPECT_EQ(redacted["MODE"], "adhoc");
  EXPECT_EQ(redacted["spark.executor.memory"], "4g");
}

TEST(RedactTest, TheShownJobHidesRequestAndResolvedSpecValuesButKeepsReferences) {
  Job job;
  job.request.env = {{"API_TOKEN", "tok-123"}, {"MODE", "adhoc"}};
  job.request.conf = {{"spark.executorEnv.API_TOKEN", "tok-123"},
                      {"spark.hadoop.fs.s3a.secret.key", "s3-secret"},
                      {"spark.kubernetes.driver.secretKeyRef.DB", "creds:password"},
                      {"spark.executor.cores", "2"}};
  job.request.secret_env = {{"DB", {"creds", "password"}}};
  JobSpec spec;
  spec.env = {{"API_TOKEN", "tok-123", std::nullopt},
              {"MODE", "adhoc", std::nullopt},
              {"DB", std::nullopt, SecretKeyRef{"creds", "password"}}};
  spec.conf = {{"spark.hadoop.fs.s3a.secret.key", "s3-secret"}};
  job.resolved_spec_json = SpecToJson(spec).dump();

  Job shown = RedactedJob(job);
  EXPECT_EQ(shown.request.env["API_TOKEN"], kRedactedValue);
  EXPECT_EQ(shown.request.env["MODE"], "adhoc");
  EXPECT_EQ(shown.request.conf["spark.executorEnv.API_TOKEN"], kRedactedValue);
  EXPECT_EQ(shown.request.conf["spark.hadoop.fs.s3a.secret.key"], kRedactedValue);
  // Spark's rule looks at values too: this reference's key is named "password".
  EXPECT_EQ(shown.request.conf["spark.kubernetes.driver.secretKeyRef.DB"], kRedactedValue);
  EXPECT_EQ(shown.request.conf["spark.executor.cores"], "2");
  EXPECT_EQ(shown.request.secret_env, job.request.secret_env);
  for (const std::string secret : {"tok-123", "s3-secret"}) {
    EXPECT_EQ(shown.resolved_spec_json.find(secret), std::string::npos) << shown.resolved_spec_json;
  }
  EXPECT_NE(shown.resolved_spec_json.find("adhoc"), std::string::npos);
  EXPECT_NE(shown.resolved_spec_json.find("\"creds\""), std::string::npos);
  // The stored job is untouched: a relaunch needs the values.
  EXPECT_EQ(job.request.env["API_TOKEN"], "tok-123");
}

TEST(RedactTest, ASpecThatIsNotJsonShowsNothing) {
  EXPECT_EQ(RedactSpecJsonText(""), "");
  EXPECT_EQ(RedactSpecJsonText("{\"env\": [{\"name\": \"X_TOKEN\", \"value\": \"v\""), "");
}

}  // namespace
}  // namespace sparkd
