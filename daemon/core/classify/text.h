// Internal to the classifier: allocation-free helpers over std::string_view. Hand-written
// scanning instead of std::regex keeps every pass linear in the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sparkd::classify::text {

std::string_view Trim(std::string_view s);
bool Contains(std::string_view s, std::string_view needle);
// ASCII case-insensitive search; npos when absent.
size_t FindNoCase(std::string_view s, std::string_view needle);
bool ContainsNoCase(std::string_view s, std::string_view needle);
bool EqualsNoCase(std::string_view a, std::string_view b);

// Parses an optionally signed decimal integer at the start of `s` (after spaces); nullopt if
// none or out of int range.
std::optional<int> LeadingInt(std::string_view s);
// The integer following the first occurrence of `key` in `s`.
std::optional<int> IntAfter(std::string_view s, std::string_view key);
// What follows `key` up to the end of `s` (trimmed); empty when `key` is absent.
std::string_view After(std::string_view s, std::string_view key);
// The leading run of [A-Za-z0-9_.-] of `s`.
std::string_view Word(std::string_view s);
// Strips one pair of matching quotes.
std::string_view Unquote(std::string_view s);
// Evidence text: trimmed, tabs and newlines flattened to single spaces, cut at `max` bytes
// with "..." so a 1 MB line never becomes a 1 MB JSON field.
std::string Evidence(std::string_view s, size_t max = 400);
bool IsDigits(std::string_view s);

}  // namespace sparkd::classify::text
