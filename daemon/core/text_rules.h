// What text a request may carry. Every string of a job request ends up in PostgreSQL (which
// refuses NUL), on a command line or in an environment (where NUL ends the string), in a Spark
// properties file or a Kubernetes manifest (where a line break starts a new entry), or on a
// page. So every string must be valid UTF-8 without NUL, and only values that are never parsed
// line by line may hold line breaks.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace sparkd {

enum class TextKind {
  // Names, keys, paths, class names: no control character at all (C0, DEL, C1).
  kName,
  // Conf, env and label values: tab is the only control character; a line break in a value
  // would start a new entry of the spark.properties file the Kubernetes backends write.
  kValue,
  // Application arguments: tab and line breaks too (a multi-line SQL text is a fine argument);
  // they travel as separate argv entries or JSON strings, never as lines of a file.
  kArgument,
};

// Decodes the UTF-8 sequence at `text[i]` into `out`; returns its length, or 0 when it is not
// well-formed UTF-8 (overlong forms, surrogates and code points above U+10FFFF are not).
size_t DecodeUtf8(std::string_view text, size_t i, char32_t& out);

// "" when `text` is acceptable as `kind`, else why not ("contains a NUL byte at offset 3").
std::string TextProblem(std::string_view text, TextKind kind);

// INVALID_ARGUMENT "<field>: <problem>" when TextProblem finds one.
Status CheckText(std::string_view field, std::string_view text, TextKind kind);

}  // namespace sparkd
