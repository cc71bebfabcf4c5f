#include "daemon/core/preset/spec_parts.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "daemon/core/preset/suggest.h"

namespace sparkd {
namespace {

using nlohmann::json;

Status Error(std::string_view path, std::string_view message) {
  return InvalidArgument(std::string(path) + ": " + std::string(message));
}

std::string Shown(const json& j) { return j.dump(); }

std::string Indexed(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

Status CheckItemKeys(const json& item, const std::string& path,
                     std::span<const std::string_view> known) {
  RETURN_IF_ERROR(ExpectObject(item, path));
  for (const auto& [key, value] : item.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Error(path + "." + key, "unknown key" + DidYouMean(key, known));
    }
  }
  return Status::Ok();
}

Status ReadString(const json& item, std::string_view key, const std::string& path,
                  std::string& out) {
  if (!item.contains(key)) return Status::Ok();
  std::optional<std::string> value;
  RETURN_IF_ERROR(ReadScalar(item[key], path + "." + std::string(key), value));
  out = value.value_or("");
  return Status::Ok();
}

Status RequireString(const json& item, std::string_view key, const std::string& path,
                     std::string& out) {
  RETURN_IF_ERROR(ReadString(item, key, path, out));
  if (out.empty()) return Error(path + "." + std::string(key), "required");
  return Status::Ok();
}

// Rejects a second entry with the same identity inside one document: which one was meant?
Status CheckUnique(std::set<std::string>& seen, const std::string& id, const std::string& path) {
  if (!seen.insert(id).second) return Error(path, "duplicate entry \"" + id + "\"");
  return Status::Ok();
}

}  // namespace

Status ExpectObject(const json& j, std::string_view path) {
  if (!j.is_object()) return Error(path, "expected a mapping, got " + Shown(j));
  return Status::Ok();
}

Status ExpectArray(const json& j, std::string_view path) {
  if (!j.is_array()) return Error(path, "expected a list, got " + Shown(j));
  return Status::Ok();
}

StatusOr<std::string> ScalarText(const json& j, std::string_view path) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return std::string(j.get<bool>() ? "true" : "false");
  if (j.is_number()) return j.dump();
  return Error(path, "expected a single value, got " + Shown(j));
}

Status ReadScalar(const json& j, std::string_view path, std::optional<std::string>& out) {
  if (j.is_null()) return Status::Ok();
  ASSIGN_OR_RETURN(out, ScalarText(j, path));
  return Status::Ok();
}

Status ReadScalar(const json& j, std::string_view path, std::optional<int64_t>& out) {
  if (j.is_null()) return Status::Ok();
  if (j.is_number_integer()) {
    out = j.get<int64_t>();
    return Status::Ok();
  }
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    size_t used = 0;
    try {
      int64_t value = std::stoll(s, &used);
      if (used == s.size()) {
        out = value;
        return Status::Ok();
      }
    } catch (const std::exception&) {
      // Falls through to the error below, which shows the value.
    }
  }
  return Error(path, "expected a whole number, got " + Shown(j));
}

Status ReadScalar(const json& j, std::string_view path, std::optional<int>& out) {
  std::optional<int64_t> wide;
  RETURN_IF_ERROR(ReadScalar(j, path, wide));
  if (!wide) return Status::Ok();
  if (*wide > std::numeric_limits<int>::max() || *wide < std::numeric_limits<int>::min()) {
    return Error(path, "out of range: " + Shown(j));
  }
  out = static_cast<int>(*wide);
  return Status::Ok();
}

Status ReadScalar(const json& j, std::string_view path, std::optional<double>& out) {
  if (j.is_null()) return Status::Ok();
  if (j.is_number()) {
    out = j.get<double>();
    return Status::Ok();
  }
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    size_t used = 0;
    try {
      double value = std::stod(s, &used);
      if (used == s.size() && std::isfinite(value)) {
        out = value;
        return Status::Ok();
      }
    } catch (const std::exception&) {
      // Falls through to the error below, which shows the value.
    }
  }
  return Error(path, "expected a number, got " + Shown(j));
}

Status ReadScalar(const json& j, std::string_view path, std::optional<bool>& out) {
  if (j.is_null()) return Status::Ok();
  if (j.is_boolean()) {
    out = j.get<bool>();
    return Status::Ok();
  }
  if (j.is_string() && (j == "true" || j == "false")) {
    out = j == "true";
    return Status::Ok();
  }
  return Error(path, "expected true or false, got " + Shown(j));
}

Status ReadStringList(const json& j, std::string_view path, std::vector<std::string>& out) {
  RETURN_IF_ERROR(ExpectArray(j, path));
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(std::string text, ScalarText(j[i], Indexed(path, i)));
    out.push_back(std::move(text));
  }
  return Status::Ok();
}

Status ReadStringMap(const json& j, std::string_view path,
                     std::map<std::string, std::string>& out) {
  RETURN_IF_ERROR(ExpectObject(j, path));
  for (const auto& [key, value] : j.items()) {
    ASSIGN_OR_RETURN(out[key], ScalarText(value, MapEntryPath(path, key)));
  }
  return Status::Ok();
}

Status ReadTolerations(const json& j, JobSpec& spec) {
  static constexpr std::string_view kKeys[] = {"key", "operator", "value", "effect",
                                               "tolerationSeconds"};
  RETURN_IF_ERROR(ExpectArray(j, "tolerations"));
  std::set<std::string> seen;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string path = Indexed("tolerations", i);
    RETURN_IF_ERROR(CheckItemKeys(j[i], path, kKeys));
    Toleration t;
    RETURN_IF_ERROR(ReadString(j[i], "key", path, t.key));
    RETURN_IF_ERROR(ReadString(j[i], "operator", path, t.op));
    RETURN_IF_ERROR(ReadString(j[i], "value", path, t.value));
    RETURN_IF_ERROR(ReadString(j[i], "effect", path, t.effect));
    if (j[i].contains("tolerationSeconds")) {
      RETURN_IF_ERROR(
          ReadScalar(j[i]["tolerationSeconds"], path + ".tolerationSeconds", t.toleration_seconds));
    }
    RETURN_IF_ERROR(CheckUnique(seen, TolerationId(t), path));
    spec.tolerations.push_back(std::move(t));
  }
  return Status::Ok();
}

Status ReadEnv(const json& j, JobSpec& spec) {
  static constexpr std::string_view kKeys[] = {"name", "value", "valueFrom"};
  static constexpr std::string_view kFrom[] = {"secretKeyRef"};
  static constexpr std::string_view kRef[] = {"name", "key"};
  RETURN_IF_ERROR(ExpectArray(j, "env"));
  std::set<std::string> seen;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string path = Indexed("env", i);
    RETURN_IF_ERROR(CheckItemKeys(j[i], path, kKeys));
    EnvVar var;
    RETURN_IF_ERROR(RequireString(j[i], "name", path, var.name));
    if (j[i].contains("value")) {
      RETURN_IF_ERROR(ReadScalar(j[i]["value"], path + ".value", var.value));
    }
    if (j[i].contains("valueFrom")) {
      const json& from = j[i]["valueFrom"];
      RETURN_IF_ERROR(CheckItemKeys(from, path + ".valueFrom", kFrom));
      std::string ref_path = path + ".valueFrom.secretKeyRef";
      if (!from.contains("secretKeyRef")) return Error(ref_path, "required");
      RETURN_IF_ERROR(CheckItemKeys(from["secretKeyRef"], ref_path, kRef));
      SecretKeyRef ref;
      RETURN_IF_ERROR(RequireString(from["secretKeyRef"], "name", ref_path, ref.name));
      RETURN_IF_ERROR(RequireString(from["secretKeyRef"], "key", ref_path, ref.key));
      var.secret_key_ref = std::move(ref);
    }
    if (var.value.has_value() == var.secret_key_ref.has_value()) {
      return Error(path, "set exactly one of value and valueFrom.secretKeyRef");
    }
    RETURN_IF_ERROR(CheckUnique(seen, var.name, path));
    spec.env.push_back(std::move(var));
  }
  return Status::Ok();
}

Status ReadVolumes(const json& j, JobSpec& spec) {
  RETURN_IF_ERROR(ExpectArray(j, "volumes"));
  std::set<std::string> seen;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string path = Indexed("volumes", i);
    RETURN_IF_ERROR(ExpectObject(j[i], path));
    Volume volume;
    RETURN_IF_ERROR(RequireString(j[i], "name", path, volume.name));
    volume.source = j[i];
    volume.source.erase("name");
    if (volume.source.size() != 1 || !volume.source.begin()->is_object()) {
      return Error(path,
                   "expected a name and one volume source (emptyDir: {}, "
                   "persistentVolumeClaim: {claimName: ...}, ...)");
    }
    RETURN_IF_ERROR(CheckUnique(seen, volume.name, path));
    spec.volumes.push_back(std::move(volume));
  }
  return Status::Ok();
}

Status ReadVolumeMounts(const json& j, JobSpec& spec) {
  static constexpr std::string_view kKeys[] = {"name", "mountPath", "subPath", "readOnly"};
  RETURN_IF_ERROR(ExpectArray(j, "volumeMounts"));
  std::set<std::string> seen;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string path = Indexed("volumeMounts", i);
    RETURN_IF_ERROR(CheckItemKeys(j[i], path, kKeys));
    VolumeMount mount;
    RETURN_IF_ERROR(RequireString(j[i], "name", path, mount.name));
    RETURN_IF_ERROR(RequireString(j[i], "mountPath", path, mount.mount_path));
    RETURN_IF_ERROR(ReadString(j[i], "subPath", path, mount.sub_path));
    if (j[i].contains("readOnly")) {
      RETURN_IF_ERROR(ReadScalar(j[i]["readOnly"], path + ".readOnly", mount.read_only));
    }
    RETURN_IF_ERROR(CheckUnique(seen, mount.mount_path, path));
    spec.volume_mounts.push_back(std::move(mount));
  }
  return Status::Ok();
}

json TolerationsToJson(const std::vector<Toleration>& tolerations) {
  json out = json::array();
  for (const auto& t : tolerations) {
    json item = json::object();
    if (!t.key.empty()) item["key"] = t.key;
    if (!t.op.empty()) item["operator"] = t.op;
    if (!t.value.empty()) item["value"] = t.value;
    if (!t.effect.empty()) item["effect"] = t.effect;
    if (t.toleration_seconds) item["tolerationSeconds"] = *t.toleration_seconds;
    out.push_back(std::move(item));
  }
  return out;
}

json EnvToJson(const std::vector<EnvVar>& env) {
  json out = json::array();
  for (const auto& var : env) {
    json item = {{"name", var.name}};
    if (var.value) item["value"] = *var.value;
    if (var.secret_key_ref) {
      item["valueFrom"]["secretKeyRef"] = {{"name", var.secret_key_ref->name},
                                           {"key", var.secret_key_ref->key}};
    }
    out.push_back(std::move(item));
  }
  return out;
}

json VolumesToJson(const std::vector<Volume>& volumes) {
  json out = json::array();
  for (const auto& volume : volumes) {
    json item = volume.source;
    item["name"] = volume.name;
    out.push_back(std::move(item));
  }
  return out;
}

json VolumeMountsToJson(const std::vector<VolumeMount>& mounts) {
  json out = json::array();
  for (const auto& m : mounts) {
    json item = {{"name", m.name}, {"mountPath", m.mount_path}};
    if (!m.sub_path.empty()) item["subPath"] = m.sub_path;
    if (m.read_only) item["readOnly"] = *m.read_only;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace sparkd
