// How java.util.Properties writes a key or value, which is how spark-submit and the Spark
// driver read the properties files sparkd writes for them.
#pragma once

#include <string>
#include <string_view>

namespace sparkd {

// java.util.Properties.saveConvert with escapeUnicode off, as store(Writer) calls it: '\\',
// tab, newline, carriage return and form feed escaped, '=', ':', '#' and '!' escaped, a space
// escaped in a key and at the start of a value. Bytes of UTF-8 sequences are at least 0x80 and
// pass through unchanged, as their chars do in Java.
std::string JavaPropertiesEscape(std::string_view text, bool is_key);

}  // namespace sparkd
