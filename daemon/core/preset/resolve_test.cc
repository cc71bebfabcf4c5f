// Typed-API tests: the example presets in deploy/presets, stored versions in messages, the JSON
// round trip the store relies on. Field-by-field rules live in the shared case table.
#include "daemon/core/preset/resolve.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/core/preset/preset.h"
#include "daemon/core/preset/render.h"

namespace sparkd {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::map<std::string, PresetLayer> LoadDeployPresets() {
  std::map<std::string, PresetLayer> layers;
  std::filesystem::path dir = std::filesystem::path(SPARKD_SOURCE_DIR) / "deploy/presets";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string job_type = entry.path().stem().string();
    auto preset = ParsePreset(ReadFile(entry.path()));
    EXPECT_TRUE(preset.ok()) << job_type << ": " << preset.status().ToString();
    if (!preset.ok()) continue;
    EXPECT_TRUE(preset->warnings.empty()) << job_type << ": " << preset->warnings[0];
    layers[job_type] = PresetLayer{PresetRef{"platform", job_type, 1}, std::move(*preset)};
  }
  return layers;
}

JobRequest Request(std::string job_type) {
  JobRequest r;
  r.file = "local:///opt/app/etl.py";
  r.job_type = std::move(job_type);
  return r;
}

TEST(PresetExamplesTest, EveryExampleParsesValidatesAndResolves) {
  auto layers = LoadDeployPresets();
  ASSERT_EQ(layers.size(), 3u);
  PresetLookup lookup = [&](std::string_view job_type) -> const PresetLayer* {
    auto it = layers.find(std::string(job_type));
    return it == layers.end() ? nullptr : &it->second;
  };
  for (const auto& [job_type, layer] : layers) {
    auto resolved = ResolveJob(nullptr, lookup, Request(job_type));
    ASSERT_TRUE(resolved.ok()) << job_type << ": " << resolved.status().ToString();
    EXPECT_EQ(resolved->presets_used.back().job_type, job_type);
  }
}

TEST(PresetExamplesTest, HeavyShuffleRendersDynamicAllocation) {
  auto layers = LoadDeployPresets();
  ResolveLayers chain{nullptr, &layers.at("platform_default"), &layers.at("heavy_shuffle")};
  auto resolved = ResolveJob(chain, Request("heavy_shuffle"));
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  auto conf = RenderSparkConf(resolved->spec);
  EXPECT_EQ(conf["spark.dynamicAllocation.minExecutors"], "2");
  EXPECT_EQ(conf["spark.dynamicAllocation.maxExecutors"], "1000");
  EXPECT_EQ(conf["spark.dynamicAllocation.shuffleTracking.enabled"], "true");
  EXPECT_EQ(conf["spark.dynamicAllocation.executorAllocationRatio"], "0.2");
  EXPECT_FALSE(conf.contains("spark.executor.instances"));
  EXPECT_EQ(resolved->provenance["dynamicAllocation.maxExecutors"],
            "preset heavy_shuffle v1 (enforced)");
  EXPECT_EQ(resolved->provenance["image"], "preset platform_default v1");
}

TEST(PresetExamplesTest, StrongComputePacksExecutorsOfOneApp) {
  auto layers = LoadDeployPresets();
  ResolveLayers chain{nullptr, &layers.at("platform_default"), &layers.at("strong_compute")};
  auto resolved = ResolveJob(chain, Request("strong_compute"));
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  RenderContext context;
  context.app_id = "spark-7f3a";
  auto pod = RenderPodTemplate(resolved->spec, "executor", context);
  auto term = pod["spec"]["affinity"]["podAffinity"]
                 ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
  EXPECT_EQ(term["labelSelector"]["matchLabels"]["spark-app-selector"], "spark-7f3a");
  EXPECT_EQ(pod["spec"]["tolerations"].size(), 2u);
  EXPECT_EQ(RenderSparkConf(resolved->spec)["spark.kubernetes.node.selector.node-pool"],
            "strong-compute");
}

TEST(ResolveTest, EnforcedKeyErrorNamesPresetVersion) {
  auto layers = LoadDeployPresets();
  ResolveLayers chain{nullptr, &layers.at("platform_default"), &layers.at("strong_compute")};
  layers.at("strong_compute").ref.version = 3;
  JobRequest request = Request("strong_compute");
  request.executor.memory = "8g";
  auto resolved = ResolveJob(chain, request);
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().ToString(),
            "INVALID_ARGUMENT: executor.memory is enforced by preset strong_compute v3; the "
            "request may not change it");
}

TEST(ResolveTest, LayersThatDoNotFitAreAPrecondition) {
  auto layers = LoadDeployPresets();
  ResolveLayers missing_base{nullptr, nullptr, &layers.at("strong_compute")};
  auto resolved = ResolveJob(missing_base, Request("strong_compute"));
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), StatusCode::kFailedPrecondition);
}

TEST(SpecJsonTest, ResolvedSpecRoundTripsThroughJson) {
  auto layers = LoadDeployPresets();
  ResolveLayers chain{nullptr, &layers.at("platform_default"), &layers.at("strong_compute")};
  JobRequest request = Request("strong_compute");
  request.args = {"--date", "2026-11-20"};
  request.env = {{"MODE", "full"}};
  auto resolved = ResolveJob(chain, request);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  auto back = SpecFromJson(SpecToJson(resolved->spec));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, resolved->spec);
}

TEST(SpecJsonTest, UnknownKeyInStoredSpecIsAnError) {
  auto spec = SpecFromJson(nlohmann::json{{"executor", {{"memory", "4g"}, {"memry", "1g"}}}});
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(), "executor.memry: unknown key; did you mean \"memory\"?");
}

}  // namespace
}  // namespace sparkd
