#include "daemon/cluster/launch_env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "daemon/core/redact.h"

namespace fs = std::filesystem;

namespace sparkd::cluster {
namespace {

class SecretsDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("sparkd-secrets-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    Write("blue/creds/token", "blue-token");
    Write("red/creds/token", "red-token");
    // A mounted Secret's layout: the key is a link into a hidden, versioned folder.
    Write("blue/mounted/..2024_01_01/password", "mounted-password");
    fs::create_directory_symlink("..2024_01_01", root_ / "blue/mounted/..data");
    fs::create_symlink("..data/password", root_ / "blue/mounted/password");
    // Links that leave the team's folder.
    fs::create_directories(root_ / "blue/escape");
    fs::create_symlink("../../red/creds/token", root_ / "blue/escape/token");
    fs::create_directory_symlink("../red/creds", root_ / "blue/red-creds");
    Write("blue/binary/key", std::string("a\0b", 3));
    Write("blue/empty/key", "");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& relative, const std::string& content) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << content;
  }

  fs::path root_;
};

TEST_F(SecretsDirTest, ATeamReadsItsOwnSecretsAndNothingElse) {
  SecretsDir dir(root_.string());
  struct Case {
    std::string name;
    std::string team;
    SecretKeyRef ref;
    std::string value;  // when it resolves
    std::string error;  // else a part of the message
  };
  const Case cases[] = {
      {"own secret", "blue", {"creds", "token"}, "blue-token", ""},
      {"the other team's own", "red", {"creds", "token"}, "red-token", ""},
      {"mounted layout", "blue", {"mounted", "password"}, "mounted-password", ""},
      {"empty value", "blue", {"empty", "key"}, "", ""},
      {"missing secret",
       "blue",
       {"nope", "token"},
       "",
       "secret_env.X: there is no secret \"nope\" of team blue"},
      {"missing key",
       "blue",
       {"creds", "nope"},
       "",
       "secret_env.X: secret \"creds\" of team blue has no key \"nope\""},
      {"link out of the team", "blue", {"escape", "token"}, "", "has no key \"token\""},
      {"folder link out of the team", "blue", {"red-creds", "token"}, "", "has no key"},
      {"hidden folder as a secret", "blue", {"mounted", "..data"}, "", "not a valid secret"},
      {"path as a secret name", "blue", {"../red/creds", "token"}, "", "not a valid secret"},
      {"path as a key", "blue", {"creds", "../../red/creds/token"}, "", "not a valid secret"},
      {"path as a team", "../red", {"creds", "token"}, "", "not a valid secret"},
      {"a team without secrets", "green", {"creds", "token"}, "", "there is no secret"},
      {"NUL byte", "blue", {"binary", "key"}, "", "holds a NUL byte"},
  };
  for (const auto& c : cases) {
    auto value = dir.Read(c.team, "X", c.ref);
    if (c.error.empty()) {
      ASSERT_TRUE(value.ok()) << c.name << ": " << value.status().ToString();
      EXPECT_EQ(*value, c.value) << c.name;
      continue;
    }
    EXPECT_EQ(value.status().code(), StatusCode::kFailedPrecondition) << c.name;
    EXPECT_NE(value.status().message().find(c.error), std::string::npos)
        << c.name << ": " << value.status().message();
    // The message names the reference, never the host's paths or a value.
    EXPECT_EQ(value.status().message().find(root_.string()), std::string::npos) << c.name;
    EXPECT_EQ(value.status().message().find("red-token"), std::string::npos) << c.name;
  }
}

TEST_F(SecretsDirTest, WithoutADirectoryEveryReferenceFailsSayingSo) {
  auto value = SecretsDir("").Read("blue", "X", {"creds", "token"});
  EXPECT_EQ(value.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(value.status().message().find("no secrets-dir"), std::string::npos);
}

TEST(SplitLaunchConfTest, EnvironmentAndSecretLookingConfLeaveTheCommandLine) {
  SplitConf split = SplitLaunchConf({
      {"spark.executorEnv.MODE", "adhoc"},
      {"spark.kubernetes.driverEnv.DB_URL", "postgres://x"},
      {"spark.yarn.appMasterEnv.Y", "y"},
      {"spark.executorEnv.", "not a variable"},
      {"spark.hadoop.fs.s3a.secret.key", "s3"},
      {"spark.driver.extraJavaOptions", "-Dx.password=p"},
      {"spark.executor.memory", "4g"},
      {"spark.kubernetes.driver.secretKeyRef.T", "creds:tok"},
  });
  EXPECT_EQ(split.env, (std::map<std::string, std::string>{
                           {"MODE", "adhoc"}, {"DB_URL", "postgres://x"}, {"Y", "y"}}));
  // A reference is no secret, but its key says "secret": private too, which does no harm.
  EXPECT_EQ(split.private_, (std::map<std::string, std::string>{
                                {"spark.hadoop.fs.s3a.secret.key", "s3"},
                                {"spark.driver.extraJavaOptions", "-Dx.password=p"},
                                {"spark.kubernetes.driver.secretKeyRef.T", "creds:tok"}}));
  EXPECT_EQ(split.argv,
            (std::map<std::string, std::string>{{"spark.executorEnv.", "not a variable"},
                                                {"spark.executor.memory", "4g"}}));
}

TEST(PrivatePropertiesTest, OnlyTheDaemonsUserCanReadThem) {
  fs::path dir = fs::temp_directory_path() / ("sparkd-props-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "spark-defaults.conf") << "spark.operator.default true\n";
  // One left by an earlier attempt, readable by all: replaced, and made private.
  std::ofstream(dir / "private.properties") << "stale\n";
  fs::permissions(dir / "private.properties", fs::perms(0644));
  ASSERT_TRUE(WritePrivateProperties((dir / "private.properties").string(),
                                     {{"spark.hadoop.fs.s3a.secret.key", "s3 value"}},
                                     (dir / "spark-defaults.conf").string())
                  .ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "private.properties").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(dir / "private.properties");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("stale"), std::string::npos);
  EXPECT_NE(text.find("spark.operator.default true\n"), std::string::npos) << text;
  EXPECT_NE(text.find("spark.hadoop.fs.s3a.secret.key=s3 value\n"), std::string::npos) << text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sparkd::cluster
