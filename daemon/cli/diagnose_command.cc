#include "daemon/cli/diagnose_command.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <string>

#include "daemon/cli/terminal_text.h"
#include "daemon/core/classify/classify.h"
#include "daemon/core/utf8.h"

namespace sparkd::cli {
namespace {

using classify::Diagnosis;

constexpr size_t kHeadBytes = 64 * 1024;
constexpr size_t kChunkBytes = 1 << 20;
// Pod objects, describe output and tables are read whole; a log is streamed at any size.
constexpr size_t kMaxWholeInput = 256u << 20;

constexpr const char* kUsage =
    "usage: sparkd diagnose [--format json|text] FILE... | -\n"
    "\n"
    "Says why each Spark driver or executor in the inputs ended. Each input may be a pod\n"
    "object (kubectl get pod -o json|yaml, one pod or a List), kubectl describe pod output,\n"
    "a kubectl get pods table, a Spark driver log or a Spark event log, or a fragment of any\n"
    "of them (an Events table, kernel OOM-killer lines, one kubectl error line); the kind is\n"
    "detected. '-' reads standard input. Inputs about one app are read together: one verdict\n"
    "per driver/executor, the most direct evidence deciding.\n"
    "\n"
    "  --format json  one JSON object per line per driver/executor found (default):\n"
    "                 source, subject, id, reason, confidence (high|medium|low),\n"
    "                 exit_code, evidence, advice\n"
    "  --format text  a short table for people\n"
    "\n"
    "Exit status: 0 when every input was read, 2 when one could not be read or on usage\n"
    "errors.\n";

struct Options {
  bool json = true;
  std::vector<std::string> files;
};

// JSON for machines that people also read on a terminal: controls, DEL, C1 and the characters
// that reorder text are \u escapes (still the same string to a JSON reader); bytes that are
// not UTF-8, which JSON cannot hold, become U+FFFD.
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  auto escape = [&out](unsigned code) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "\\u%04x", code);
    out += buf;
  };
  for (size_t pos = 0; pos < s.size();) {
    const char ch = s[pos];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      const size_t start = pos;
      auto code_point = NextCodePoint(s, pos);
      if (!code_point) {
        out += "\\ufffd";
        ++pos;
      } else if (ReordersOrControls(*code_point)) {
        escape(*code_point);
      } else {
        out.append(s.substr(start, pos - start));
      }
      continue;
    }
    ++pos;
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          escape(c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

void PrintJson(const Diagnosis& d, std::ostream& out) {
  out << "{\"source\": " << JsonString(d.source)
      << ", \"subject\": " << JsonString(classify::SubjectName(d.subject))
      << ", \"id\": " << (d.id ? JsonString(*d.id) : "null")
      << ", \"reason\": " << JsonString(ExitReasonName(d.reason))
      << ", \"confidence\": " << JsonString(classify::ConfidenceName(d.strength))
      << ", \"exit_code\": " << (d.exit_code ? std::to_string(*d.exit_code) : "null")
      << ", \"evidence\": " << JsonString(d.evidence) << ", \"advice\": " << JsonString(d.advice)
      << "}\n";
}

std::string Cut(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max - 3)) + "...";
}

void PrintTable(const std::vector<Diagnosis>& ds, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"SOURCE", "SUBJECT", "ID", "REASON", "CONFIDENCE", "EXIT", "EVIDENCE"}};
  for (const Diagnosis& d : ds) {
    rows.push_back(
        {TerminalText(Cut(d.source, 30)), std::string(classify::SubjectName(d.subject)),
         TerminalText(Cut(d.id.value_or("-"), 30)), std::string(ExitReasonName(d.reason)),
         std::string(classify::ConfidenceName(d.strength)),
         d.exit_code ? std::to_string(*d.exit_code) : "-", TerminalText(Cut(d.evidence, 90))});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
  std::vector<ExitReason> seen;
  for (const Diagnosis& d : ds) {
    if (std::find(seen.begin(), seen.end(), d.reason) != seen.end()) continue;
    seen.push_back(d.reason);
    out << ExitReasonName(d.reason) << ": " << TerminalText(d.advice) << "\n";
  }
}

// Reads one input: the head decides the kind; a log is then streamed in chunks so a 1 GB
// log never sits in memory. Returns false (with `why`) when the input cannot be read.
bool Diagnose(std::istream& in, const std::string& source, std::vector<Diagnosis>* out,
              std::string* why) {
  std::string head(kHeadBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) {
    *why = "read error";
    return false;
  }
  if (auto not_text = classify::WhyNotText(head)) {
    *why = *not_text;
    return false;
  }
  std::vector<Diagnosis> ds;
  if (classify::DetectInputKind(head) == classify::InputKind::kLog) {
    classify::LogClassifier classifier(source);
    classifier.AddChunk(head);
    std::string chunk(kChunkBytes, '\0');
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      classifier.AddChunk(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
    }
    ds = classifier.Finish();
  } else {
    std::string all = std::move(head);
    std::string chunk(kChunkBytes, '\0');
    while (in && all.size() < kMaxWholeInput) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      all.append(chunk.data(), static_cast<size_t>(in.gcount()));
    }
    if (all.size() >= kMaxWholeInput) {
      *why = "larger than 256 MiB and not a log; split it";
      return false;
    }
    ds = classify::DiagnoseText(all, source);
  }
  for (Diagnosis& d : ds) out->push_back(std::move(d));
  return true;
}

bool ParseArgs(const std::vector<std::string>& args, Options* options, std::ostream& err,
               bool* help) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      *help = true;
      return true;
    }
    if (a == "--format" || a.starts_with("--format=")) {
      std::string value = a == "--format" ? (i + 1 < args.size() ? args[++i] : "") : a.substr(9);
      if (value != "json" && value != "text") {
        err << "sparkd diagnose: --format must be json or text, not \"" << TerminalText(value)
            << "\"\n";
        return false;
      }
      options->json = value == "json";
    } else if (a.size() > 1 && a[0] == '-') {
      err << "sparkd diagnose: unknown option " << TerminalText(a) << "\n";
      return false;
    } else {
      options->files.push_back(a);
    }
  }
  if (options->files.empty()) {
    err << "sparkd diagnose: no input; give FILE... or - for standard input\n";
    return false;
  }
  return true;
}

}  // namespace

int RunDiagnoseCommand(const std::vector<std::string>& args, std::istream& stdin_stream,
                       std::ostream& out, std::ostream& err) {
  Options options;
  bool help = false;
  if (!ParseArgs(args, &options, err, &help)) {
    err << kUsage;
    return 2;
  }
  if (help) {
    out << kUsage;
    return 0;
  }
  int status = 0;
  std::vector<Diagnosis> all;
  for (const std::string& file : options.files) {
    std::string why;
    bool ok;
    if (file == "-") {
      ok = Diagnose(stdin_stream, "-", &all, &why);
    } else {
      std::error_code ec;
      if (std::filesystem::is_directory(file, ec)) {
        ok = false, why = "is a directory";
      } else {
        std::ifstream in(file, std::ios::binary);
        ok = in.is_open() ? Diagnose(in, file, &all, &why) : false;
        if (!in.is_open()) why = std::string("cannot open: ") + std::strerror(errno);
      }
    }
    if (!ok) {
      err << "sparkd diagnose: " << TerminalText(file) << ": " << TerminalText(why) << "\n";
      status = 2;
    }
  }
  all = classify::OneVerdictPerSubject(std::move(all));
  if (options.json) {
    for (const Diagnosis& d : all) PrintJson(d, out);
  } else if (!all.empty()) {
    PrintTable(all, out);
  }
  return status;
}

}  // namespace sparkd::cli
