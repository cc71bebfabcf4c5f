// Spark's executor-loss wording, line by line: the K8s "exited with exit code" paragraph with
// its container statuses (fabric8 toString in Spark 2.4..3.2, indented "container name:" from
// 3.3), standalone/local-cluster "Command exited with code N", YARN's "Exit status: N",
// heartbeat, kill, decommission and node-loss messages.
#include <string>

#include "daemon/core/classify/facts.h"
#include "daemon/core/classify/text.h"

namespace sparkd::classify {
namespace {

using text::Contains;
using text::Trim;

bool IsNullWord(std::string_view s) { return s.empty() || s == "null" || s == "N/A"; }

void SetIfEmpty(std::string* field, std::string_view evidence) {
  if (field->empty()) *field = text::Evidence(evidence);
}

std::string ContainerEvidence(const ContainerFact& c) {
  return "container " + c.name + " terminated: reason " + c.terminated_reason + ", exit code " +
         (c.exit_code ? std::to_string(*c.exit_code) : "?");
}

// One "ContainerStatus(...)" from fabric8's toString. The current state is the ", state="
// field; "lastState=" comes before "name=" and is the previous run.
void Fabric8Container(std::string_view seg, Facts* f) {
  ContainerFact c;
  c.name = std::string(text::Word(text::After(seg, ", name=")));
  size_t state = seg.find(", state=ContainerState(");
  if (state == std::string_view::npos) return;
  std::string_view st = seg.substr(state);
  size_t term = st.find("terminated=ContainerStateTerminated(");
  size_t wait = st.find("waiting=ContainerStateWaiting(");
  if (term != std::string_view::npos) {
    std::string_view t = st.substr(term);
    c.exit_code = text::IntAfter(t, "exitCode=");
    std::string_view reason = text::Word(text::After(t, "reason="));
    c.terminated_reason = IsNullWord(reason) ? "" : std::string(reason);
    c.evidence = ContainerEvidence(c);
  } else if (wait != std::string_view::npos) {
    std::string_view reason = text::Word(text::After(st.substr(wait), "reason="));
    c.waiting_reason = IsNullWord(reason) ? "" : std::string(reason);
  }
  f->containers.push_back(std::move(c));
}

void Fabric8Statuses(std::string_view line, Facts* f) {
  size_t pos = line.find("ContainerStatus(");
  while (pos != std::string_view::npos) {
    size_t next = line.find("ContainerStatus(", pos + 16);
    Fabric8Container(line.substr(pos, next == std::string_view::npos ? next : next - pos), f);
    pos = next;
  }
}

// The indented form: "container name: X" opens a container, the next keys fill it.
bool IndentedStatus(std::string_view t, Facts* f) {
  if (t.starts_with("container name:")) {
    // The same container reported again (the watcher repeats it) replaces the earlier report.
    std::string name(Trim(t.substr(15)));
    std::erase_if(f->containers, [&](const ContainerFact& c) { return c.name == name; });
    f->containers.push_back(NamedContainer(std::move(name)));
    return true;
  }
  if (f->containers.empty()) return false;
  ContainerFact& c = f->containers.back();
  if (t.starts_with("exit code:")) {
    c.exit_code = text::LeadingInt(t.substr(10));
  } else if (t.starts_with("termination reason:")) {
    std::string_view r = Trim(t.substr(19));
    c.terminated_reason = IsNullWord(r) ? "" : std::string(r);
  } else if (t.starts_with("pending reason:")) {
    std::string_view r = Trim(t.substr(15));
    c.waiting_reason = IsNullWord(r) ? "" : std::string(r);
  } else {
    return false;
  }
  if (c.exit_code) c.evidence = ContainerEvidence(c);
  return true;
}

bool ExitCodeWording(std::string_view t, Facts* f) {
  static constexpr std::string_view kKeys[] = {"exited with exit code ",
                                               "Command exited with code ", "exitStatus ",
                                               "Exit status: ", "exit code is "};
  for (std::string_view key : kKeys) {
    auto code = text::IntAfter(t, key);
    if (!code) continue;
    if (*code >= 0 && !f->exit_code) {
      f->exit_code = code;
      f->exit_evidence = text::Evidence(t);
    }
    return true;
  }
  return false;
}

void LossWording(std::string_view t, Facts* f) {
  if (Contains(t, "heartbeat timed out") || Contains(t, "no recent heartbeats")) {
    SetIfEmpty(&f->heartbeat, t);
  } else if (Contains(t, "killed by driver") || Contains(t, "Driver commanded a shutdown")) {
    SetIfEmpty(&f->killed_by_driver, t);
  } else if (Contains(t, "was deleted by a user or the framework")) {
    SetIfEmpty(&f->deleted, t);
  } else if (Contains(t, "not found in the cluster")) {
    SetIfEmpty(&f->node_lost, t);
  } else if (Contains(t, "ecommission") && !Contains(t, "Remove reason statistics")) {
    SetIfEmpty(&f->decommission, t);
  } else if (Contains(t, "Worker lost") || Contains(t, "Slave lost") ||
             Contains(t, "worker lost") || Contains(t, "is now LOST") ||
             Contains(t, "state LOST") || text::ContainsNoCase(t, "spot interruption")) {
    SetIfEmpty(&f->node_lost, t);
  } else if (Contains(t, "is now KILLED") || Contains(t, "state KILLED")) {
    SetIfEmpty(&f->killed_by_driver, t);
  } else if (Contains(t, "exceeding memory limits") || Contains(t, "physical memory limits")) {
    SetIfEmpty(&f->oom_killed, t);
  } else if (Contains(t, "OutOfMemoryError") || Contains(t, "OnOutOfMemoryError")) {
    SetIfEmpty(&f->jvm_oom, t);
  } else if (Contains(t, "Executor lost for unknown reasons") ||
             Contains(t, "Remote RPC client disassociated") ||
             Contains(t, "Executor Process Lost") || Contains(t, "Unable to create executor")) {
    SetIfEmpty(&f->loss_text, t);
  }
}

}  // namespace

void AbsorbLossLine(std::string_view line, Facts* f) {
  std::string_view t = Trim(line);
  if (t.empty()) return;
  constexpr std::string_view kBrief = "The API gave the following brief reason:";
  constexpr std::string_view kMessage = "The API gave the following message:";
  if (t.starts_with(kBrief)) {
    std::string_view r = Trim(t.substr(kBrief.size()));
    if (!IsNullWord(r)) f->pod_reason = std::string(text::Word(r));
    return;
  }
  if (t.starts_with(kMessage)) {
    std::string_view m = Trim(t.substr(kMessage.size()));
    if (!IsNullWord(m)) f->pod_message = text::Evidence(m);
    return;
  }
  // spark-submit's pod status watcher block (the driver pod).
  if (t.starts_with("pod name:")) {
    f->pod_name = std::string(Trim(t.substr(9)));
    return;
  }
  if (t.starts_with("phase:")) {
    f->phase = std::string(text::Word(Trim(t.substr(6))));
    return;
  }
  if (Contains(t, "ContainerStatus(")) {
    Fabric8Statuses(t, f);
    return;
  }
  if (IndentedStatus(t, f)) return;
  if (ExitCodeWording(t, f) && !Contains(t, "exceeding")) return;
  LossWording(t, f);
}

void AbsorbLossText(std::string_view text, Facts* facts) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    AbsorbLossLine(text.substr(0, nl), facts);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace sparkd::classify
