#include "daemon/cli/preset_plan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sparkd::cli {
namespace {

namespace fs = std::filesystem;

class PresetPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("preset-plan-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  static v1::Preset Remote(const std::string& job_type, int64_t version, const std::string& yaml) {
    v1::Preset p;
    p.mutable_ref()->set_team("blue");
    p.mutable_ref()->set_job_type(job_type);
    p.mutable_ref()->set_version(version);
    p.set_yaml(yaml);
    p.set_body_json(PresetToJson(ParsePreset(yaml).value()).dump());
    return p;
  }

  fs::path dir_;
};

TEST_F(PresetPlanTest, PlansCreateUpdateUnchangedAndNeverDeletes) {
  WriteFile("base.yaml", "executor: {memory: 4g}\n");
  WriteFile("heavy.yml", "extends: base\nexecutor: {cores: 4}\n");
  WriteFile("same.yaml", "# a comment does not count as a change\ndriver: {memory: 1g}\n");
  WriteFile("notes.txt", "not a preset");
  std::vector<v1::Preset> remote = {Remote("base", 3, "executor: {memory: 2g}\n"),
                                    Remote("same", 1, "driver: {memory: 1g}\n"),
                                    Remote("gone", 2, "driver: {cores: 1}\n")};
  auto plan = MakePlan(dir_.string(), remote, /*prune=*/false);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::map<std::string, const PlanStep*> by_type;
  for (const auto& step : *plan) by_type[step.job_type] = &step;
  ASSERT_EQ(by_type.size(), 4u);
  EXPECT_EQ(by_type["base"]->action, PlanStep::Action::kUpdate);
  EXPECT_EQ(by_type["base"]->current_version, 3);
  ASSERT_EQ(by_type["base"]->changes.size(), 1u);
  EXPECT_EQ(by_type["base"]->changes[0].path, "executor.memory");
  EXPECT_EQ(by_type["heavy"]->action, PlanStep::Action::kCreate);
  EXPECT_EQ(by_type["same"]->action, PlanStep::Action::kUnchanged);
  EXPECT_EQ(by_type["gone"]->action, PlanStep::Action::kDeleteNotDone);
  // The preset that extends another is written after it; presets without a file come last.
  EXPECT_EQ((*plan)[2].job_type, "heavy");
  EXPECT_EQ(plan->back().job_type, "gone");
  std::string text = FormatPlan(*plan);
  EXPECT_NE(text.find("update\tbase\tv3 -> v4"), std::string::npos) << text;
  EXPECT_NE(text.find("delete-not-done\tgone"), std::string::npos) << text;
}

TEST_F(PresetPlanTest, PruneDeletesPresetsWithoutAFileDependentsBeforeTheirBase) {
  WriteFile("kept.yaml", "driver: {memory: 1g}\n");
  std::vector<v1::Preset> remote = {Remote("base", 2, "executor: {memory: 2g}\n"),
                                    Remote("heavy", 5, "extends: base\nexecutor: {cores: 4}\n"),
                                    Remote("kept", 1, "driver: {memory: 1g}\n")};
  auto plan = MakePlan(dir_.string(), remote, /*prune=*/true);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->size(), 3u);
  EXPECT_EQ((*plan)[0].job_type, "kept");
  EXPECT_EQ((*plan)[0].action, PlanStep::Action::kUnchanged);
  EXPECT_EQ((*plan)[1].job_type, "heavy");
  EXPECT_EQ((*plan)[1].action, PlanStep::Action::kDelete);
  EXPECT_EQ((*plan)[1].current_version, 5);
  EXPECT_EQ((*plan)[2].job_type, "base");
  EXPECT_EQ((*plan)[2].action, PlanStep::Action::kDelete);
  EXPECT_NE(FormatPlan(*plan).find("delete\theavy\tv5"), std::string::npos) << FormatPlan(*plan);
}

TEST_F(PresetPlanTest, PruneRefusesToDeleteABaseThatAFileExtends) {
  WriteFile("heavy.yaml", "extends: base\nexecutor: {cores: 4}\n");
  auto plan = MakePlan(dir_.string(), {Remote("base", 2, "executor: {memory: 2g}\n")},
                       /*prune=*/true);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "heavy.yaml: extends base, which has no file, so --prune would delete it");
  EXPECT_TRUE(MakePlan(dir_.string(), {Remote("base", 2, "executor: {memory: 2g}\n")},
                       /*prune=*/false)
                  .ok());
}

TEST_F(PresetPlanTest, HistorySaysWhatEachVersionChanged) {
  std::vector<v1::Preset> versions = {
      Remote("etl", 4, "executor: {memory: 8g}\nconf: {spark.sql.shuffle.partitions: 400}\n"),
      Remote("etl", 3, "executor: {memory: 2g}\n"), Remote("etl", 2, ""),
      Remote("etl", 1, "executor: {memory: 2g}\n")};
  versions[2].set_deleted(true);
  for (auto& version : versions) {
    version.set_author("tok_admin");
    version.mutable_created_at()->set_seconds(1'800'000'000);
  }
  auto table = FormatHistory(versions);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(*table,
            "VERSION  CREATED               AUTHOR                  CHANGES\n"
            "v4       2027-01-15T08:00:00Z  tok_admin               "
            "conf.\"spark.sql.shuffle.partitions\", executor.memory\n"
            "v3       2027-01-15T08:00:00Z  tok_admin               created\n"
            "v2       2027-01-15T08:00:00Z  tok_admin               deleted\n"
            "v1       2027-01-15T08:00:00Z  tok_admin               created\n");
}

TEST_F(PresetPlanTest, AFileThatDoesNotParseStopsThePlanNamingTheFile) {
  WriteFile("good.yaml", "executor: {memory: 4g}\n");
  WriteFile("bad.yaml", "executor: {memory: 4gb}\n");
  auto plan = MakePlan(dir_.string(), {}, /*prune=*/false);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("bad.yaml"), std::string::npos);
  EXPECT_NE(plan.status().message().find("executor.memory"), std::string::npos);
}

}  // namespace
}  // namespace sparkd::cli
