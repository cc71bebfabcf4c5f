// The wire format of a watch: one JSON object per line, {"type": ..., "object": ...}, split
// out of the byte stream curl hands over in arbitrary pieces.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace sparkd::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

std::string_view WatchEventTypeName(WatchEventType type);  // "ADDED", ...

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object; for kBookmark only its kind, apiVersion and metadata.resourceVersion (and
  // annotations) are set; for kError, the API server's Status object.
  nlohmann::json object;
};

// Parses one line of a watch stream. A line that is not such an event is INTERNAL naming the
// problem (the API server never sends one; a proxy might).
StatusOr<WatchEvent> ParseWatchEvent(std::string_view line);

// Cuts a byte stream into lines. Not thread-safe (one per stream).
class LineSplitter {
 public:
  // A line longer than `max_line` bytes fails the stream instead of growing without bound.
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  // Appends `data` and calls `on_line` for every complete line, without its "\n" (and "\r"),
  // skipping empty ones. Returns false when `on_line` returns false or a line is too long
  // (overflowed() says which); the splitter must not be fed again after that.
  bool Feed(std::string_view data, const std::function<bool(std::string_view)>& on_line);

  bool overflowed() const { return overflowed_; }
  // Bytes after the last "\n": a stream that ends with some is cut mid-line.
  size_t pending() const { return partial_.size(); }

 private:
  const size_t max_line_;
  std::string partial_;
  bool overflowed_ = false;
};

}  // namespace sparkd::kube
