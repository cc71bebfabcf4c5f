#include "daemon/core/preset/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace sparkd {
namespace {

using nlohmann::json;

json PlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.find_first_not_of("-0123456789.eE") == std::string::npos) {
    json number = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (number.is_number() && number.dump() == text) return number;
  }
  return text;
}

StatusOr<json> Convert(const YAML::Node& node, const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return json(nullptr);
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      return node.Tag() == "!" ? json(node.Scalar()) : PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        ASSIGN_OR_RETURN(json item, Convert(node[i], path + "[" + std::to_string(i) + "]"));
        out.push_back(std::move(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) return InvalidArgument(path + ": keys must be plain text");
        const std::string& key = entry.first.Scalar();
        std::string child = path.empty() ? key : path + "." + key;
        if (out.contains(key)) return InvalidArgument(child + ": duplicate key");
        ASSIGN_OR_RETURN(out[key], Convert(entry.second, child));
      }
      return out;
    }
  }
  return json(nullptr);
}

}  // namespace

StatusOr<json> YamlToJson(std::string_view yaml) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return Convert(root, "");
  } catch (const YAML::Exception& e) {
    return InvalidArgument("YAML line " + std::to_string(e.mark.line + 1) + ", column " +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

}  // namespace sparkd
