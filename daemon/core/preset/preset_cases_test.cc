// Runs the shared case table in tests/cases/presets/*.yaml through the document functions the
// Python binding also calls (tests/python/test_core_binding.py runs the same files).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/core/preset/documents.h"
#include "daemon/core/preset/yaml_json.h"

namespace sparkd {
namespace {

using nlohmann::json;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Objects: every expected key matches; lists: same length, items match; scalars: equal.
bool Contains(const json& actual, const json& expected, const std::string& where,
              std::string& why) {
  if (expected.is_object()) {
    if (!actual.is_object()) {
      why = where + ": expected a mapping, got " + actual.dump();
      return false;
    }
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) {
        why = where + "/" + key + ": missing in " + actual.dump();
        return false;
      }
      if (!Contains(actual[key], value, where + "/" + key, why)) return false;
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      why = where + ": expected " + expected.dump() + ", got " + actual.dump();
      return false;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (!Contains(actual[i], expected[i], where + "/" + std::to_string(i), why)) return false;
    }
    return true;
  }
  if (actual != expected) {
    why = where + ": expected " + expected.dump() + ", got " + actual.dump();
    return false;
  }
  return true;
}

StatusOr<json> RunCase(const json& c) {
  std::string kind = c.at("kind");
  if (kind == "parse_preset") return ParsePresetDocument(c.at("preset").get<std::string>());
  if (kind == "validate_request") return ValidateRequestDocument(c.at("request"));
  if (kind == "diff") {
    return DiffDocuments(c.at("before").get<std::string>(), c.at("after").get<std::string>());
  }
  std::map<std::string, std::string> presets;
  if (c.contains("presets") && c["presets"].is_object()) {
    presets = c["presets"].get<std::map<std::string, std::string>>();
  }
  std::string defaults = c.value("defaults", "");
  if (kind == "merge") return MergeDocuments(defaults, presets, c.value("job_type", ""));
  RenderContext context;
  if (c.contains("context")) {
    const json& x = c["context"];
    context = {x.value("job_id", ""),     x.value("app_id", ""), x.value("namespace", ""),
               x.value("driver_pod", ""), x.value("team", ""),   x.value("pod_prefix", "")};
  }
  return ResolveDocuments(defaults, presets, c.at("request"), context);
}

void CheckCase(const json& c) {
  SCOPED_TRACE(c.at("name").get<std::string>());
  auto result = RunCase(c);
  if (c.contains("error")) {
    ASSERT_FALSE(result.ok()) << "expected an error, got " << result->dump();
    EXPECT_EQ(StatusCodeName(result.status().code()), c.value("code", "INVALID_ARGUMENT"));
    EXPECT_NE(result.status().message().find(c["error"].get<std::string>()), std::string::npos)
        << result.status().message();
    return;
  }
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::string why;
  if (c.contains("result")) {
    EXPECT_TRUE(Contains(*result, c["result"], "", why)) << why;
  }
  for (const auto& pointer : c.value("absent", json::array())) {
    EXPECT_FALSE(result->contains(json::json_pointer(pointer.get<std::string>())))
        << pointer << " in " << result->dump();
  }
  for (const auto& text : c.value("warnings_contain", json::array())) {
    bool found = false;
    for (const auto& w : (*result)["warnings"]) {
      found = found || w.get<std::string>().find(text.get<std::string>()) != std::string::npos;
    }
    EXPECT_TRUE(found) << text << " not in " << (*result)["warnings"].dump();
  }
}

TEST(PresetCasesTest, SharedTable) {
  std::filesystem::path dir = std::filesystem::path(SPARKD_SOURCE_DIR) / "tests/cases/presets";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto cases = YamlToJson(ReadFile(entry.path()));
    ASSERT_TRUE(cases.ok()) << cases.status().ToString();
    for (const auto& c : *cases) {
      CheckCase(c);
      ++count;
    }
  }
  EXPECT_GT(count, 80);
}

}  // namespace
}  // namespace sparkd
