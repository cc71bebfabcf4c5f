// The streaming log classifier. Each line goes through a cheap filter first (a few substring
// searches); only lines that can carry evidence are looked at further. A "context" ties the
// continuation lines of a multi-line Spark message (container statuses, stack traces, the
// pod status watcher's blocks) to the executor or driver its first line named.
#include <algorithm>
#include <string>
#include <unordered_map>

#include "daemon/core/classify/event_log.h"
#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using text::Contains;

constexpr size_t kMaxLine = 1 << 20;
constexpr size_t kMaxSubjects = 50000;
constexpr int kContextLines = 80;
constexpr std::string_view kDriverId = "\x01driver";

// "Executor 12 on", "executor 4)", "executor 4 exited", "(executor 3)": the id after `key`.
std::string_view IdAfter(std::string_view line, std::string_view key) {
  size_t pos = line.find(key);
  if (pos == std::string_view::npos) return {};
  std::string_view id = text::Word(text::Trim(line.substr(pos + key.size())));
  while (!id.empty() && id.back() == '.') id.remove_suffix(1);
  return id;
}

// A new log record (as opposed to a continuation line): a level word followed by a logger
// name and ':' or a '[thread]', anywhere in the first 200 bytes (prefixes vary).
bool HasLogHeader(std::string_view line) {
  std::string_view head = line.substr(0, 200);
  for (std::string_view level : {" INFO ", " WARN ", " ERROR ", " DEBUG ", " TRACE ", " FATAL "}) {
    size_t pos = head.find(level);
    if (pos == std::string_view::npos) continue;
    std::string_view rest = line.substr(pos + level.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == '[') return true;
    std::string_view word = text::Word(rest);
    size_t after = word.size();
    if (after < rest.size() && rest[after] == '$') {
      after += text::Word(rest.substr(after + 1)).size() + 1;
    }
    if (!word.empty() && after < rest.size() && rest[after] == ':') return true;
  }
  return false;
}

// Executor ids listed after `key`: "12, 13", "12,13", "(12,0), (13,0)".
std::vector<std::string> IdList(std::string_view line, std::string_view key, bool pairs) {
  std::vector<std::string> ids;
  size_t pos = line.find(key);
  if (pos == std::string_view::npos) return ids;
  std::string_view rest = line.substr(pos + key.size());
  while (!rest.empty() && ids.size() < 1000) {
    size_t i = 0;
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',' || rest[i] == '(')) ++i;
    std::string_view id = text::Word(rest.substr(i));
    if (id.empty() || !text::IsDigits(id)) break;
    ids.emplace_back(id);
    rest.remove_prefix(i + id.size());
    if (pairs) {  // skip the ",<resource profile>)" part
      size_t close = rest.find(')');
      if (close == std::string_view::npos) break;
      rest.remove_prefix(close + 1);
    }
  }
  return ids;
}

}  // namespace

struct LogClassifier::State {
  std::string source;
  std::unordered_map<std::string, Facts> subjects;
  std::vector<std::string> order;
  std::string context;  // subject key of the current multi-line message; "" = none
  int context_left = 0;
  std::string partial;
  size_t lines = 0;
  bool executor_self_log = false;
  bool app_stopping = false;
  Facts fragment;  // single-line evidence (ReadFragmentLine), used when no subject is decided

  Facts* Subject(std::string_view id) {
    std::string key(id);
    auto it = subjects.find(key);
    if (it != subjects.end()) return &it->second;
    if (subjects.size() >= kMaxSubjects) return nullptr;
    Facts& f = subjects[key];
    if (id == kDriverId) {
      f.subject = Subject::kDriver;
    } else if (id.empty()) {
      f.subject = executor_self_log ? Subject::kExecutor : Subject::kDriver;
    } else {
      f.subject = Subject::kExecutor;
      f.id = key;
    }
    order.push_back(key);
    return &f;
  }

  void SetContext(std::string_view id) {
    context = std::string(id);
    context_left = kContextLines;
  }
};

LogClassifier::LogClassifier(std::string source) : state_(std::make_unique<State>()) {
  state_->source = std::move(source);
}
LogClassifier::~LogClassifier() = default;
LogClassifier::LogClassifier(LogClassifier&&) noexcept = default;
LogClassifier& LogClassifier::operator=(LogClassifier&&) noexcept = default;

void LogClassifier::AddChunk(std::string_view chunk) {
  State& s = *state_;
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (s.partial.size() < kMaxLine) {
        s.partial.append(chunk.substr(0, kMaxLine - s.partial.size()));
      }
      return;
    }
    if (s.partial.empty()) {
      AddLine(chunk.substr(0, nl));
    } else {
      if (s.partial.size() < kMaxLine) s.partial.append(chunk.substr(0, nl));
      AddLine(s.partial);
      s.partial.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

namespace {

// Lines that start a message about one executor; returns the executor id or "".
std::string_view ExecutorMessageStart(std::string_view line) {
  if (Contains(line, "Lost executor ")) return IdAfter(line, "Lost executor ");
  if (Contains(line, "ExecutorLostFailure")) return IdAfter(line, "ExecutorLostFailure (executor ");
  if (Contains(line, "The executor with id ")) return IdAfter(line, "The executor with id ");
  if (Contains(line, "The executor with ID ")) return IdAfter(line, "The executor with ID ");
  if (Contains(line, "Removing executor ")) return IdAfter(line, "Removing executor ");
  if (Contains(line, "Lost task ")) {
    std::string_view id = IdAfter(line, " executor ");
    return id == "driver" ? kDriverId : id;
  }
  // Standalone / local-cluster: "Executor app-2024.../3 removed: Command exited with code 52",
  // "Executor updated: app-.../3 is now EXITED (...)", worker "Executor app-.../3 finished",
  // "Runner thread for executor app-.../3 interrupted" (the worker stopping it with the app).
  if (Contains(line, "xecutor app-") || Contains(line, "Executor updated: app-")) {
    size_t app = line.find("app-");
    size_t slash = line.find('/', app);
    if (slash != std::string_view::npos) return text::Word(line.substr(slash + 1));
  }
  if (Contains(line, "killed by driver")) return IdAfter(line, "Executor ");
  if (Contains(line, "ecommission")) {
    std::string_view id = IdAfter(line, "executor ");
    if (!text::IsDigits(id)) id = IdAfter(line, "Executor ");
    if (!text::IsDigits(id)) id = IdAfter(line, "executors: ");
    return text::IsDigits(id) ? id : std::string_view();
  }
  return {};
}

bool MayCarryEvidence(std::string_view line) {
  return Contains(line, "xecutor") || Contains(line, "OutOfMemory") ||
         Contains(line, "LoggingPodStatusWatcher") || Contains(line, "exited with") ||
         Contains(line, "SparkContext") || Contains(line, "Shutting down all executors");
}

}  // namespace

void LogClassifier::AddLine(std::string_view line) {
  State& s = *state_;
  ++s.lines;
  if (line.size() > kMaxLine) line = line.substr(0, kMaxLine);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ReadFragmentLine(line, &s.fragment);
  if (!line.empty() && line.front() == '{' && Contains(line.substr(0, 64), "\"Event\"")) {
    EventLogLine(line, [&s](std::string_view id) { return s.Subject(id); });
    return;
  }
  bool header = HasLogHeader(line);
  if (!s.context.empty() && !header && s.context_left-- > 0) {
    if (Facts* f = s.Subject(s.context)) AbsorbLossLine(line, f);
    return;
  }
  if (header) s.context.clear();
  if (!MayCarryEvidence(line)) return;
  ProcessRecord(line);
}

void LogClassifier::ProcessRecord(std::string_view line) {
  State& s = *state_;
  if (Contains(line, "CoarseGrainedExecutorBackend")) s.executor_self_log = true;
  if (Contains(line, "Invoking stop()") || Contains(line, "Shutting down all executors") ||
      Contains(line, "Successfully stopped SparkContext")) {
    s.app_stopping = true;
  }
  if (Contains(line, "LoggingPodStatusWatcher")) {
    s.SetContext(kDriverId);
    Facts* f = s.Subject(kDriverId);
    // Each block is the whole current state: the last one wins.
    if (f && Contains(line, "State changed")) {
      f->containers.clear();
    }
    if (f) f->from_pod = true;
    return;
  }
  if (Contains(line, "removed due to idle timeout") ||
      Contains(line, "Request to remove executorIds")) {
    bool pairs = Contains(line, "executorIds");
    auto ids = pairs ? IdList(line, "executorIds:", true) : IdList(line, "Executors ", false);
    for (const std::string& id : ids) {
      if (Facts* f = s.Subject(id); f && f->killed_by_driver.empty()) {
        f->killed_by_driver = text::Evidence(line);
      }
    }
    return;
  }
  // Spark logs "Notify executor N to decommissioning." only when the driver itself decommissions
  // N (a scale-down); one that a node drain or spot notice made decommission itself is
  // "Received executor N decommissioned message" instead.
  if (Contains(line, "Notify executor ") && Contains(line, "to decommission")) {
    if (Facts* f = s.Subject(IdAfter(line, "Notify executor ")); f && f->killed_by_driver.empty()) {
      f->killed_by_driver = text::Evidence(line);
    }
    return;
  }
  // A copy: when the id is the current context's, SetContext below replaces that string.
  std::string id(ExecutorMessageStart(line));
  if (id.empty() && !Contains(line, "OutOfMemory")) return;
  if (id.empty() && !s.context.empty()) id = s.context;
  Facts* f = s.Subject(id);
  if (!f) return;
  s.SetContext(id);
  if (id.empty()) s.context = std::string();  // self/driver OOM: no paragraph to follow
  // The text after "host: " is the loss reason; the rest of the line is Spark's preamble.
  size_t colon = line.find(": ", line.find(id.empty() ? "OutOfMemory" : id));
  AbsorbLossLine(colon == std::string_view::npos ? line : line.substr(colon + 2), f);
  if (Contains(line, "OutOfMemory"))
    AbsorbLossLine(
        line.substr(line.find("java.lang.") == std::string_view::npos ? 0
                                                                      : line.find("java.lang.")),
        f);
  if (Contains(line, "Removing executor ") && Contains(line, "heartbeats") &&
      f->heartbeat.empty()) {
    f->heartbeat = text::Evidence(line);
  }
  if (Contains(line, "killed by driver") && f->killed_by_driver.empty()) {
    f->killed_by_driver = text::Evidence(line);
  }
  if (s.app_stopping && f->killed_by_driver.empty() && f->subject == Subject::kExecutor) {
    f->killed_by_driver = "removed after the application stopped: " + text::Evidence(line, 200);
  }
}

std::vector<Diagnosis> LogClassifier::Finish() {
  State& s = *state_;
  if (!s.partial.empty()) {
    std::string last = std::move(s.partial);
    s.partial.clear();
    AddLine(last);
  }
  std::vector<Diagnosis> out;
  for (const std::string& key : s.order) {
    const Facts& f = s.subjects[key];
    if (f.subject == Subject::kDriver && key == kDriverId && f.containers.empty() &&
        f.phase.empty() && f.jvm_oom.empty()) {
      continue;
    }
    // A subject only added (SparkListenerExecutorAdded) and never lost says nothing.
    if (f.containers.empty() && !f.exit_code && f.heartbeat.empty() && f.killed_by_driver.empty() &&
        f.deleted.empty() && f.decommission.empty() && f.node_lost.empty() && f.loss_text.empty() &&
        f.jvm_oom.empty() && f.oom_killed.empty() && f.pod_reason.empty() && f.phase.empty()) {
      continue;
    }
    Facts copy = f;
    if (copy.id.empty() && copy.subject == Subject::kDriver) copy.id = copy.pod_name;
    Diagnosis d = Decide(copy);
    d.source = s.source;
    out.push_back(std::move(d));
  }
  if (out.empty()) {
    Diagnosis d;
    d.source = s.source;
    d.reason = ExitReason::kUnknown;
    d.evidence =
        "missing: no executor loss (\"Lost executor\", ExecutorRemoved), exit code, "
        "container status or OutOfMemoryError in " +
        std::to_string(s.lines) + " lines";
    d.advice = AdviceFor(ExitReason::kUnknown);
    out.push_back(std::move(d));
  }
  // A log that decides no subject may still hold lines that say what happened (an Events row,
  // a kubelet or kernel message pasted among the log lines).
  bool all_unknown = std::all_of(
      out.begin(), out.end(), [](const Diagnosis& d) { return d.reason == ExitReason::kUnknown; });
  if (all_unknown && HasFragmentEvidence(s.fragment)) {
    Diagnosis d = Decide(s.fragment);
    if (d.reason != ExitReason::kUnknown) {
      d.source = s.source;
      out = {std::move(d)};
    }
  }
  std::string source = std::move(s.source);
  *state_ = State{};
  state_->source = std::move(source);
  return out;
}

}  // namespace sparkd::classify
