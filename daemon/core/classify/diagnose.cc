// Input-kind detection and the one-call entry points.
#include <algorithm>
#include <string>
#include <vector>

#include "daemon/core/classify/classify.h"
#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using text::Trim;

std::string_view NextLine(std::string_view* s) {
  size_t nl = s->find('\n');
  std::string_view line = s->substr(0, nl);
  *s = nl == std::string_view::npos ? std::string_view() : s->substr(nl + 1);
  return Trim(line);
}

// Skips a UTF-8 BOM, blank lines and a pasted shell prompt line ("$ kubectl get pods").
std::string_view FirstMeaningfulLine(std::string_view s, std::string_view* rest) {
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  for (int i = 0; i < 50 && !s.empty(); ++i) {
    std::string_view line = NextLine(&s);
    if (line.empty() || line.starts_with("$ ") || line.starts_with("kubectl ") ||
        line.starts_with("# ")) {
      continue;
    }
    *rest = s;
    return line;
  }
  *rest = {};
  return {};
}

bool IsYamlStart(std::string_view line) {
  for (std::string_view k : {"apiVersion:", "kind:", "metadata:", "status:", "spec:", "items:",
                             "---", "- apiVersion:"}) {
    if (line.starts_with(k)) return true;
  }
  return false;
}

bool IsGetPodsLine(std::string_view line) {
  std::string_view w = text::Word(line);
  if ((w == "NAME" || w == "NAMESPACE") && text::Contains(line, "STATUS")) return true;
  // A header-less row: NAME READY STATUS RESTARTS AGE with READY shaped "n/m".
  std::string_view rest = Trim(line.substr(w.size()));
  std::string_view ready = rest.substr(0, rest.find_first_of(" \t"));
  size_t slash = ready.find('/');
  return !w.empty() && slash != std::string_view::npos && text::IsDigits(ready.substr(0, slash)) &&
         text::IsDigits(ready.substr(slash + 1));
}

Diagnosis NothingFound(std::string_view source, std::string what) {
  Diagnosis d;
  d.source = std::string(source);
  d.reason = ExitReason::kUnknown;
  d.evidence = std::move(what);
  d.advice = AdviceFor(ExitReason::kUnknown);
  return d;
}

}  // namespace

std::string_view InputKindName(InputKind kind) {
  switch (kind) {
    case InputKind::kEmpty:
      return "empty";
    case InputKind::kBinary:
      return "binary";
    case InputKind::kPodJson:
      return "pod-json";
    case InputKind::kPodYaml:
      return "pod-yaml";
    case InputKind::kDescribe:
      return "describe";
    case InputKind::kGetPods:
      return "get-pods";
    case InputKind::kLog:
      return "log";
  }
  return "log";
}

std::optional<std::string> WhyNotText(std::string_view head) {
  struct Magic {
    std::string_view bytes;
    const char* what;
  };
  static constexpr Magic kMagic[] = {
      {"\x1f\x8b", "gzip-compressed data; decompress it first (zcat FILE | sparkd diagnose -)"},
      {"\x28\xb5\x2f\xfd", "zstd-compressed data; decompress it first (zstd -dc FILE)"},
      {"\x04\x22\x4d\x18",
       "lz4-compressed data (a compressed Spark event log); decompress it first"},
      {"\xff\x06\x00\x00sNaPpY", "snappy-compressed data; decompress it first"},
      {"PK\x03\x04", "a zip archive; extract it first"},
      {"BZh", "bzip2-compressed data; decompress it first (bzcat FILE)"},
  };
  for (const Magic& m : kMagic) {
    if (head.starts_with(m.bytes)) return std::string(m.what);
  }
  std::string_view sample = head.substr(0, 65536);
  size_t control = 0;
  for (char ch : sample) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) return std::string("binary data (NUL bytes), not text");
    if ((c < 0x09) || (c > 0x0d && c < 0x20) || c == 0x7f) ++control;
  }
  if (!sample.empty() && control * 10 > sample.size()) {
    return std::string("binary data (") + std::to_string(control) + " control bytes in the first " +
           std::to_string(sample.size()) + "), not text";
  }
  return std::nullopt;
}

InputKind DetectInputKind(std::string_view head) {
  if (Trim(head).empty()) return InputKind::kEmpty;
  if (WhyNotText(head)) return InputKind::kBinary;
  std::string_view rest;
  std::string_view first = FirstMeaningfulLine(head, &rest);
  if (first.empty()) return InputKind::kEmpty;
  // "[2024-01-02, 10:00:05 UTC] {...} INFO - ..." is an Airflow log line, not a JSON array.
  std::string_view after_bracket = Trim(first.substr(1));
  bool json_array = first.front() == '[' && (after_bracket.empty() || after_bracket[0] == '{');
  if (first.front() == '{' || json_array) {
    return text::Contains(first.substr(0, 200), "\"Event\"") ? InputKind::kLog
                                                             : InputKind::kPodJson;
  }
  if (first.starts_with("Name:") &&
      (text::Contains(rest, "Namespace:") || text::Contains(rest, "Containers:") ||
       text::Contains(rest, "Status:"))) {
    return InputKind::kDescribe;
  }
  if (IsYamlStart(first)) return InputKind::kPodYaml;
  if (IsGetPodsLine(first)) return InputKind::kGetPods;
  return InputKind::kLog;
}

namespace {

bool AllUnknown(const std::vector<Diagnosis>& ds) {
  for (const Diagnosis& d : ds) {
    if (d.reason != ExitReason::kUnknown) return false;
  }
  return true;
}

// When the parser for the input's kind found nothing it could decide, the single lines of the
// fragment are read as evidence (see fragment_lines.cc).
std::vector<Diagnosis> OrFromFragmentLines(std::vector<Diagnosis> ds, std::string_view input,
                                           std::string_view source) {
  if (!AllUnknown(ds)) return ds;
  std::optional<Facts> f = ReadFragmentLines(input);
  if (!f) return ds;
  Diagnosis d = Decide(*f);
  if (d.reason == ExitReason::kUnknown) return ds;
  d.source = std::string(source);
  return {std::move(d)};
}

}  // namespace

std::vector<Diagnosis> DiagnoseText(std::string_view input, std::string_view source) {
  InputKind kind = DetectInputKind(input.substr(0, 1 << 16));
  std::vector<Facts> facts;
  switch (kind) {
    case InputKind::kEmpty:
    case InputKind::kBinary:
      return {NothingFound(source, "missing: the input is empty or not text")};
    case InputKind::kLog: {
      LogClassifier classifier{std::string(source)};
      classifier.AddChunk(input);
      return OneVerdictPerSubject(classifier.Finish());
    }
    case InputKind::kPodJson:
    case InputKind::kPodYaml:
      facts = ParsePodObjects(input, kind == InputKind::kPodYaml);
      break;
    case InputKind::kDescribe:
      facts = ParseDescribe(input);
      break;
    case InputKind::kGetPods:
      facts = ParseGetPods(input);
      break;
  }
  std::vector<Diagnosis> out;
  for (const Facts& f : facts) {
    Diagnosis d = Decide(f);
    d.source = std::string(source);
    out.push_back(std::move(d));
  }
  if (out.empty()) {
    out.push_back(NothingFound(source, "missing: looked like " + std::string(InputKindName(kind)) +
                                           " but no pod could be read from it"));
  }
  return OneVerdictPerSubject(OrFromFragmentLines(std::move(out), input, source));
}

std::string_view ConfidenceName(int strength) {
  if (strength >= 80) return "high";
  if (strength >= 50) return "medium";
  return "low";
}

std::vector<Diagnosis> OneVerdictPerSubject(std::vector<Diagnosis> diagnoses) {
  // A subject is its kind and id (executor id or pod name); one the text did not name is only
  // itself within its source.
  auto key = [](const Diagnosis& d) {
    std::string id = d.id.value_or(d.pod_name);
    return std::string(SubjectName(d.subject)) + "\n" + (id.empty() ? "?" + d.source : id);
  };
  std::vector<Diagnosis> out;
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> sources;
  for (Diagnosis& d : diagnoses) {
    std::string k = key(d);
    auto at = std::find(keys.begin(), keys.end(), k);
    if (at == keys.end()) {
      keys.push_back(std::move(k));
      sources.push_back({d.source});
      out.push_back(std::move(d));
      continue;
    }
    size_t index = static_cast<size_t>(at - keys.begin());
    Diagnosis& held = out[index];
    std::vector<std::string>& seen = sources[index];
    if (std::find(seen.begin(), seen.end(), d.source) == seen.end()) seen.push_back(d.source);
    if (d.strength > held.strength) std::swap(held, d);
    const Diagnosis& weaker = d;
    if (weaker.reason != held.reason && weaker.reason != ExitReason::kUnknown) {
      held.evidence += "; weaker evidence said " + std::string(ExitReasonName(weaker.reason)) +
                       ": " + text::Evidence(weaker.evidence, 160);
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].source = sources[i].front();
    for (size_t j = 1; j < sources[i].size(); ++j) out[i].source += ", " + sources[i][j];
  }
  return out;
}

Diagnosis DiagnoseExecutorEnd(std::string_view executor_id, std::optional<int> exit_code,
                              std::string_view removal_text) {
  Facts f;
  f.subject = Subject::kExecutor;
  f.id = std::string(executor_id);
  AbsorbLossText(removal_text, &f);
  if (exit_code && *exit_code >= 0 && !f.exit_code) {
    f.exit_code = exit_code;
    f.exit_evidence = "exit code " + std::to_string(*exit_code);
  }
  if (f.loss_text.empty() && !removal_text.empty()) f.loss_text = text::Evidence(removal_text);
  return Decide(f);
}

}  // namespace sparkd::classify
