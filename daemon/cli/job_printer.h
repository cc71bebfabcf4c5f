// Human-readable output of jobs for the CLI: links, timeline events, reports, tables.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sparkd/v1/jobs.pb.h"

namespace sparkd::cli {

std::string TimeText(const google::protobuf::Timestamp& t);  // "2026-11-21T12:27:27Z"
std::string StateName(v1::JobState state);                   // "RUNNING"
std::string ReasonName(v1::ExitReason reason);               // "OOM_KILLED"

// "platform_default v1, heavy_shuffle v3", or "none (defaults only)".
std::string PresetRefsText(const google::protobuf::RepeatedPtrField<v1::PresetRef>& refs);
void PrintLinks(const v1::Job& job, std::ostream& out);
void PrintEvent(const v1::JobEvent& event, std::ostream& out);
// State, duration, app id, executors by exit reason (failures first) and, for a failed job,
// the cause and the driver's last lines.
void PrintReport(const v1::Job& job, std::ostream& out);
void PrintJob(const v1::Job& job, std::ostream& out);
// ID, STATE, CREATED, TEAM, NAME (the file when the job has no name).
void PrintJobTable(const std::vector<v1::JobSummary>& jobs, std::ostream& out);

}  // namespace sparkd::cli
