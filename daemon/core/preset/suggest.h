// Did-you-mean suggestions for misspelt keys, shared by every parser and validator of presets.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace sparkd {

// Levenshtein distance, case-insensitive (YAML authors mix up "nodeselector" and "nodeSelector").
size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate within a distance that scales with the word's length, or "".
std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates);

// `; did you mean "x"?` when a close candidate exists, else "".
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace sparkd
