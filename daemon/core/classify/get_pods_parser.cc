// `kubectl get pods` tables (any column set: -A adds NAMESPACE, -o wide adds IP/NODE). The
// STATUS column is found from the header; rows pasted without a header are read as
// NAME READY STATUS ..., recognised by the READY "n/m" shape.
#include <string>
#include <vector>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

std::vector<std::string_view> Fields(std::string_view line, size_t max_fields) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size() && out.size() < max_fields) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool LooksLikeReady(std::string_view s) {
  size_t slash = s.find('/');
  return slash != std::string_view::npos && text::IsDigits(s.substr(0, slash)) &&
         text::IsDigits(s.substr(slash + 1));
}

// STATUS values such as "Init:Error", "Init:CrashLoopBackOff", "ExitCode:137", "Signal:9".
void ReadStatus(std::string_view status, Facts* f) {
  if (status.starts_with("Init:")) status.remove_prefix(5);
  if (status.starts_with("ExitCode:")) {
    f->exit_code = text::LeadingInt(status.substr(9));
    f->exit_evidence = "STATUS " + std::string(status);
    return;
  }
  if (status.starts_with("Signal:")) {
    auto sig = text::LeadingInt(status.substr(7));
    if (sig) f->exit_code = 128 + *sig;
    f->exit_evidence = "STATUS " + std::string(status);
    return;
  }
  if (status == "Terminating") {
    f->deleted = "STATUS Terminating";
    return;
  }
  f->status_word = std::string(status);
}

}  // namespace

std::vector<Facts> ParseGetPods(std::string_view input) {
  std::vector<Facts> out;
  int name_col = 0, status_col = -1;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    std::vector<std::string_view> fields = Fields(line, 16);
    if (fields.empty()) continue;
    if (fields[0] == "NAME" || fields[0] == "NAMESPACE") {
      name_col = 0, status_col = -1;  // a new table: its own columns
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "NAME") name_col = static_cast<int>(i);
        if (fields[i] == "STATUS") status_col = static_cast<int>(i);
      }
      continue;
    }
    int sc = status_col;
    int nc = name_col;
    if (sc < 0) {
      // No header: find the READY column and take the next one as STATUS.
      for (size_t i = 1; i + 1 < fields.size() && sc < 0; ++i) {
        if (LooksLikeReady(fields[i])) sc = static_cast<int>(i + 1), nc = static_cast<int>(i - 1);
      }
    }
    // A header's columns index rows that may be shorter (or pasted from another table).
    if (sc < 0 || static_cast<size_t>(sc) >= fields.size() ||
        static_cast<size_t>(nc) >= fields.size()) {
      continue;
    }
    Facts f;
    f.pod_name = std::string(fields[nc]);
    f.id = f.pod_name;
    f.subject = SubjectFromPodName(f.pod_name);
    ReadStatus(fields[sc], &f);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sparkd::classify
