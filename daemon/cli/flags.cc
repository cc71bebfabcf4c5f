#include "daemon/cli/flags.h"

namespace sparkd::cli {

std::optional<std::string> ParsedFlags::Get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec) {
  ParsedFlags parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.passthrough.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (!arg.starts_with("--") || arg == "-") {
      parsed.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (spec.switches.contains(name)) {
      if (value) return InvalidArgument("--" + name + " takes no value");
      parsed.switches.insert(name);
      continue;
    }
    if (!spec.valued.contains(name)) return InvalidArgument("unknown flag --" + name);
    if (!value) {
      if (i + 1 >= args.size()) return InvalidArgument("--" + name + " needs a value");
      value = args[++i];
    }
    auto& slot = parsed.values[name];
    if (!slot.empty() && !spec.repeated.contains(name)) {
      return InvalidArgument("--" + name + " given twice");
    }
    slot.push_back(*value);
  }
  return parsed;
}

}  // namespace sparkd::cli
