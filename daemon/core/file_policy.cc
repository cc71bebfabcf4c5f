#include "daemon/core/file_policy.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "daemon/core/preset/conf_policy.h"
#include "daemon/core/preset/job_spec.h"

namespace sparkd {
namespace {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Java's String.trim: drops characters up to ' ' at both ends.
std::string_view Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

// The scheme of a URL (RFC 3986: a letter, then letters, digits, '+', '-', '.', then ':'),
// lower case; nullopt for a plain path.
std::optional<std::string> SchemeOf(std::string_view value) {
  size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(value[0]))) {
    return std::nullopt;
  }
  std::string scheme;
  for (char c : value.substr(0, colon)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '+' && c != '-' && c != '.') return std::nullopt;
    scheme += static_cast<char>(std::tolower(u));
  }
  return scheme;
}

// The path of a file: or local: URL: "file:/p", "file:///p" and "file://localhost/p" are /p.
StatusOr<std::string_view> UrlPath(std::string_view field, std::string_view value,
                                   std::string_view scheme) {
  std::string_view rest = value.substr(scheme.size() + 1);
  if (rest.starts_with("//")) {
    size_t slash = rest.find('/', 2);
    std::string_view host = rest.substr(2, slash == std::string_view::npos ? slash : slash - 2);
    if (!host.empty() && host != "localhost") {
      return InvalidArgument(std::string(field) + ": " + Quoted(value) + " names the host " +
                             Quoted(host) + "; a " + std::string(scheme) +
                             ": URL names a path of this host");
    }
    rest = slash == std::string_view::npos ? "" : rest.substr(slash);
  }
  if (!rest.starts_with('/')) {
    return InvalidArgument(std::string(field) + ": " + Quoted(value) + " has no absolute path");
  }
  return rest;
}

// Collapses "//" and "/./"; "" when a segment is "..".
std::string Normalise(std::string_view path) {
  std::string out;
  for (std::string_view segment : Split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return "";
    out += "/" + std::string(segment);
  }
  return out.empty() ? "/" : out;
}

bool Under(std::string_view path, std::string_view folder) {
  if (folder == "/") return true;
  return path.starts_with(folder) && (path.size() == folder.size() || path[folder.size()] == '/');
}

}  // namespace

std::vector<std::string> FilePolicyOptions::DefaultSchemes() {
  return {"https", "s3a", "gs", "abfss", "hdfs", "local"};
}

FilePolicy::FilePolicy() = default;

StatusOr<FilePolicy> FilePolicy::Create(FilePolicyOptions options) {
  for (auto* folders : {&options.roots, &options.denied}) {
    for (std::string& folder : *folders) {
      std::string normal = folder.starts_with('/') ? Normalise(folder) : "";
      if (normal.empty()) {
        return InvalidArgument("file roots: " + Quoted(folder) +
                               " is not an absolute path without \"..\"");
      }
      folder = std::move(normal);
    }
  }
  for (std::string& scheme : options.schemes) {
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "file") {
      return InvalidArgument("file schemes: file: URLs are local paths; use file roots");
    }
  }
  return FilePolicy(std::move(options));
}

std::string FilePolicy::RootsText() const { return Join(options_.roots, ", "); }

Status FilePolicy::Check(std::string_view field, std::string_view value) const {
  std::string f(field);
  if (value.empty()) return InvalidArgument(f + ": empty");
  std::optional<std::string> scheme = SchemeOf(value);
  if (!scheme) {
    if (!value.starts_with('/')) {
      return InvalidArgument(f + ": " + Quoted(value) + " is not an absolute path nor a URL (" +
                             Join(options_.schemes, ", ") + ")");
    }
    return CheckLocal(field, value, value);
  }
  if (*scheme == "file" || (*scheme == "local" && options_.local_urls_are_host_paths)) {
    ASSIGN_OR_RETURN(std::string_view path, UrlPath(field, value, *scheme));
    return CheckLocal(field, value, path);
  }
  const auto& allowed = options_.schemes;
  if (std::find(allowed.begin(), allowed.end(), *scheme) == allowed.end()) {
    return InvalidArgument(f + ": " + Quoted(value) + ": the scheme " + Quoted(*scheme) +
                           " is not allowed (allowed: " + Join(allowed, ", ") +
                           ", or a local path)");
  }
  if (value.size() == scheme->size() + 1) {
    return InvalidArgument(f + ": " + Quoted(value) + ": empty URL");
  }
  return Status::Ok();
}

Status FilePolicy::CheckLocal(std::string_view field, std::string_view value,
                              std::string_view path) const {
  std::string f = std::string(field) + ": " + Quoted(value);
  if (path.find_first_of("%?#") != std::string_view::npos) {
    return InvalidArgument(f + " holds '%', '?' or '#', which Spark decodes or cuts in a path");
  }
  std::string normal = Normalise(path);
  if (normal.empty()) return InvalidArgument(f + " contains \"..\"");
  std::string real = options_.resolve ? options_.resolve(normal) : normal;
  std::string shown = real == normal ? f : f + " resolves to " + Quoted(real) + ", which";
  for (const std::string& denied : options_.denied) {
    if (Under(real, denied)) return InvalidArgument(shown + " is inside sparkd's data folder");
  }
  if (options_.roots.empty()) {
    return InvalidArgument(shown +
                           " is a local path, and this daemon allows none (no file roots "
                           "configured); use a URL (" +
                           Join(options_.schemes, ", ") + ")");
  }
  for (const std::string& root : options_.roots) {
    if (Under(real, root)) return Status::Ok();
  }
  return InvalidArgument(shown + " is not under an allowed root (" + RootsText() + ")");
}

// A JVM's classpath or library path: ':'-separated paths of the machine the JVM runs on. On
// Kubernetes that is the job's image; on the local backend, this host.
Status FilePolicy::CheckHostPathList(std::string_view field, std::string_view value) const {
  if (!options_.local_urls_are_host_paths) return Status::Ok();
  std::vector<std::string_view> entries = Split(value, ':');
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string_view entry = entries[i];
    if (entry.empty()) continue;
    std::string path = std::string(field) + "[" + std::to_string(i) + "]";
    if (!entry.starts_with('/')) {
      return InvalidArgument(path + ": " + Quoted(entry) + " is not an absolute path");
    }
    // A classpath entry may end in "/*": every jar of that folder.
    std::string_view folder = entry.ends_with("/*") ? entry.substr(0, entry.size() - 2) : entry;
    RETURN_IF_ERROR(CheckLocal(path, entry, folder.empty() ? "/" : folder));
  }
  return Status::Ok();
}

Status FilePolicy::CheckRequest(const JobRequest& r) const {
  RETURN_IF_ERROR(Check("file", r.file));
  for (const auto& [field, list] : {std::pair{"py_files", &r.py_files}, std::pair{"jars", &r.jars},
                                    std::pair{"files", &r.files}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      RETURN_IF_ERROR(Check(std::string(field) + "[" + std::to_string(i) + "]", (*list)[i]));
    }
  }
  for (const auto& [key, value] : r.conf) {
    std::string path = MapEntryPath("conf", key);
    switch (FileKindOfConfKey(key)) {
      case ConfFileKind::kNone:
        break;
      case ConfFileKind::kFile:
        RETURN_IF_ERROR(Check(path, value));
        break;
      case ConfFileKind::kFileList: {
        std::vector<std::string_view> entries = Split(value, ',');
        for (size_t i = 0; i < entries.size(); ++i) {
          // Spark trims each entry and skips empty ones (Utils.stringToSeq).
          std::string_view entry = Trim(entries[i]);
          if (entry.empty()) continue;
          RETURN_IF_ERROR(Check(path + "[" + std::to_string(i) + "]", entry));
        }
        break;
      }
      case ConfFileKind::kHostPathList:
        RETURN_IF_ERROR(CheckHostPathList(path, value));
        break;
    }
  }
  return Status::Ok();
}

}  // namespace sparkd
