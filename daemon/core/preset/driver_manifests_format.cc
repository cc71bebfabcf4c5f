// The small pieces of Java and Spark behaviour the driver manifests must reproduce byte for
// byte: how SparkConf values are read, java.util.Properties.store, Double.toString,
// Date.toString and the app name label.
#include <cctype>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "daemon/core/java_properties.h"
#include "daemon/core/preset/driver_manifests_internal.h"

namespace sparkd::driver_internal {
namespace {

std::string Quoted(std::string_view key, std::string_view value) {
  return "conf.\"" + std::string(key) + "\": \"" + std::string(value) + "\"";
}

// Java's String.trim: code points up to U+0020 go at both ends.
std::string_view JavaTrim(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && static_cast<unsigned char>(s[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(s[end - 1]) <= 0x20) --end;
  return s.substr(begin, end - begin);
}

}  // namespace

std::optional<std::string> Get(const Conf& conf, std::string_view key) {
  auto it = conf.find(std::string(key));
  if (it == conf.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> WithPrefix(const Conf& conf, std::string_view prefix) {
  std::map<std::string, std::string> out;
  for (auto it = conf.lower_bound(std::string(prefix));
       it != conf.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    out[it->first.substr(prefix.size())] = it->second;
  }
  return out;
}

std::vector<std::string> JavaSplit(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  // "".split(",") is [""] in Java: the one part of an empty string stays.
  if (parts.empty() && text.empty()) parts.emplace_back();
  return parts;
}

std::vector<std::string> ConfList(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& part : JavaSplit(text, ',')) {
    std::string_view trimmed = JavaTrim(part);
    if (!trimmed.empty()) out.emplace_back(trimmed);
  }
  return out;
}

// JavaUtils.byteStringAs(text, MiB): a whole number and an optional unit, rounded down.
StatusOr<int64_t> MebibytesOf(const Conf& conf, std::string_view key, int64_t fallback) {
  std::optional<std::string> value = Get(conf, key);
  if (!value) return fallback;
  std::string lower;
  for (char c : JavaTrim(*value))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t digits = lower.find_first_not_of("0123456789");
  std::string_view number = std::string_view(lower).substr(0, digits);
  std::string_view unit =
      digits == std::string::npos ? std::string_view() : std::string_view(lower).substr(digits);
  constexpr std::pair<std::string_view, int> kUnits[] = {
      {"", 20},  {"b", 0},   {"k", 10}, {"kb", 10}, {"m", 20}, {"mb", 20},
      {"g", 30}, {"gb", 30}, {"t", 40}, {"tb", 40}, {"p", 50}, {"pb", 50}};
  for (const auto& [name, shift] : kUnits) {
    if (name != unit || number.empty() || number.size() > 15) continue;
    int64_t n = std::stoll(std::string(number));
    if (shift >= 20) {
      if (n > (int64_t{1} << (62 - (shift - 20)))) break;
      return n << (shift - 20);
    }
    return n >> (20 - shift);
  }
  return InvalidArgument(Quoted(key, *value) + " is not a size Spark reads (e.g. 512m, 4g)");
}

StatusOr<int64_t> IntOf(const Conf& conf, std::string_view key, int64_t fallback) {
  std::optional<std::string> value = Get(conf, key);
  if (!value) return fallback;
  std::string_view text = JavaTrim(*value);
  if (text.starts_with('+')) text.remove_prefix(1);
  int64_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n > INT32_MAX || n < INT32_MIN) {
    return InvalidArgument(Quoted(key, *value) + " is not a whole number");
  }
  return n;
}

StatusOr<std::optional<double>> DoubleOf(const Conf& conf, std::string_view key) {
  std::optional<std::string> value = Get(conf, key);
  if (!value) return std::optional<double>();
  std::string text(JavaTrim(*value));
  char* end = nullptr;
  double d = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d)) {
    return InvalidArgument(Quoted(key, *value) + " is not a number");
  }
  return std::optional<double>(d);
}

StatusOr<bool> BoolOf(const Conf& conf, std::string_view key, bool fallback) {
  std::optional<std::string> value = Get(conf, key);
  if (!value) return fallback;
  std::string lower;
  for (char c : JavaTrim(*value))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true") return true;
  if (lower == "false") return false;
  return InvalidArgument(Quoted(key, *value) + " is not true or false");
}

std::string JavaDoubleToString(double value) {
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), std::fabs(value),
                              std::chars_format::scientific);
  std::string_view sci(buffer, result.ptr - buffer);  // d[.ddd]e±XX, the shortest round trip
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  std::string out = value < 0 ? "-" : "";
  double magnitude = std::fabs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      while (static_cast<int>(digits.size()) <= exponent) digits += '0';
      std::string fraction = digits.substr(exponent + 1);
      return out + digits.substr(0, exponent + 1) + "." + (fraction.empty() ? "0" : fraction);
    }
    return out + "0." + std::string(-exponent - 1, '0') + digits;
  }
  std::string fraction = digits.substr(1);
  return out + digits.substr(0, 1) + "." + (fraction.empty() ? "0" : fraction) + "E" +
         std::to_string(exponent);
}

std::string JavaDateString(int64_t epoch_ms) {
  using namespace std::chrono;
  constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  sys_seconds time = floor<seconds>(sys_time<milliseconds>(milliseconds(epoch_ms)));
  sys_days day = floor<days>(time);
  year_month_day date(day);
  hh_mm_ss clock(time - day);
  char text[64];
  std::snprintf(text, sizeof(text), "%s %s %02u %02lld:%02lld:%02lld UTC %d",
                kDays[weekday(day).c_encoding()], kMonths[static_cast<unsigned>(date.month()) - 1],
                static_cast<unsigned>(date.day()), static_cast<long long>(clock.hours().count()),
                static_cast<long long>(clock.minutes().count()),
                static_cast<long long>(clock.seconds().count()), static_cast<int>(date.year()));
  return text;
}

std::string JavaPropertiesText(const Conf& properties, std::string_view comment, int64_t epoch_ms) {
  std::string out = "#" + std::string(comment) + "\n#" + JavaDateString(epoch_ms) + "\n";
  for (const auto& [key, value] : properties) {
    out += JavaPropertiesEscape(key, true) + "=" + JavaPropertiesEscape(value, false) + "\n";
  }
  return out;
}

std::string AppNameLabel(std::string_view app_name) {
  std::string_view name = JavaTrim(app_name);
  std::string label;
  auto put = [&](char c) {
    if (c == '-' && !label.empty() && label.back() == '-') return;  // "-+" → "-"
    label += c;
  };
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    // The two code points whose lower case (Locale.ROOT) is ASCII: U+0130 → "i" + U+0307,
    // U+212A (Kelvin) → "k".
    if (name.substr(i, 2) == "\xC4\xB0") {
      put('i');
      put('-');
      ++i;
    } else if (name.substr(i, 3) == "\xE2\x84\xAA") {
      put('k');
      i += 2;
    } else if (c >= 'A' && c <= 'Z') {
      put(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      put(static_cast<char>(c));
    } else {
      put('-');
    }
  }
  if (label.size() > 63) label.resize(63);  // StringUtils.abbreviate(label, "", 63)
  if (label.starts_with('-')) label.erase(0, 1);
  if (label.ends_with('-')) label.pop_back();
  return label;
}

uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace sparkd::driver_internal
