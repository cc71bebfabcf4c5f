#include "daemon/core/preset/diff.h"

#include <algorithm>
#include <map>

namespace sparkd {
namespace {

using nlohmann::json;
using Leaves = std::map<std::string, std::string>;

// The key a list's entries are matched by, or "" for lists compared by position.
std::string IdentityOf(const std::string& path, const json& item) {
  if (!item.is_object()) return "";
  if (path == "tolerations") {
    return item.value("key", "") + ":" + item.value("effect", std::string("*"));
  }
  if (path == "env" || path == "volumes") return item.value("name", "");
  if (path == "volumeMounts") return item.value("mountPath", "");
  return "";
}

void Flatten(const json& value, const std::string& path, Leaves& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) {
      Flatten(child, path.empty() ? MapEntryPath("", key).substr(1) : MapEntryPath(path, key), out);
    }
  } else if (value.is_array() && !value.empty()) {
    for (size_t i = 0; i < value.size(); ++i) {
      std::string id = IdentityOf(path, value[i]);
      Flatten(value[i], id.empty() ? path + "[" + std::to_string(i) + "]" : MapEntryPath(path, id),
              out);
    }
  } else {
    out[path] = value.dump();
  }
}

}  // namespace

std::vector<FieldChange> DiffPresets(const Preset& before, const Preset& after) {
  Leaves a, b;
  Flatten(PresetToJson(before), "", a);
  Flatten(PresetToJson(after), "", b);
  std::vector<FieldChange> changes;
  for (const auto& [path, value] : a) {
    auto it = b.find(path);
    if (it == b.end()) {
      changes.push_back({path, value, std::nullopt});
    } else if (it->second != value) {
      changes.push_back({path, value, it->second});
    }
  }
  for (const auto& [path, value] : b) {
    if (!a.contains(path)) changes.push_back({path, std::nullopt, value});
  }
  std::sort(changes.begin(), changes.end(),
            [](const FieldChange& x, const FieldChange& y) { return x.path < y.path; });
  return changes;
}

std::string FormatChanges(const std::vector<FieldChange>& changes) {
  std::string out;
  for (const auto& c : changes) {
    out +=
        c.path + ": " + c.before.value_or("(unset)") + " → " + c.after.value_or("(unset)") + "\n";
  }
  return out;
}

}  // namespace sparkd
