#include "daemon/core/link_keys.h"

#include <gtest/gtest.h>

namespace sparkd {
namespace {

TEST(ParseDurationTest, DaysHoursMinutesSecondsAndTheirSums) {
  const std::pair<std::string, int64_t> valid[] = {
      {"7d", 7 * 86400}, {"12h", 12 * 3600}, {"30m", 1800}, {"45s", 45},
      {"0s", 0},         {"1d12h", 129600},  {"90s", 90},
  };
  for (const auto& [text, seconds] : valid) {
    auto parsed = ParseDuration(text, "link-ttl");
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->count(), seconds) << text;
  }
  for (const std::string text :
       {"", "7", "d", "7w", "-1d", "1.5h", "7d ", " 7d", "1h-", "9999999999999999d"}) {
    auto parsed = ParseDuration(text, "link-ttl");
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_TRUE(parsed.status().message().starts_with("link-ttl: ")) << parsed.status().message();
  }
}

}  // namespace
}  // namespace sparkd
