// Did-you-mean suggestions for misspelt keys, shared by every parser and validator of presets.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace sparkd {

// Levenshtein distance, case-insensitive (YAML authors mix up "nodeselector" and "nodeSelector").
size_t EditDistance(std::string_view a, std::string_view b);

// EditDistance when it is at most `bound`, else `bound + 1`. Costs O(min(|a|, |b|) * bound) at
// most and stops as soon as no alignment can stay within the bound. ClosestMatch uses it for
// words longer than 64 bytes; shorter ones take a bit-parallel path that costs a few machine
// operations per byte of each candidate, which keeps a suggestion for each of many unknown
// conf keys cheap.
size_t BoundedEditDistance(std::string_view a, std::string_view b, size_t bound);

// The first closest candidate within a distance that scales with the word's length, or "".
std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates);

// `; did you mean "x"?` when a close candidate exists, else "".
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace sparkd
