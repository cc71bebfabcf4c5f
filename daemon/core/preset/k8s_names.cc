// Kubernetes name and quantity syntax (apimachinery validation.IsQualifiedName,
// IsValidLabelValue, IsDNS1123Label/Subdomain and resource.ParseQuantity).
#include <cctype>
#include <cmath>
#include <string>

#include "daemon/core/preset/validate.h"

namespace sparkd {
namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsLowerAlnum(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'z');
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? up to 63 characters.
std::string CheckNamePart(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 63) return "must be at most 63 characters";
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) {
    return "must start and end with a letter or digit";
  }
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') {
      return std::string("must not contain '") + c + "' (letters, digits, '-', '_', '.')";
    }
  }
  return "";
}

double SuffixMultiplier(std::string_view suffix) {
  constexpr std::pair<std::string_view, double> kSuffixes[] = {
      {"", 1},
      {"n", 1e-9},
      {"u", 1e-6},
      {"m", 1e-3},
      {"k", 1e3},
      {"M", 1e6},
      {"G", 1e9},
      {"T", 1e12},
      {"P", 1e15},
      {"E", 1e18},
      {"Ki", 1024.0},
      {"Mi", 1048576.0},
      {"Gi", 1073741824.0},
      {"Ti", 1099511627776.0},
      {"Pi", 1125899906842624.0},
      {"Ei", 1152921504606846976.0},
  };
  for (const auto& [name, factor] : kSuffixes) {
    if (name == suffix) return factor;
  }
  return 0;
}

}  // namespace

std::string CheckQualifiedName(std::string_view s) {
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    std::string prefix_error = CheckDnsSubdomain(s.substr(0, slash));
    if (!prefix_error.empty()) return "prefix " + prefix_error;
    s = s.substr(slash + 1);
  }
  return CheckNamePart(s);
}

std::string CheckLabelValue(std::string_view s) { return s.empty() ? "" : CheckNamePart(s); }

std::string CheckDnsLabel(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 63) return "must be at most 63 characters";
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return "must start and end with a lowercase letter or digit";
  }
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return "must contain only lowercase letters, digits and '-'";
  }
  return "";
}

std::string CheckDnsSubdomain(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 253) return "must be at most 253 characters";
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return "must start and end with a lowercase letter or digit";
  }
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') {
      return "must contain only lowercase letters, digits, '-' and '.'";
    }
  }
  return "";
}

StatusOr<double> ParseK8sQuantity(std::string_view text) {
  std::string quoted = "\"" + std::string(text) + "\"";
  size_t end = text.find_first_not_of("+-0123456789.");
  std::string_view number = text.substr(0, end);
  std::string_view suffix = end == std::string_view::npos ? "" : text.substr(end);
  if (number.empty() || number.find_first_of("0123456789") == std::string_view::npos) {
    return InvalidArgument(quoted + " is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)");
  }
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(std::string(number), &used);
    if (used != number.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    return InvalidArgument(quoted + " is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)");
  }
  if ((suffix.starts_with('e') || suffix.starts_with('E')) && suffix.size() > 1) {
    std::string exponent(suffix.substr(1));
    if (exponent.find_first_not_of("+-0123456789") == std::string::npos) {
      return value * std::pow(10.0, std::stod(exponent));
    }
  }
  double factor = SuffixMultiplier(suffix);
  if (factor == 0) {
    // "4g", "4gb", "4GB": Spark's habit; Kubernetes wants Gi (or G for powers of ten).
    char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0])));
    if (std::string_view("KMGTPE").find(unit) != std::string_view::npos) {
      std::string hint = std::string(number) + unit + "i";
      return InvalidArgument(quoted + " is not a Kubernetes quantity; did you mean \"" + hint +
                             "\"?");
    }
    return InvalidArgument(quoted +
                           " is not a Kubernetes quantity (suffixes: m, k, M, G, Ki, "
                           "Mi, Gi, ...)");
  }
  return value * factor;
}

}  // namespace sparkd
