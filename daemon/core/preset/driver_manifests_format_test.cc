// The Java and Spark formats the driver manifests reproduce (driver_manifests_format.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/core/preset/driver_manifests_internal.h"

namespace sparkd {
namespace {

using ::testing::ElementsAre;

TEST(JavaFormatsTest, PropertiesEscapeAsJavaUtilProperties) {
  using driver_internal::JavaPropertiesText;
  std::string text = JavaPropertiesText(
      {{"a key", " lead  and:=#!\\"}, {"multi", "a\nb\tc\rd"}, {"unicode", "caf\xC3\xA9"}},
      "comment", 0);
  EXPECT_EQ(text,
            "#comment\n#Thu Jan 01 00:00:00 UTC 1970\n"
            "a\\ key=\\ lead  and\\:\\=\\#\\!\\\\\n"
            "multi=a\\nb\\tc\\rd\n"
            "unicode=caf\xC3\xA9\n");
}

TEST(JavaFormatsTest, DoubleToStringAndDates) {
  using driver_internal::JavaDoubleToString;
  const std::pair<double, std::string> doubles[] = {{0.1, "0.1"},     {0.4, "0.4"},
                                                    {1, "1.0"},       {0.25, "0.25"},
                                                    {1e-5, "1.0E-5"}, {12345678, "1.2345678E7"},
                                                    {100, "100.0"},   {0.001, "0.001"},
                                                    {-2.5, "-2.5"},   {0, "0.0"}};
  for (const auto& [value, text] : doubles) EXPECT_EQ(JavaDoubleToString(value), text) << text;
  EXPECT_EQ(driver_internal::JavaDateString(1796151766000), "Tue Dec 01 19:02:46 UTC 2026");
  EXPECT_EQ(driver_internal::JavaDateString(951782400000), "Tue Feb 29 00:00:00 UTC 2000");
}

TEST(JavaFormatsTest, AppNameLabelAsKubernetesConf) {
  using driver_internal::AppNameLabel;
  const std::pair<std::string, std::string> names[] = {
      {"My App.v1", "my-app-v1"},
      {" My  Name ", "my-name"},
      {"a.B", "a-b"},
      {"--x--", "x"},
      {"Caf\xC3\xA9 Cr\xC3\xA8me", "caf-cr-me"},
      {"\xC4\xB0stanbul", "i-stanbul"},
      {std::string(70, 'a'), std::string(63, 'a')},
      {std::string(62, 'a') + "-b", std::string(62, 'a')},
  };
  for (const auto& [name, label] : names) EXPECT_EQ(AppNameLabel(name), label) << name;
}

TEST(JavaFormatsTest, SplitAndListsAsJavaAndSpark) {
  using driver_internal::ConfList;
  using driver_internal::JavaSplit;
  EXPECT_THAT(JavaSplit("a:b", ':'), ElementsAre("a", "b"));
  EXPECT_THAT(JavaSplit("a:", ':'), ElementsAre("a"));
  EXPECT_THAT(JavaSplit(":b", ':'), ElementsAre("", "b"));
  EXPECT_THAT(JavaSplit("", ','), ElementsAre(""));
  EXPECT_THAT(ConfList(" a, ,b ,"), ElementsAre("a", "b"));
}

}  // namespace
}  // namespace sparkd
