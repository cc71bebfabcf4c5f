#include "daemon/cli/job_printer.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <iomanip>
#include <vector>

#include "daemon/cli/terminal_text.h"

namespace sparkd::cli {
namespace {

using google::protobuf::util::TimeUtil;

std::string Duration(const v1::Job& job) {
  if (!job.has_finished_at()) return "-";
  // A short application can end before the daemon saw it run: count from submission then.
  const auto& start = job.has_started_at() ? job.started_at() : job.created_at();
  int64_t ms = TimeUtil::DurationToMilliseconds(job.finished_at() - start);
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << ms / 1000.0 << "s";
  return out.str();
}

// Failures first (OOM at the top: the most common and most fixable), successes last.
int ReasonRank(v1::ExitReason reason) {
  switch (reason) {
    case v1::EXIT_REASON_OOM_KILLED:
      return 0;
    case v1::EXIT_REASON_JVM_OOM:
      return 1;
    case v1::EXIT_REASON_SUCCEEDED:
      return 90;
    case v1::EXIT_REASON_KILLED_BY_DRIVER:
      return 91;
    case v1::EXIT_REASON_UNSPECIFIED:
      return 99;
    default:
      return 10;
  }
}

}  // namespace

std::string TimeText(const google::protobuf::Timestamp& t) {
  std::string text = TimeUtil::ToString(t);  // RFC 3339 with nanoseconds
  auto dot = text.find('.');
  return dot == std::string::npos ? text : text.substr(0, dot) + "Z";
}

std::string StateName(v1::JobState state) {
  std::string name = v1::JobState_Name(state);
  return name.starts_with("JOB_STATE_") ? name.substr(10) : name;
}

std::string ReasonName(v1::ExitReason reason) {
  if (reason == v1::EXIT_REASON_UNSPECIFIED) return "-";
  std::string name = v1::ExitReason_Name(reason);
  return name.starts_with("EXIT_REASON_") ? name.substr(12) : name;
}

void PrintLinks(const v1::Job& job, std::ostream& out) {
  if (job.links().job_page().empty()) return;
  out << "  job page:  " << TerminalText(job.links().job_page()) << "\n"
      << "  Spark UI:  " << TerminalText(job.links().spark_ui()) << "\n"
      << "  logs:      " << TerminalText(job.links().logs()) << "\n";
  if (!job.links().dashboard().empty()) {
    out << "  dashboard: " << TerminalText(job.links().dashboard()) << "\n";
  }
}

void PrintEvent(const v1::JobEvent& event, std::ostream& out) {
  out << "[" << TimeText(event.at()) << "] " << StateName(event.to_state());
  if (!event.message().empty()) out << ": " << TerminalText(event.message());
  out << "\n";
}

void PrintReport(const v1::Job& job, std::ostream& out) {
  out << "\n== sparkd job " << TerminalText(job.id()) << ": " << StateName(job.state()) << " ==\n";
  out << "state:     " << StateName(job.state());
  if (!job.state_message().empty()) out << " (" << TerminalText(job.state_message()) << ")";
  out << "\nduration:  " << Duration(job) << "\n";
  out << "app id:    " << (job.spark_app_id().empty() ? "-" : TerminalText(job.spark_app_id()))
      << "\n";
  std::vector<const v1::Executor*> executors;
  for (const auto& x : job.executors()) executors.push_back(&x);
  std::stable_sort(executors.begin(), executors.end(), [](auto* a, auto* b) {
    return ReasonRank(a->reason()) < ReasonRank(b->reason());
  });
  if (!executors.empty()) {
    // The ID column fits its longest id (a pod name, a standalone "app-…/3"), so the columns
    // never run together.
    size_t id_width = 10;
    for (const auto* x : executors) {
      id_width = std::max(id_width, TerminalText(x->executor_id()).size() + 2);
    }
    const int id_column = static_cast<int>(id_width);
    out << "driver and executors:\n";
    out << "  " << std::left << std::setw(id_column) << "ID" << std::setw(20) << "REASON"
        << std::setw(6) << "EXIT"
        << "EVIDENCE\n";
    for (const auto* x : executors) {
      out << "  " << std::left << std::setw(id_column) << TerminalText(x->executor_id())
          << std::setw(20) << ReasonName(x->reason()) << std::setw(6)
          << (x->has_exit_code() ? std::to_string(x->exit_code()) : "-")
          << TerminalText(x->evidence()) << "\n";
      if (!x->advice().empty() && x->reason() != v1::EXIT_REASON_SUCCEEDED) {
        out << "  " << std::setw(id_column + 26) << ""
            << "advice: " << TerminalText(x->advice()) << "\n";
      }
    }
  }
  if (!job.report().first_fatal_cause().empty()) {
    out << "cause:     " << TerminalText(job.report().first_fatal_cause()) << "\n";
  }
  if (job.report().driver_log_tail_size() > 0) {
    out << "driver log (last lines):\n";
    for (const auto& line : job.report().driver_log_tail()) {
      out << "  | " << TerminalText(line) << "\n";
    }
  }
  PrintLinks(job, out);
}

std::string PresetRefsText(const google::protobuf::RepeatedPtrField<v1::PresetRef>& refs) {
  if (refs.empty()) return "none (defaults only)";
  std::string text;
  for (const auto& ref : refs) {
    text += (text.empty() ? "" : ", ") + TerminalText(ref.job_type()) + " v" +
            std::to_string(ref.version());
  }
  return text;
}

void PrintJob(const v1::Job& job, std::ostream& out) {
  out << "id:        " << TerminalText(job.id()) << "\nteam:      " << TerminalText(job.team())
      << "\nkey:       " << TerminalText(job.idempotency_key())
      << "\ncreated:   " << TimeText(job.created_at())
      << "\npresets:   " << PresetRefsText(job.presets_used()) << "\n";
  out << "timeline:\n";
  for (const auto& e : job.events()) {
    out << "  ";
    PrintEvent(e, out);
  }
  PrintReport(job, out);
}

void PrintJobTable(const std::vector<v1::JobSummary>& jobs, std::ostream& out) {
  out << std::left << std::setw(24) << "ID" << std::setw(12) << "STATE" << std::setw(22)
      << "CREATED" << std::setw(10) << "TEAM"
      << "NAME\n";
  for (const auto& job : jobs) {
    out << std::left << std::setw(24) << TerminalText(job.id()) << std::setw(12)
        << StateName(job.state()) << std::setw(22) << TimeText(job.created_at()) << std::setw(10)
        << TerminalText(job.team()) << TerminalText(job.name().empty() ? job.file() : job.name())
        << "\n";
  }
}

}  // namespace sparkd::cli
