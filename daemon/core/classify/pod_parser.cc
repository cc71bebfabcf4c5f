// Pod objects (kubectl get pod -o json|yaml), one pod, a List, a JSON array or several YAML
// documents. YAML is converted to the same JSON tree so one reader serves both. Truncated
// pastes are repaired (JSON: brackets closed at the last complete value; YAML: trailing lines
// dropped) before giving up.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_boolean()) return it->get<bool>() ? "True" : "False";
  return {};
}

const json& Obj(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::optional<int> Int(const json& j, const char* key) {
  std::string s = Str(j, key);
  return text::IsDigits(s) || (s.size() > 1 && s[0] == '-') ? text::LeadingInt(s) : std::nullopt;
}

ContainerFact ReadContainerStatus(const json& cs) {
  ContainerFact c;
  c.name = Str(cs, "name");
  const json& terminated = Obj(Obj(cs, "state"), "terminated");
  const json& waiting = Obj(Obj(cs, "state"), "waiting");
  const json& last = Obj(Obj(cs, "lastState"), "terminated");
  if (terminated.is_object()) {
    c.exit_code = Int(terminated, "exitCode");
    c.terminated_reason = Str(terminated, "reason");
    c.evidence = "container " + c.name + " terminated: reason " + c.terminated_reason +
                 ", exit code " + (c.exit_code ? std::to_string(*c.exit_code) : "?");
    std::string message = Str(terminated, "message");
    if (!message.empty()) c.evidence += " (" + message + ")";
  }
  if (waiting.is_object()) {
    c.waiting_reason = Str(waiting, "reason");
    c.waiting_message = Str(waiting, "message");
  }
  if (last.is_object()) {
    c.last_exit_code = Int(last, "exitCode");
    c.last_reason = Str(last, "reason");
  }
  return c;
}

void ReadConditions(const json& status, Facts* f) {
  const json& conditions = Obj(status, "conditions");
  if (!conditions.is_array()) return;
  for (const json& cond : conditions) {
    std::string type = Str(cond, "type");
    std::string state = Str(cond, "status");
    if (type == "DisruptionTarget" && state == "True") {
      f->disruption = Str(cond, "reason");
      f->disruption_message = Str(cond, "message");
    } else if (type == "PodScheduled" && state == "False") {
      std::string reason = Str(cond, "reason");
      f->unschedulable =
          (reason.empty() ? std::string("Unschedulable") : reason) + ": " + Str(cond, "message");
    }
  }
}

std::string MemoryLimit(const json& spec, const std::string& container) {
  const json& containers = Obj(spec, "containers");
  if (!containers.is_array()) return {};
  for (const json& c : containers) {
    if (Str(c, "name") == container) {
      return Str(Obj(Obj(c, "resources"), "limits"), "memory");
    }
  }
  return {};
}

Facts ReadPod(const json& pod) {
  Facts f;
  f.from_pod = true;
  const json& meta = Obj(pod, "metadata");
  const json& labels = Obj(meta, "labels");
  const json& status = Obj(pod, "status");
  f.pod_name = Str(meta, "name");
  std::string role = Str(labels, "spark-role");
  f.subject = role == "executor" ? Subject::kExecutor
              : role == "driver" ? Subject::kDriver
                                 : SubjectFromPodName(f.pod_name);
  std::string exec_id = Str(labels, "spark-exec-id");
  f.id = !exec_id.empty() ? exec_id : f.pod_name;
  if (!Str(meta, "deletionTimestamp").empty()) {
    f.deleted = "pod has deletionTimestamp " + Str(meta, "deletionTimestamp");
  }
  f.phase = Str(status, "phase");
  f.pod_reason = Str(status, "reason");
  f.pod_message = Str(status, "message");
  ReadConditions(status, &f);
  for (const char* key : {"containerStatuses", "initContainerStatuses"}) {
    const json& list = Obj(status, key);
    if (!list.is_array()) continue;
    for (const json& cs : list) {
      ContainerFact c = ReadContainerStatus(cs);
      c.memory_limit = MemoryLimit(Obj(pod, "spec"), c.name);
      if (!c.memory_limit.empty() && !c.evidence.empty()) {
        c.evidence += " (container memory limit " + c.memory_limit + ")";
      }
      f.containers.push_back(std::move(c));
    }
  }
  return f;
}

void CollectPods(const json& j, std::vector<Facts>* out, int depth) {
  if (depth > 4) return;
  if (j.is_array()) {
    for (const json& item : j) CollectPods(item, out, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  const json& items = Obj(j, "items");
  if (items.is_array()) {
    for (const json& item : items) CollectPods(item, out, depth + 1);
    return;
  }
  std::string kind = Str(j, "kind");
  if (kind == "Pod" || j.contains("status") || j.contains("metadata")) {
    out->push_back(ReadPod(j));
  }
}

// YAML → JSON. Scalars stay strings; the reader accepts numbers as strings. Aliases share
// nodes in yaml-cpp but are copied here, so `budget` caps the nodes written: a few lines of
// nested aliases ("billion laughs") would otherwise expand without end.
// Builds the JSON tree straight from yaml-cpp's parse events. Aliases become null (kubectl
// never writes anchors, and expanding them is how a small text becomes a huge tree); a mapping
// key that is not a scalar drops its entry.
class JsonBuilder : public YAML::EventHandler {
 public:
  json TakeRoot() { return std::move(root_); }
  // Where the document began: a document that starts where the previous one did consumed no
  // token (see ParseYaml).
  int DocumentStart() const { return document_start_; }

  void OnDocumentStart(const YAML::Mark& mark) override { document_start_ = mark.pos; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { Add(nullptr); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Add(nullptr); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    Add(value);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open_.push_back({json::array(), std::nullopt});
  }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open_.push_back({json::object(), std::nullopt});
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapEnd() override { Close(); }

 private:
  struct Open {
    json value;
    std::optional<json> key;  // a mapping's key, until its value arrives
  };

  void Close() {
    if (open_.empty()) return;
    json done = std::move(open_.back().value);
    open_.pop_back();
    Add(std::move(done));
  }

  void Add(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return;
    }
    Open& top = open_.back();
    if (top.value.is_array()) {
      top.value.push_back(std::move(value));
    } else if (!top.key) {
      top.key = std::move(value);
    } else {
      if (top.key->is_string()) top.value[top.key->get<std::string>()] = std::move(value);
      top.key.reset();
    }
  }

  json root_;
  std::vector<Open> open_;
  int document_start_ = 0;
};

// Cuts truncated JSON after its last complete value and closes the open brackets.
std::string RepairJson(std::string_view text) {
  std::string stack;
  size_t cut = 0;
  std::string stack_at_cut;
  bool in_string = false, escape = false;
  for (size_t i = 0; i < text.size() && i < (64u << 20); ++i) {
    char c = text[i];
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      stack.push_back(c == '{' ? '}' : ']');
    else if ((c == '}' || c == ']') && !stack.empty())
      stack.pop_back();
    if (c == ',' || c == '}' || c == ']') {
      cut = c == ',' ? i : i + 1;
      stack_at_cut = stack;
    }
  }
  std::string out(text.substr(0, cut));
  out.append(stack_at_cut.rbegin(), stack_at_cut.rend());
  return out;
}

bool ParseJson(std::string_view text, json* out) {
  *out = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  return !out->is_discarded();
}

// yaml-cpp 0.7 recurses once per nested flow collection ({...}, [...]), so deep nesting
// overflows the stack. kubectl's YAML uses block style, with flow only for balanced `{}` and
// `[]`: a document that starts with flow (JSON, cut or not), nests deep or leaves a bracket
// open is not given to it.
bool UnsafeForYaml(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) return true;
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > 64) return true;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return true;
    }
  }
  return depth != 0;
}

// True when a line starts (after indentation and a `- ` item mark) with a key a pod object or
// a fragment of one has. Text without any cannot hold a pod and is not parsed at all.
bool HasPodKey(std::string_view text) {
  static constexpr std::string_view kKeys[] = {
      "apiVersion:", "kind:",       "metadata:",          "spec:",     "status:",
      "items:",      "conditions:", "containerStatuses:", "phase:",    "reason:",
      "state:",      "lastState:",  "terminated:",        "exitCode:", "message:"};
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = text::Trim(line);
    if (line.starts_with("- ")) line = text::Trim(line.substr(2));
    for (std::string_view key : kKeys) {
      if (line.starts_with(key)) return true;
    }
  }
  return false;
}

std::vector<Facts> ParseYaml(std::string_view text) {
  if (UnsafeForYaml(text) || !HasPodKey(text)) return {};
  std::string doc(text);
  // A paste cut mid-line can leave an unclosed quote: drop trailing lines until it parses.
  for (int attempt = 0; attempt < 8 && !doc.empty(); ++attempt) {
    try {
      std::vector<Facts> out;
      std::istringstream stream(doc);
      YAML::Parser parser(stream);
      std::optional<int> previous_start;
      for (JsonBuilder builder; parser.HandleNextDocument(builder);) {
        // yaml-cpp 0.7 ends a document on a token it cannot place (a ',' after the root, as in
        // `--- ,` or `"x" , y`) without consuming it, and starts the next one on the same
        // token: LoadAll never returns (fixed upstream in 0.8). Stop when no token was consumed.
        if (previous_start == builder.DocumentStart()) break;
        previous_start = builder.DocumentStart();
        CollectPods(builder.TakeRoot(), &out, 0);
      }
      return out;
    } catch (const std::exception&) {
      size_t nl = doc.find_last_of('\n', doc.size() >= 2 ? doc.size() - 2 : 0);
      if (nl == std::string::npos) break;
      doc.resize(nl + 1);
    }
  }
  return {};
}

}  // namespace

Diagnosis DiagnosePodObject(const nlohmann::json& pod, const PodContext& context) {
  Facts f = ReadPod(pod);
  for (const PodEvent& e : context.events) AbsorbPodEvent(e.reason, e.message, &f);
  if (context.vanished && f.deleted.empty()) f.deleted = "pod was deleted";
  if (context.node_gone) {
    std::string node = Str(Obj(pod, "spec"), "nodeName");
    f.node_lost = "pod vanished with its node" + (node.empty() ? "" : " " + node);
  }
  Diagnosis d = Decide(f);
  d.source = "pod/" + f.pod_name;
  return d;
}

std::vector<Facts> ParsePodObjects(std::string_view text, bool yaml) {
  if (yaml) return ParseYaml(text);
  std::vector<Facts> out;
  json j;
  if (ParseJson(text, &j) || ParseJson(RepairJson(text), &j)) {
    CollectPods(j, &out, 0);
    return out;
  }
  // "JSON" that even the repair could not read stays unread: see UnsafeForYaml.
  return out;
}

}  // namespace sparkd::classify
