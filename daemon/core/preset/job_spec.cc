#include "daemon/core/preset/job_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "daemon/core/preset/spec_parts.h"
#include "daemon/core/preset/suggest.h"

namespace sparkd {
namespace {

using nlohmann::json;

constexpr std::string_view kStringLists[] = {"args", "pyFiles", "jars", "files",
                                             "imagePullSecrets"};
constexpr std::string_view kStringMaps[] = {"nodeSelector", "labels", "annotations", "conf"};
constexpr std::string_view kCollections[] = {"affinity", "tolerations",  "env",
                                             "volumes",  "volumeMounts", "sparkConf"};
constexpr std::string_view kGroups[] = {"driver", "executor", "dynamicAllocation", "links"};

constexpr std::string_view kAffinityKinds[] = {"nodeAffinity", "podAffinity", "podAntiAffinity"};
constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
constexpr std::string_view kPreferred = "preferredDuringSchedulingIgnoredDuringExecution";

std::vector<std::string>* StringList(JobSpec& s, std::string_view key) {
  if (key == "args") return &s.args;
  if (key == "pyFiles") return &s.py_files;
  if (key == "jars") return &s.jars;
  if (key == "files") return &s.files;
  return &s.image_pull_secrets;
}

const std::vector<std::string>& StringList(const JobSpec& s, std::string_view key) {
  return *StringList(const_cast<JobSpec&>(s), key);
}

std::map<std::string, std::string>* StringMap(JobSpec& s, std::string_view key) {
  if (key == "nodeSelector") return &s.node_selector;
  if (key == "labels") return &s.labels;
  if (key == "annotations") return &s.annotations;
  return &s.conf;
}

// Every key a spec object may hold at `prefix` ("" = top level, or a group name).
std::vector<std::string_view> KnownKeys(std::string_view prefix) {
  std::vector<std::string_view> keys;
  JobSpec probe;
  ForEachScalar(probe, probe, [&](std::string_view path, auto&, auto&) {
    size_t dot = path.find('.');
    std::string_view head = path.substr(0, dot);
    if (prefix.empty() && dot == std::string_view::npos) keys.push_back(path);
    if (!prefix.empty() && head == prefix) keys.push_back(path.substr(dot + 1));
  });
  if (prefix.empty()) {
    for (auto list : {std::span<const std::string_view>(kStringLists),
                      std::span<const std::string_view>(kStringMaps),
                      std::span<const std::string_view>(kCollections),
                      std::span<const std::string_view>(kGroups)}) {
      keys.insert(keys.end(), list.begin(), list.end());
    }
  }
  return keys;
}

Status CheckKeys(const json& object, std::string_view prefix,
                 const std::vector<std::string_view>& extra) {
  std::vector<std::string_view> known = KnownKeys(prefix);
  known.insert(known.end(), extra.begin(), extra.end());
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string path = prefix.empty() ? key : std::string(prefix) + "." + key;
    return InvalidArgument(path + ": unknown key" + DidYouMean(key, known));
  }
  return Status::Ok();
}

Status ReadScalars(const json& j, JobSpec& spec) {
  Status status;
  ForEachScalar(spec, spec, [&](std::string_view path, auto& field, auto&) {
    if (!status.ok()) return;
    const json* value = &j;
    size_t dot = path.find('.');
    std::string head(path.substr(0, dot));
    if (!value->contains(head)) return;
    value = &(*value)[head];
    if (dot != std::string_view::npos) {
      std::string tail(path.substr(dot + 1));
      if (!value->contains(tail)) return;
      value = &(*value)[tail];
    }
    status = ReadScalar(*value, path, field);
  });
  return status;
}

Status ReadAffinity(const json& j, AffinitySpec& a) {
  RETURN_IF_ERROR(ExpectObject(j, "affinity"));
  for (const auto& [kind, terms] : j.items()) {
    std::string path = "affinity." + kind;
    if (std::find(std::begin(kAffinityKinds), std::end(kAffinityKinds), kind) ==
        std::end(kAffinityKinds)) {
      return InvalidArgument(path + ": unknown key" + DidYouMean(kind, kAffinityKinds));
    }
    RETURN_IF_ERROR(ExpectObject(terms, path));
    bool node = kind == "nodeAffinity";
    auto& required = node                    ? a.node_required
                     : kind == "podAffinity" ? a.pod_required
                                             : a.anti_required;
    auto& preferred = node                    ? a.node_preferred
                      : kind == "podAffinity" ? a.pod_preferred
                                              : a.anti_preferred;
    for (const auto& [when, list] : terms.items()) {
      std::string when_path = path + "." + when;
      const json* items = &list;
      if (when == kRequired && node) {
        RETURN_IF_ERROR(ExpectObject(list, when_path));
        if (!list.contains("nodeSelectorTerms") || list.size() != 1) {
          return InvalidArgument(when_path + ": expected {nodeSelectorTerms: [...]}");
        }
        items = &list["nodeSelectorTerms"];
        when_path += ".nodeSelectorTerms";
      } else if (when != kRequired && when != kPreferred) {
        std::string_view options[] = {kRequired, kPreferred};
        return InvalidArgument(when_path + ": unknown key" + DidYouMean(when, options));
      }
      RETURN_IF_ERROR(ExpectArray(*items, when_path));
      auto& out = when == kRequired ? required : preferred;
      out.insert(out.end(), items->begin(), items->end());
    }
  }
  return Status::Ok();
}

json AffinityToJson(const AffinitySpec& a) {
  json out = json::object();
  auto put = [&](std::string_view kind, const std::vector<json>& required,
                 const std::vector<json>& preferred) {
    if (!required.empty()) {
      out[kind][kRequired] =
          kind == "nodeAffinity" ? json{{"nodeSelectorTerms", required}} : json(required);
    }
    if (!preferred.empty()) out[kind][kPreferred] = preferred;
  };
  put("nodeAffinity", a.node_required, a.node_preferred);
  put("podAffinity", a.pod_required, a.pod_preferred);
  put("podAntiAffinity", a.anti_required, a.anti_preferred);
  return out;
}

Status ReadCollections(const json& j, JobSpec& spec) {
  for (std::string_view key : kStringLists) {
    if (j.contains(key)) RETURN_IF_ERROR(ReadStringList(j[key], key, *StringList(spec, key)));
  }
  for (std::string_view key : kStringMaps) {
    if (j.contains(key)) RETURN_IF_ERROR(ReadStringMap(j[key], key, *StringMap(spec, key)));
  }
  if (j.contains("sparkConf")) {
    if (j.contains("conf")) return InvalidArgument("sparkConf: set either conf or sparkConf");
    RETURN_IF_ERROR(ReadStringMap(j["sparkConf"], "sparkConf", spec.conf));
  }
  if (j.contains("affinity")) RETURN_IF_ERROR(ReadAffinity(j["affinity"], spec.affinity));
  if (j.contains("tolerations")) RETURN_IF_ERROR(ReadTolerations(j["tolerations"], spec));
  if (j.contains("env")) RETURN_IF_ERROR(ReadEnv(j["env"], spec));
  if (j.contains("volumes")) RETURN_IF_ERROR(ReadVolumes(j["volumes"], spec));
  if (j.contains("volumeMounts")) RETURN_IF_ERROR(ReadVolumeMounts(j["volumeMounts"], spec));
  return Status::Ok();
}

void CollectionsToJson(const JobSpec& spec, json& out) {
  for (std::string_view key : kStringLists) {
    if (!StringList(spec, key).empty()) out[key] = StringList(spec, key);
  }
  for (std::string_view key : kStringMaps) {
    const auto& map = *StringMap(const_cast<JobSpec&>(spec), key);
    if (!map.empty()) out[key] = map;
  }
  if (!spec.affinity.empty()) out["affinity"] = AffinityToJson(spec.affinity);
  if (!spec.tolerations.empty()) out["tolerations"] = TolerationsToJson(spec.tolerations);
  if (!spec.env.empty()) out["env"] = EnvToJson(spec.env);
  if (!spec.volumes.empty()) out["volumes"] = VolumesToJson(spec.volumes);
  if (!spec.volume_mounts.empty()) out["volumeMounts"] = VolumeMountsToJson(spec.volume_mounts);
}

bool IsBareKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

json SpecToJson(const JobSpec& spec) {
  json out = json::object();
  ForEachScalar(spec, spec, [&](std::string_view path, const auto& field, const auto&) {
    if (!field) return;
    size_t dot = path.find('.');
    if (dot == std::string_view::npos) {
      out[std::string(path)] = *field;
    } else {
      out[std::string(path.substr(0, dot))][std::string(path.substr(dot + 1))] = *field;
    }
  });
  CollectionsToJson(spec, out);
  return out;
}

Status ReadSpecFields(const json& j, const std::vector<std::string_view>& extra_keys,
                      JobSpec& spec) {
  RETURN_IF_ERROR(ExpectObject(j, "spec"));
  RETURN_IF_ERROR(CheckKeys(j, "", extra_keys));
  for (std::string_view group : kGroups) {
    if (!j.contains(group)) continue;
    RETURN_IF_ERROR(ExpectObject(j[group], group));
    RETURN_IF_ERROR(CheckKeys(j[group], group, {}));
  }
  RETURN_IF_ERROR(ReadScalars(j, spec));
  return ReadCollections(j, spec);
}

StatusOr<JobSpec> SpecFromJson(const json& j) {
  JobSpec spec;
  RETURN_IF_ERROR(ReadSpecFields(j, {}, spec));
  return spec;
}

std::string MapEntryPath(std::string_view field, std::string_view key) {
  std::string path(field);
  path += '.';
  if (IsBareKey(key)) return path.append(key);
  return path.append("\"").append(key).append("\"");
}

std::string TolerationId(const Toleration& t) {
  return t.key + ":" + (t.effect.empty() ? "*" : t.effect);
}

}  // namespace sparkd
