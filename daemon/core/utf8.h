// UTF-8 decoding, one code point at a time, for the places that check or escape user text
// (token descriptions, what the CLI prints).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace sparkd {

// The length of the UTF-8 sequence that `lead` starts (0: not a lead byte).
size_t Utf8SequenceLength(unsigned char lead);

// The code point of the UTF-8 sequence at text[pos], moving `pos` past it; nullopt (and `pos`
// unchanged) for a malformed or truncated sequence (overlong, a surrogate, past U+10FFFF).
std::optional<char32_t> NextCodePoint(std::string_view text, size_t& pos);

}  // namespace sparkd
