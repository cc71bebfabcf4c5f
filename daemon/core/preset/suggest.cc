#include "daemon/core/preset/suggest.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace sparkd {
namespace {

char Fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Myers' bit-parallel Levenshtein distance (in Hyyrö's formulation) of a pattern of at most 64
// bytes: one column of the dynamic programme per machine word, so a candidate costs a few
// operations per byte instead of a row of cells per byte.
class PatternMasks {
 public:
  static constexpr size_t kMaxPattern = 64;

  explicit PatternMasks(std::string_view pattern) : size_(pattern.size()) {
    for (size_t i = 0; i < pattern.size(); ++i) {
      masks_[static_cast<unsigned char>(Fold(pattern[i]))] |= uint64_t{1} << i;
    }
  }

  size_t Distance(std::string_view text) const {
    if (size_ == 0) return text.size();
    uint64_t vertical_plus = ~uint64_t{0}, vertical_minus = 0;
    const uint64_t last = uint64_t{1} << (size_ - 1);
    size_t score = size_;
    for (char c : text) {
      uint64_t eq = masks_[static_cast<unsigned char>(Fold(c))];
      uint64_t xv = eq | vertical_minus;
      uint64_t xh = (((eq & vertical_plus) + vertical_plus) ^ vertical_plus) | eq;
      uint64_t horizontal_plus = vertical_minus | ~(xh | vertical_plus);
      uint64_t horizontal_minus = vertical_plus & xh;
      if (horizontal_plus & last) {
        ++score;
      } else if (horizontal_minus & last) {
        --score;
      }
      // Row 0 of the programme grows by one per text byte: a +1 enters at the bottom.
      horizontal_plus = (horizontal_plus << 1) | 1;
      horizontal_minus <<= 1;
      vertical_plus = horizontal_minus | ~(xv | horizontal_plus);
      vertical_minus = horizontal_plus & xv;
    }
    return score;
  }

 private:
  std::array<uint64_t, 256> masks_{};
  size_t size_;
};

size_t LengthGap(std::string_view a, std::string_view b) {
  return a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
}

}  // namespace

size_t BoundedEditDistance(std::string_view a, std::string_view b, size_t bound) {
  if (a.size() > b.size()) std::swap(a, b);
  const size_t over = bound + 1;
  if (b.size() - a.size() > bound) return over;
  // One row of the dynamic programme, reused: suggestions run on every unknown key.
  thread_local std::vector<size_t> row;
  row.assign(b.size() + 1, over);
  for (size_t j = 0; j <= std::min(b.size(), bound); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    // Only cells within `bound` of the diagonal can stay within `bound`.
    size_t lo = i > bound ? i - bound : 1;
    size_t hi = std::min(b.size(), i + bound);
    size_t diagonal = row[lo - 1];
    row[lo - 1] = lo == 1 ? i : over;
    size_t row_min = row[lo - 1];
    for (size_t j = lo; j <= hi; ++j) {
      size_t above = row[j];
      size_t cost = Fold(a[i - 1]) == Fold(b[j - 1]) ? 0 : 1;
      size_t cell = std::min({above + 1, row[j - 1] + 1, diagonal + cost, over});
      row[j] = cell;
      diagonal = above;
      row_min = std::min(row_min, cell);
    }
    if (row_min > bound) return over;  // every path through this row is already too long
  }
  return std::min(row[b.size()], over);
}

size_t EditDistance(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (a.size() <= PatternMasks::kMaxPattern) return PatternMasks(a).Distance(b);
  return BoundedEditDistance(a, b, b.size());
}

std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates) {
  // A third of the word, at least 2: "tolerations" ← "toleratoins", not "name" ← "file".
  size_t limit = std::max<size_t>(2, word.size() / 3);
  std::string_view best;
  size_t best_distance = limit + 1;
  std::optional<PatternMasks> masks;
  if (word.size() <= PatternMasks::kMaxPattern) masks.emplace(word);
  for (std::string_view candidate : candidates) {
    // Only a closer candidate than the best so far matters, and the difference in length is
    // a lower bound of the distance.
    if (LengthGap(word, candidate) >= best_distance) continue;
    size_t d = masks ? masks->Distance(candidate)
                     : BoundedEditDistance(word, candidate, best_distance - 1);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
      if (d == 0) break;
    }
  }
  return std::string(best);
}

std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates) {
  std::string match = ClosestMatch(word, candidates);
  if (match.empty()) return "";
  return "; did you mean \"" + match + "\"?";
}

}  // namespace sparkd
