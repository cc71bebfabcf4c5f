#include "daemon/core/secret_env.h"

#include "daemon/core/preset/conf_policy.h"
#include "daemon/core/preset/validate.h"

namespace sparkd {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::string CheckSecretKey(std::string_view key) {
  if (key.empty()) return "must not be empty";
  if (key.size() > 253) return "must be at most 253 characters";
  for (char c : key) {
    if (!IsKeyChar(c)) return "may contain only letters, digits, '-', '_' and '.'";
  }
  if (key == "." || key.starts_with("..")) return "must not be \".\" or start with \"..\"";
  return "";
}

Status ValidateSecretEnv(const JobRequest& request) {
  if (request.secret_env.size() > request_limits::kEnvEntries) {
    return InvalidArgument("secret_env: " + std::to_string(request.secret_env.size()) +
                           " entries; at most " + std::to_string(request_limits::kEnvEntries));
  }
  for (const auto& [name, ref] : request.secret_env) {
    if (name.size() > request_limits::kEnvNameBytes) {
      return InvalidArgument("secret_env: a variable name is longer than " +
                             std::to_string(request_limits::kEnvNameBytes) + " bytes");
    }
    std::string path = "secret_env." + name;
    if (auto why = EnvNameReason(name)) {
      return InvalidArgument("secret_env: variable \"" + name + "\": " + *why);
    }
    if (request.env.contains(name)) {
      return InvalidArgument(path + ": also set in env; a variable is either a value or a secret");
    }
    if (std::string why = CheckDnsSubdomain(ref.name); !why.empty()) {
      return InvalidArgument(path + ".name: secret name \"" + ref.name + "\" " + why);
    }
    if (std::string why = CheckSecretKey(ref.key); !why.empty()) {
      return InvalidArgument(path + ".key: \"" + ref.key + "\" " + why);
    }
  }
  return Status::Ok();
}

std::string SecretRefText(const SecretKeyRef& ref) { return ref.name + ":" + ref.key; }

}  // namespace sparkd
