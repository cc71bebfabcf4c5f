#include "daemon/kube/client.h"

namespace sparkd::kube {

StatusOr<ListResult> ListAll(Client& client, const Resource& resource, std::string_view ns,
                             ListOptions options) {
  const ListOptions first = options;
  ListResult all;
  for (int restarts = 0;;) {
    auto page = client.List(resource, ns, options);
    if (!page.ok()) {
      // The continue token outlived etcd's compaction window: only a fresh list is consistent.
      bool expired = page.status().code() == StatusCode::kOutOfRange;
      if (expired && options.continue_token != first.continue_token && restarts++ < 3) {
        all = ListResult();
        options = first;
        continue;
      }
      return page.status();
    }
    for (auto& item : page->items) all.items.push_back(std::move(item));
    all.resource_version = page->resource_version;
    if (page->continue_token.empty()) return all;
    options.continue_token = page->continue_token;
    options.resource_version.clear();  // the server refuses both: the token pins the version
    options.resource_version_match.clear();
  }
}

}  // namespace sparkd::kube
