#include "daemon/api/http/ui_proxy.h"

#include <gtest/gtest.h>

namespace sparkd::api {
namespace {

constexpr const char* kApp = "local-1700000000000";

// What /jobs/{id}/ui/<rest> reaches on the history server after the job ended ("" = 404).
// `rest` is the path as the HTTP server decoded it, so "%2e%2e" arrives as "..".
TEST(UiProxyPathTest, AFinishedJobReachesItsOwnApplicationOnly) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "/history/local-1700000000000/jobs/"},
      {"history/local-1700000000000/jobs/", "/history/local-1700000000000/jobs/"},
      {"history/local-1700000000000", "/history/local-1700000000000"},
      {"history/local-1700000000000/1/stages/", "/history/local-1700000000000/1/stages/"},
      {"api/v1/applications/local-1700000000000/executors",
       "/api/v1/applications/local-1700000000000/executors"},
      {"static/bootstrap.min.css", "/static/bootstrap.min.css"},
      {"jobs/", "/history/local-1700000000000/jobs/"},
      {"stages/stage/", "/history/local-1700000000000/stages/stage/"},
      {"environment/", "/history/local-1700000000000/environment/"},
      // another application, in every spelling
      {"history/local-1600000000000/jobs/", ""},
      {"history/local-17000000000001/jobs/", ""},
      {"history/local-170000000000/jobs/", ""},
      {"history/", ""},
      {"history", ""},
      {"../history/local-1600000000000/jobs/", ""},
      {"history/local-1700000000000/../local-1600000000000/jobs/", ""},
      {"history/local-1700000000000/./jobs/", ""},
      {"history/local-1700000000000//jobs/", ""},
      {"jobs/../../history/local-1600000000000/", ""},
      {"%2e%2e/history/local-1600000000000/", ""},  // decoded twice would be ".."
      {"history%2Flocal-1600000000000", ""},
      {"..\\history\\local-1600000000000", ""},
      {"/history/local-1600000000000/jobs/", ""},
      // listings and the history server's own pages
      {"api/v1/applications", ""},
      {"api/v1/applications/", ""},
      {"api/v1/applications/local-1600000000000/environment", ""},
      {"api/v1/version", ""},
      {"api", ""},
      {"jobs/?x=\n", ""},
  };
  for (const auto& [rest, expected] : cases) {
    auto path = HistoryUpstreamPath(rest, kApp);
    EXPECT_EQ(path.value_or(""), expected) << "rest: " << rest;
  }
}

TEST(UiProxyPathTest, AnAppIdThatIsNotOneNameReachesNothing) {
  for (const std::string app : {"", "..", "a/b", "local-1/../x"}) {
    EXPECT_FALSE(HistoryUpstreamPath("jobs/", app)) << app;
  }
}

TEST(UiProxyPathTest, ARunningJobReachesItsLiveUiButNotTheKillLinks) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "/"},
      {"jobs/", "/jobs/"},
      {"stages/stage/", "/stages/stage/"},
      {"api/v1/applications", "/api/v1/applications"},
      {"static/spark-logo-77x50px-hd.png", "/static/spark-logo-77x50px-hd.png"},
      {"jobs/job/kill/", ""},
      {"stages/stage/kill", ""},
      {"jobs/job/kill", ""},
      {"../jobs/", ""},
      {"jobs/%2e%2e/", ""},
      {"jobs//", ""},
  };
  for (const auto& [rest, expected] : cases) {
    EXPECT_EQ(LiveUpstreamPath(rest).value_or(""), expected) << "rest: " << rest;
  }
}

}  // namespace
}  // namespace sparkd::api
