#include "daemon/core/job_links.h"

#include <gtest/gtest.h>

#include "daemon/core/job_json.h"

namespace sparkd {
namespace {

Job WithLinks(const std::string& links_json) {
  Job job;
  job.id = "j1";
  job.team = "blue";
  job.spark_app_id = "spark-abc";
  job.resolved_spec_json = R"({"links": )" + links_json + "}";
  job.created_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1000));
  job.started_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(61000));
  return job;
}

RenderContext Context(const Job& job) {
  RenderContext context;
  context.job_id = job.id;
  context.app_id = job.spark_app_id;
  context.team = job.team;
  context.namespace_name = "spark-blue";
  return context;
}

TEST(JobLinksTest, TemplateIsFilledWithTheJobAndItsTimeRange) {
  Job job = WithLinks(
      R"({"dashboard": "https://g/d?app={app_id}&job={job_id}&t={team}&ns={namespace}&from={start_ms}&to={end_ms}&s={start}"})");
  auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(121000));
  EXPECT_EQ(JobLinkUrl(job, JobLink::kDashboard, Context(job), now),
            "https://g/d?app=spark-abc&job=j1&t=blue&ns=spark-blue&from=61000&to=121000&s=" +
                FormatRfc3339(*job.started_at));
  // A finished job's range ends at its end, whenever the link is followed.
  job.finished_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(90000));
  EXPECT_NE(JobLinkUrl(job, JobLink::kDashboard, Context(job), now).find("&to=90000&"),
            std::string::npos);
}

TEST(JobLinksTest, ALinkTheSpecDoesNotHaveIsEmpty) {
  Job job = WithLinks(R"({"logs": "https://g/logs?ns={namespace}"})");
  EXPECT_FALSE(JobLinkTemplate(job, JobLink::kDashboard).has_value());
  EXPECT_EQ(JobLinkUrl(job, JobLink::kDashboard, Context(job), job.created_at), "");
  EXPECT_EQ(JobLinkUrl(job, JobLink::kLogs, Context(job), job.created_at),
            "https://g/logs?ns=spark-blue");
  job.resolved_spec_json.clear();  // a job stored before it was resolved
  EXPECT_FALSE(JobLinkTemplate(job, JobLink::kLogs).has_value());
}

}  // namespace
}  // namespace sparkd
