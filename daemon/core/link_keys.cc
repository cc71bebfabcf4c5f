#include "daemon/core/link_keys.h"

#include <charconv>

namespace sparkd {
namespace {

Status RequireAdmin(const Caller& caller) {
  if (caller.IsPlatformAdmin()) return Status::Ok();
  return PermissionDenied("only platform admins manage the link signing keys");
}

}  // namespace

StatusOr<std::vector<LinkKeyInfo>> LinkKeyAdmin::Rotate(
    const Caller& caller, std::optional<std::chrono::seconds> retire_older_than) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  if (retire_older_than && retire_older_than->count() < 0) {
    return InvalidArgument("retire_older_than: must not be negative");
  }
  return store_->Rotate(retire_older_than);
}

StatusOr<std::vector<LinkKeyInfo>> LinkKeyAdmin::List(const Caller& caller) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  return store_->List();
}

StatusOr<std::chrono::seconds> ParseDuration(std::string_view text, std::string_view what) {
  auto invalid = [&] {
    return InvalidArgument(std::string(what) + ": \"" + std::string(text) +
                           "\" is not a duration such as 7d, 12h, 30m or 45s");
  };
  if (text.empty()) return invalid();
  int64_t total = 0;
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (at < end) {
    int64_t n = 0;
    auto [unit, error] = std::from_chars(at, end, n);
    if (error != std::errc() || unit == end || n < 0) return invalid();
    int64_t scale = *unit == 'd'   ? 86400
                    : *unit == 'h' ? 3600
                    : *unit == 'm' ? 60
                    : *unit == 's' ? 1
                                   : 0;
    if (scale == 0 || n > (int64_t{1} << 40) / scale) return invalid();
    total += n * scale;
    at = unit + 1;
  }
  return std::chrono::seconds(total);
}

}  // namespace sparkd
