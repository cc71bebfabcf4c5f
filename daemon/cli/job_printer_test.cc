#include "daemon/cli/job_printer.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sparkd::cli
