// `kubectl describe pod` output (one or several pods). The format is indentation-based: pod
// fields at column 0, containers at 2, their fields at 4, state details at 6, and an Events
// table whose columns are found from its header line.
#include <string>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using text::Trim;

size_t Indent(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// "Key:   value" → {"Key", "value"}; key empty when the line has no "key:" shape.
std::pair<std::string_view, std::string_view> KeyValue(std::string_view line) {
  std::string_view t = Trim(line);
  size_t colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 40) return {{}, t};
  return {t.substr(0, colon), Trim(t.substr(colon + 1))};
}

struct DescribeState {
  std::string section;  // "", "Labels", "Containers", "Conditions", "Events", ...
  bool in_last_state = false;
  std::string state;  // Terminated, Waiting, Running
  bool in_limits = false;
  size_t event_message_col = 0;
  size_t event_reason_col = 0;
};

void FinishContainerEvidence(Facts* f) {
  for (ContainerFact& c : f->containers) {
    if (c.evidence.empty() && (c.exit_code || !c.terminated_reason.empty())) {
      c.evidence = "container " + c.name + " State Terminated: Reason " + c.terminated_reason +
                   ", Exit Code " + (c.exit_code ? std::to_string(*c.exit_code) : "?");
      if (!c.memory_limit.empty()) c.evidence += " (container memory limit " + c.memory_limit + ")";
    }
  }
}

void ContainerLine(std::string_view line, DescribeState* st, Facts* f) {
  size_t indent = Indent(line);
  auto [key, value] = KeyValue(line);
  if (indent <= 2 && !key.empty() && value.empty()) {
    f->containers.push_back(NamedContainer(std::string(key)));
    st->in_last_state = false;
    st->in_limits = false;
    st->state.clear();
    return;
  }
  if (f->containers.empty() || key.empty()) return;
  ContainerFact& c = f->containers.back();
  if (key == "State" || key == "Last State") {
    st->in_last_state = key == "Last State";
    st->state = std::string(text::Word(value));
    st->in_limits = false;
  } else if (key == "Reason" && indent >= 5) {
    if (st->in_last_state)
      c.last_reason = std::string(value);
    else if (st->state == "Waiting")
      c.waiting_reason = std::string(value);
    else
      c.terminated_reason = std::string(value);
  } else if (key == "Exit Code") {
    (st->in_last_state ? c.last_exit_code : c.exit_code) = text::LeadingInt(value);
  } else if (key == "Message" && st->state == "Waiting" && !st->in_last_state) {
    c.waiting_message = std::string(value);
  } else if (key == "Limits" || key == "Requests") {
    st->in_limits = key == "Limits";
  } else if (key == "memory" && st->in_limits) {
    c.memory_limit = std::string(value);
  } else if (indent <= 4) {
    st->in_limits = false;
  }
}

void EventLine(std::string_view line, DescribeState* st, Facts* f) {
  std::string_view t = Trim(line);
  if (text::Word(t) == "Type" && text::Contains(t, "Message")) {
    st->event_message_col = line.find("Message");
    st->event_reason_col = line.find("Reason");
    return;
  }
  if (t.starts_with("----") || (!t.starts_with("Normal") && !t.starts_with("Warning"))) return;
  size_t space = t.find(' ');
  if (space == std::string_view::npos) return;
  std::string_view rest = Trim(t.substr(space));
  std::string_view reason = text::Word(rest);
  std::string_view message = st->event_message_col > 0 && line.size() > st->event_message_col
                                 ? Trim(line.substr(st->event_message_col))
                                 : rest;
  AbsorbPodEvent(reason, message, f);
}

void TopLevelLine(std::string_view key, std::string_view value, Facts* f) {
  if (key == "Name" && f->pod_name.empty()) {
    f->pod_name = std::string(value);
  } else if (key == "Status") {
    f->phase = std::string(text::Word(value));
    if (f->phase == "Terminating") f->deleted = "pod Status Terminating";
  } else if (key == "Reason") {
    f->pod_reason = std::string(value);
  } else if (key == "Message") {
    f->pod_message = std::string(value);
  }
}

void Label(std::string_view t, Facts* f) {
  if (t.starts_with("spark-role=")) {
    std::string_view role = t.substr(11);
    f->subject = role == "executor" ? Subject::kExecutor
                 : role == "driver" ? Subject::kDriver
                                    : f->subject;
  } else if (t.starts_with("spark-exec-id=")) {
    f->id = std::string(t.substr(14));
  }
}

void Finish(Facts* f, std::vector<Facts>* out) {
  if (f->pod_name.empty() && f->containers.empty()) return;
  if (f->subject == Subject::kUnknown) f->subject = SubjectFromPodName(f->pod_name);
  if (f->id.empty()) f->id = f->pod_name;
  FinishContainerEvidence(f);
  out->push_back(std::move(*f));
  *f = Facts{};
}

}  // namespace

std::vector<Facts> ParseDescribe(std::string_view input) {
  std::vector<Facts> out;
  Facts f;
  DescribeState st;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    f.from_pod = true;
    size_t indent = Indent(line);
    auto [key, value] = KeyValue(line);
    if (indent == 0) {
      if (key == "Name" && !f.pod_name.empty()) Finish(&f, &out), f.from_pod = true;
      st.section = std::string(key);
      TopLevelLine(key, value, &f);
      if (key == "Labels") Label(value, &f);
      continue;
    }
    if (st.section == "Labels") Label(Trim(line), &f);
    if (st.section == "Containers") ContainerLine(line, &st, &f);
    if (st.section == "Events") EventLine(line, &st, &f);
    if (st.section == "Conditions") {
      std::string_view t = Trim(line);
      if (t.starts_with("DisruptionTarget") && text::Contains(t, "True") && f.disruption.empty()) {
        f.node_lost = "condition DisruptionTarget True";
      }
    }
  }
  Finish(&f, &out);
  return out;
}

}  // namespace sparkd::classify
