// The rendering against what the real spark-submit of Spark 3.5.8 sent to a real API server,
// without a cluster: tests/k8s/test_render_vs_spark_submit.py stores, per case, the job and
// Spark's objects (its server view less the server's defaults, Spark's random names replaced by
// sparkd's) in tests/k8s/fixtures/spark-submit/CASE.json. Normalize() is that test's
// normalize_object for a rendering; docs/k8s-native-rendering.md says why each rule exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/core/preset/driver_manifests.h"

namespace sparkd {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// spark.properties as {comment, date, entries}: the date is the clock's, the order of the
// entries Spark's hash map's.
json StructuredProperties(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  std::vector<std::string> entries(lines.begin() + 2, lines.end());
  std::sort(entries.begin(), entries.end());
  return {{"comment", lines[0]}, {"date", "<date>"}, {"entries", entries}};
}

// Env and volumes by name, mounts by path: Spark takes some of each from hash maps.
json SortLists(json value) {
  if (value.is_array()) {
    for (json& item : value) item = SortLists(std::move(item));
    return value;
  }
  if (!value.is_object()) return value;
  for (auto& [key, item] : value.items()) item = SortLists(std::move(item));
  for (const auto& [key, by] : {std::pair<const char*, const char*>{"env", "name"},
                                {"volumes", "name"},
                                {"volumeMounts", "mountPath"}}) {
    if (!value.contains(key) || !value[key].is_array()) continue;
    std::stable_sort(value[key].begin(), value[key].end(), [by = by](const json& a, const json& b) {
      return a.value(by, "") < b.value(by, "");
    });
  }
  return value;
}

json Normalize(json object) {
  json& metadata = object["metadata"];
  if (metadata.contains("annotations")) {
    metadata["annotations"].erase("sparkd.io/idempotency-key");
    if (metadata["annotations"].empty()) metadata.erase("annotations");
  }
  if (object["kind"] != "Pod" && metadata.contains("labels")) {
    json labels = json::object();
    for (const auto& [key, value] : metadata["labels"].items()) {
      if (!key.starts_with("sparkd.io/")) labels[key] = value;
    }
    metadata["labels"] = labels;
    if (labels.empty()) metadata.erase("labels");
  }
  if (object.contains("data") && object["data"].contains("spark.properties")) {
    object["data"]["spark.properties"] =
        StructuredProperties(object["data"]["spark.properties"].get<std::string>());
  }
  return SortLists(std::move(object));
}

json Capture(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST(DriverManifestsCaptureTest, RenderingIsWhatSparkSubmitSent) {
  std::filesystem::path dir =
      std::filesystem::path(SPARKD_SOURCE_DIR) / "tests" / "k8s" / "fixtures" / "spark-submit";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 8u) << "captures missing in " << dir;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    json capture = Capture(file);
    StatusOr<DriverJob> job = DriverJobFromJson(capture["job"]);
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    StatusOr<NativeBackendSettings> settings = NativeBackendSettingsFromJson(capture["settings"]);
    ASSERT_TRUE(settings.ok()) << settings.status().ToString();
    StatusOr<DriverManifests> m = RenderDriverManifests(*job, *settings);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    json dependents = json::array();
    for (const DriverObject& d : DependentsOwnedBy(*m, "<uid>")) {
      dependents.push_back({{"resource", d.resource}, {"object", Normalize(d.object)}});
    }
    json rendered = {{"pod", Normalize(m->pod)}, {"dependents", dependents}};
    EXPECT_TRUE(rendered == capture["objects"])
        << "from the rendering to what Spark sent (JSON patch): "
        << json::diff(rendered, capture["objects"]).dump(1);
  }
}

}  // namespace
}  // namespace sparkd
