// JSON readers and writers for the parts of a JobSpec: typed scalars with YAML's loose typing,
// string lists and maps, and the list fields with an identity (tolerations, env, volumes,
// mounts). Internal to the preset library; errors name the field path.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/preset/job_spec.h"
#include "daemon/core/status.h"

namespace sparkd {

Status ExpectObject(const nlohmann::json& j, std::string_view path);
Status ExpectArray(const nlohmann::json& j, std::string_view path);

// Strings take numbers and booleans as written ("4096", "true"); numbers take numeric
// strings; booleans take "true"/"false". Anything else names the path and what was expected.
Status ReadScalar(const nlohmann::json& j, std::string_view path, std::optional<std::string>& out);
Status ReadScalar(const nlohmann::json& j, std::string_view path, std::optional<int>& out);
Status ReadScalar(const nlohmann::json& j, std::string_view path, std::optional<int64_t>& out);
Status ReadScalar(const nlohmann::json& j, std::string_view path, std::optional<double>& out);
Status ReadScalar(const nlohmann::json& j, std::string_view path, std::optional<bool>& out);

// A JSON scalar as the string Spark would read: true → "true", 0.2 → "0.2".
StatusOr<std::string> ScalarText(const nlohmann::json& j, std::string_view path);

Status ReadStringList(const nlohmann::json& j, std::string_view path,
                      std::vector<std::string>& out);
Status ReadStringMap(const nlohmann::json& j, std::string_view path,
                     std::map<std::string, std::string>& out);

Status ReadTolerations(const nlohmann::json& j, JobSpec& spec);
Status ReadEnv(const nlohmann::json& j, JobSpec& spec);
Status ReadVolumes(const nlohmann::json& j, JobSpec& spec);
Status ReadVolumeMounts(const nlohmann::json& j, JobSpec& spec);

nlohmann::json TolerationsToJson(const std::vector<Toleration>& tolerations);
nlohmann::json EnvToJson(const std::vector<EnvVar>& env);
nlohmann::json VolumesToJson(const std::vector<Volume>& volumes);
nlohmann::json VolumeMountsToJson(const std::vector<VolumeMount>& mounts);

}  // namespace sparkd
