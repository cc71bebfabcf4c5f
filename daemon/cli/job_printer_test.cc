#include "daemon/cli/job_printer.h"

#include <gtest/gtest.h>

#include <functional>
#include <sstream>

namespace sparkd::cli {
namespace {

TEST(JobPrinterTest, AJobShowsThePresetVersionsItResolvedAgainst) {
  v1::Job job;
  job.set_id("j1");
  job.set_team("blue");
  std::ostringstream none;
  PrintJob(job, none);
  EXPECT_NE(none.str().find("\npresets:   none (defaults only)\n"), std::string::npos)
      << none.str();

  auto* base = job.add_presets_used();
  base->set_job_type("platform_default");
  base->set_version(1);
  auto* preset = job.add_presets_used();
  preset->set_job_type("heavy_shuffle");
  preset->set_version(3);
  std::ostringstream both;
  PrintJob(job, both);
  EXPECT_NE(both.str().find("\npresets:   platform_default v1, heavy_shuffle v3\n"),
            std::string::npos)
      << both.str();
}

// A long executor id (a standalone "app-…" id, a pod name) widens its column: the reason
// never runs into it.
TEST(JobPrinterTest, LongExecutorIdsKeepTheirColumnApart) {
  v1::Job job;
  job.set_id("j1");
  auto* wide = job.add_executors();
  wide->set_executor_id("app-20261201180345-0000");
  wide->set_reason(v1::EXIT_REASON_KILLED_BY_DRIVER);
  auto* narrow = job.add_executors();
  narrow->set_executor_id("3");
  narrow->set_reason(v1::EXIT_REASON_OOM_KILLED);
  std::ostringstream out;
  PrintJob(job, out);
  EXPECT_NE(out.str().find("  app-20261201180345-0000  KILLED_BY_DRIVER"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("  3                        OOM_KILLED"), std::string::npos)
      << out.str();
}

// What a job name, key, reason or driver line can carry: a retitle (OSC), a clear screen (CSI),
// an 8-bit CSI, a right-to-left override, and a newline forging a line of the report.
const std::string kHostile =
    "\x1b]0;pwned\x07\x1b[2J\xC2\x9B"
    "31m\xE2\x80\xAE"
    "evil\nstate:     SUCCEEDED";
const std::string kEscaped =
    "\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202eevil\\nstate:     SUCCEEDED";

TEST(JobPrinterTest, NothingFromUsersOrSparkReachesTheTerminalRaw) {
  v1::Job job;
  job.set_id("j1");
  job.set_team("blue");
  job.set_idempotency_key(kHostile);
  job.set_state(v1::JOB_STATE_FAILED);
  job.set_state_message(kHostile);
  job.set_spark_app_id(kHostile);
  job.mutable_request()->set_name(kHostile);
  auto* event = job.add_events();
  event->set_to_state(v1::JOB_STATE_CANCELLED);
  event->set_message("cancelled by admin: " + kHostile);
  auto* executor = job.add_executors();
  executor->set_executor_id(kHostile);
  executor->set_reason(v1::EXIT_REASON_APP_ERROR);
  executor->set_evidence(kHostile);
  executor->set_advice(kHostile);
  job.mutable_report()->set_first_fatal_cause(kHostile);
  job.mutable_report()->add_driver_log_tail(kHostile);
  job.mutable_links()->set_job_page("http://d/jobs/j1?" + kHostile);
  v1::JobSummary summary;
  summary.set_id(job.id());
  summary.set_team(kHostile);
  summary.set_name(kHostile);
  std::vector<v1::JobSummary> jobs = {summary};
  struct Case {
    std::string name;
    std::function<void(std::ostream&)> print;
    size_t at_least;  // how many fields carry the hostile text in this printer
  } cases[] = {
      {"PrintJob", [&](std::ostream& out) { PrintJob(job, out); }, 9},
      {"PrintReport", [&](std::ostream& out) { PrintReport(job, out); }, 7},
      {"PrintJobTable", [&](std::ostream& out) { PrintJobTable(jobs, out); }, 1},
      {"PrintEvent", [&](std::ostream& out) { PrintEvent(job.events(0), out); }, 1},
      {"PrintLinks", [&](std::ostream& out) { PrintLinks(job, out); }, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::ostringstream out;
    c.print(out);
    const std::string text = out.str();
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_EQ(text.find("\xC2\x9B"), std::string::npos) << text;
    EXPECT_EQ(text.find("\xE2\x80\xAE"), std::string::npos) << text;
    EXPECT_EQ(text.find("\nstate:     SUCCEEDED"), std::string::npos) << "a forged line:\n" << text;
    size_t seen = 0;
    for (size_t at = text.find(kEscaped); at != std::string::npos;
         at = text.find(kEscaped, at + 1)) {
      ++seen;
    }
    EXPECT_GE(seen, c.at_least) << text;
  }
}

}  // namespace
}  // namespace sparkd::cli
