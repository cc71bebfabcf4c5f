#include "daemon/core/java_properties.h"

#include <gtest/gtest.h>

#include <tuple>

namespace sparkd {
namespace {

// Expected texts are what java.util.Properties.store(Writer) writes for the same key or value.
TEST(JavaPropertiesEscapeTest, EscapesWhatPropertiesStoreEscapes) {
  const std::tuple<std::string, bool, std::string> cases[] = {
      {"plain", false, "plain"},
      {"a=b:c#d!e", false, "a\\=b\\:c\\#d\\!e"},
      {"a=b:c#d!e", true, "a\\=b\\:c\\#d\\!e"},
      {"with space", true, "with\\ space"},
      {" leading", false, "\\ leading"},
      {"in side", false, "in side"},
      {"back\\slash", false, "back\\\\slash"},
      {"two\nlines\r\t\f", false, "two\\nlines\\r\\t\\f"},
      {"caf\xc3\xa9", false, "caf\xc3\xa9"},
  };
  for (const auto& [text, key, expected] : cases) {
    EXPECT_EQ(JavaPropertiesEscape(text, key), expected) << text;
  }
}

}  // namespace
}  // namespace sparkd
