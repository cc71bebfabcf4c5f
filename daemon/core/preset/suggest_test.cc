#include "daemon/core/preset/suggest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace sparkd {
namespace {

// The textbook full-matrix Levenshtein distance, case-insensitive: what the bounded one must
// agree with wherever the answer is within the bound.
size_t Reference(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
    }
  }
  return d[a.size()][b.size()];
}

TEST(SuggestTest, BoundedDistanceIsExactWithinTheBoundAndBoundPlusOneBeyond) {
  const std::vector<std::string> words = {
      "",
      "a",
      "ab",
      "spark.executor.memory",
      "spark.executor.memroy",
      "SPARK.EXECUTOR.MEMORY",
      "spark.executor.memoryOverhead",
      "spark.driver.memory",
      "spark.sql.adaptive.enabled",
      "spark.sql.adaptive.skewJoin.enabled",
      "tolerations",
      "toleratoins",
      "xyz",
      "spark.dynamicAllocation.executorIdleTimeout",
  };
  for (const auto& a : words) {
    for (const auto& b : words) {
      size_t exact = Reference(a, b);
      EXPECT_EQ(EditDistance(a, b), exact) << a << " / " << b;
      for (size_t bound : {0, 1, 2, 3, 5, 8, 13, 40}) {
        EXPECT_EQ(BoundedEditDistance(a, b, bound), std::min(exact, bound + 1))
            << a << " / " << b << " bound " << bound;
      }
    }
  }
}

TEST(SuggestTest, ClosestMatchPicksTheFirstNearestWithinAThirdOfTheWord) {
  const std::vector<std::string_view> candidates = {"spark.executor.memory", "spark.driver.memory",
                                                    "tolerations", "name", "file"};
  EXPECT_EQ(ClosestMatch("spark.executor.memroy", candidates), "spark.executor.memory");
  EXPECT_EQ(ClosestMatch("spark.driver.mem", candidates), "spark.driver.memory");
  EXPECT_EQ(ClosestMatch("toleratoins", candidates), "tolerations");
  EXPECT_EQ(ClosestMatch("TOLERATIONS", candidates), "tolerations");
  EXPECT_EQ(ClosestMatch("nme", candidates), "name");
  EXPECT_EQ(ClosestMatch("spark.completely.different.key", candidates), "");
  EXPECT_EQ(DidYouMean("fil", candidates), "; did you mean \"file\"?");
  EXPECT_EQ(DidYouMean("qqqqqq", candidates), "");
}

}  // namespace
}  // namespace sparkd
