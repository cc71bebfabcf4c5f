#include "daemon/kube/watch_stream.h"

namespace sparkd::kube {

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

StatusOr<WatchEvent> ParseWatchEvent(std::string_view line) {
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto snippet = [&] { return std::string(line.substr(0, 120)); };
  if (doc.is_discarded() || !doc.is_object()) {
    return Internal("watch stream: not a JSON object: " + snippet());
  }
  auto type = doc.find("type");
  auto object = doc.find("object");
  if (type == doc.end() || !type->is_string() || object == doc.end() || !object->is_object()) {
    return Internal("watch stream: an event needs a string \"type\" and an object \"object\": " +
                    snippet());
  }
  static constexpr WatchEventType kTypes[] = {WatchEventType::kAdded, WatchEventType::kModified,
                                              WatchEventType::kDeleted, WatchEventType::kBookmark,
                                              WatchEventType::kError};
  for (WatchEventType t : kTypes) {
    if (type->get_ref<const std::string&>() == WatchEventTypeName(t)) {
      return WatchEvent{t, std::move(*object)};
    }
  }
  return Internal("watch stream: unknown event type \"" + type->get<std::string>() + "\"");
}

bool LineSplitter::Feed(std::string_view data,
                        const std::function<bool(std::string_view)>& on_line) {
  while (!data.empty()) {
    size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      if (partial_.size() + data.size() > max_line_) {
        overflowed_ = true;
        return false;
      }
      partial_.append(data);
      return true;
    }
    std::string_view line = data.substr(0, newline);
    data.remove_prefix(newline + 1);
    // The common case, a whole line in one piece, goes out without a copy.
    if (!partial_.empty()) {
      partial_.append(line);
      line = partial_;
    }
    if (line.size() > max_line_) {
      overflowed_ = true;
      return false;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool keep_going = line.empty() || on_line(line);
    partial_.clear();
    if (!keep_going) return false;
  }
  return true;
}

}  // namespace sparkd::kube
