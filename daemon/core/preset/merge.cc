#include "daemon/core/preset/merge.h"

#include <algorithm>

namespace sparkd {
namespace {

void Record(Provenance* provenance, std::string path, std::string_view layer) {
  if (provenance) (*provenance)[std::move(path)] = std::string(layer);
}

void AppendUnique(const std::vector<std::string>& from, std::string_view field,
                  std::vector<std::string>& into, std::string_view layer, Provenance* p) {
  for (const auto& item : from) {
    if (std::find(into.begin(), into.end(), item) == into.end()) into.push_back(item);
  }
  if (!from.empty()) Record(p, std::string(field), layer);
}

void MergeMap(const std::map<std::string, std::string>& from, std::string_view field,
              std::map<std::string, std::string>& into, std::string_view layer, Provenance* p) {
  for (const auto& [key, value] : from) {
    into[key] = value;
    if (p) Record(p, MapEntryPath(field, key), layer);
  }
}

// Replaces the entry with the same identity, or appends: a later layer redefines a toleration
// for the same taint instead of adding a second one.
template <typename T, typename Id>
void MergeByIdentity(const std::vector<T>& from, std::string_view field, Id id,
                     std::vector<T>& into, std::string_view layer, Provenance* p) {
  for (const T& item : from) {
    auto same = [&](const T& existing) { return id(existing) == id(item); };
    auto it = std::find_if(into.begin(), into.end(), same);
    if (it == into.end()) {
      into.push_back(item);
    } else {
      *it = item;
    }
    if (p) Record(p, MapEntryPath(field, id(item)), layer);
  }
}

void AppendTerms(const std::vector<nlohmann::json>& from, std::string_view path,
                 std::vector<nlohmann::json>& into, std::string_view layer, Provenance* p) {
  for (const auto& term : from) {
    if (p) Record(p, std::string(path) + "[" + std::to_string(into.size()) + "]", layer);
    into.push_back(term);
  }
}

void MergeAffinity(const AffinitySpec& from, AffinitySpec& into, std::string_view layer,
                   Provenance* p) {
  AppendTerms(from.node_required, "affinity.nodeAffinity.required", into.node_required, layer, p);
  AppendTerms(from.node_preferred, "affinity.nodeAffinity.preferred", into.node_preferred, layer,
              p);
  AppendTerms(from.pod_required, "affinity.podAffinity.required", into.pod_required, layer, p);
  AppendTerms(from.pod_preferred, "affinity.podAffinity.preferred", into.pod_preferred, layer, p);
  AppendTerms(from.anti_required, "affinity.podAntiAffinity.required", into.anti_required, layer,
              p);
  AppendTerms(from.anti_preferred, "affinity.podAntiAffinity.preferred", into.anti_preferred, layer,
              p);
}

const std::string& EnvId(const EnvVar& v) { return v.name; }
const std::string& VolumeId(const Volume& v) { return v.name; }
const std::string& MountId(const VolumeMount& m) { return m.mount_path; }

template <typename T, typename Id>
bool SameEntry(const std::vector<T>& a, const std::vector<T>& b, std::string_view key, Id id) {
  auto find = [&](const std::vector<T>& list) {
    auto it = std::find_if(list.begin(), list.end(), [&](const T& x) { return id(x) == key; });
    return it == list.end() ? std::optional<T>() : std::optional<T>(*it);
  };
  return find(a) == find(b);
}

bool SameMapEntry(const std::map<std::string, std::string>& a,
                  const std::map<std::string, std::string>& b, const std::string& key) {
  auto x = a.find(key);
  auto y = b.find(key);
  if (x == a.end() || y == b.end()) return (x == a.end()) == (y == b.end());
  return x->second == y->second;
}

const std::map<std::string, std::string>* MapField(const JobSpec& s, std::string_view field) {
  if (field == "conf") return &s.conf;
  if (field == "labels") return &s.labels;
  if (field == "annotations") return &s.annotations;
  if (field == "nodeSelector") return &s.node_selector;
  return nullptr;
}

bool SameWhole(const JobSpec& a, const JobSpec& b, std::string_view field, bool& known) {
  known = true;
  if (const auto* map = MapField(a, field)) return *map == *MapField(b, field);
  if (field == "args") return a.args == b.args;
  if (field == "pyFiles") return a.py_files == b.py_files;
  if (field == "jars") return a.jars == b.jars;
  if (field == "files") return a.files == b.files;
  if (field == "imagePullSecrets") return a.image_pull_secrets == b.image_pull_secrets;
  if (field == "affinity") return a.affinity == b.affinity;
  if (field == "tolerations") return a.tolerations == b.tolerations;
  if (field == "env") return a.env == b.env;
  if (field == "volumes") return a.volumes == b.volumes;
  if (field == "volumeMounts") return a.volume_mounts == b.volume_mounts;
  known = false;
  return false;
}

}  // namespace

void MergeSpec(const JobSpec& layer, std::string_view name, JobSpec& into, Provenance* p) {
  ForEachScalar(into, layer, [&](std::string_view path, auto& dst, const auto& src) {
    if (!src) return;
    dst = src;
    Record(p, std::string(path), name);
  });
  if (!layer.args.empty()) {
    into.args = layer.args;
    Record(p, "args", name);
  }
  AppendUnique(layer.py_files, "pyFiles", into.py_files, name, p);
  AppendUnique(layer.jars, "jars", into.jars, name, p);
  AppendUnique(layer.files, "files", into.files, name, p);
  AppendUnique(layer.image_pull_secrets, "imagePullSecrets", into.image_pull_secrets, name, p);
  MergeMap(layer.node_selector, "nodeSelector", into.node_selector, name, p);
  MergeMap(layer.labels, "labels", into.labels, name, p);
  MergeMap(layer.annotations, "annotations", into.annotations, name, p);
  MergeMap(layer.conf, "conf", into.conf, name, p);
  MergeAffinity(layer.affinity, into.affinity, name, p);
  MergeByIdentity(layer.tolerations, "tolerations", TolerationId, into.tolerations, name, p);
  MergeByIdentity(layer.env, "env", EnvId, into.env, name, p);
  MergeByIdentity(layer.volumes, "volumes", VolumeId, into.volumes, name, p);
  MergeByIdentity(layer.volume_mounts, "volumeMounts", MountId, into.volume_mounts, name, p);
}

bool SameAtPath(const JobSpec& a, const JobSpec& b, std::string_view path) {
  bool found = false;
  bool same = false;
  ForEachScalar(a, b, [&](std::string_view p, const auto& x, const auto& y) {
    if (p != path) return;
    found = true;
    same = x == y;
  });
  if (found) return same;
  bool known = false;
  same = SameWhole(a, b, path, known);
  if (known) return same;
  // An entry: field.key or field."key" (the form MapEntryPath writes).
  size_t dot = path.find('.');
  std::string_view field = path.substr(0, dot);
  std::string key(path.substr(dot + 1));
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') {
    key = key.substr(1, key.size() - 2);
  }
  if (const auto* map = MapField(a, field)) return SameMapEntry(*map, *MapField(b, field), key);
  if (field == "env") return SameEntry(a.env, b.env, key, EnvId);
  if (field == "volumes") return SameEntry(a.volumes, b.volumes, key, VolumeId);
  if (field == "volumeMounts") return SameEntry(a.volume_mounts, b.volume_mounts, key, MountId);
  return false;
}

}  // namespace sparkd
