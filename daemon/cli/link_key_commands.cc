#include "daemon/cli/link_key_commands.h"

#include <iostream>

#include "daemon/cli/client_common.h"
#include "daemon/cli/job_printer.h"
#include "daemon/core/link_keys.h"
#include "sparkd/v1/link_keys.grpc.pb.h"

namespace sparkd::cli {
namespace {

void PrintKeys(const google::protobuf::RepeatedPtrField<v1::LinkKey>& keys) {
  std::cout << "KID  CREATED               RETIRED\n";
  for (const auto& key : keys) {
    std::string id = std::to_string(key.id());
    std::cout << id << std::string(id.size() < 5 ? 5 - id.size() : 1, ' ')
              << TimeText(key.created_at()) << "  "
              << (key.has_retired_at() ? TimeText(key.retired_at()) : "-") << "\n";
  }
}

}  // namespace

int RotateLinkKey(const std::vector<std::string>& args, const char* usage) {
  auto flags = ParseCommandFlags(args, FlagSpec{{"retire-older-than"}, {}, {}}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  if (!flags->positional.empty()) {
    return UsageExit(InvalidArgument("unexpected argument \"" + flags->positional[0] + "\""),
                     usage);
  }
  v1::RotateLinkKeyRequest request;
  if (auto text = flags->Get("retire-older-than")) {
    auto duration = ParseDuration(*text, "--retire-older-than");
    if (!duration.ok()) return UsageExit(duration.status(), usage);
    request.mutable_retire_older_than()->set_seconds(duration->count());
  }
  v1::RotateLinkKeyResponse response;
  auto stub = v1::LinkKeyService::NewStub(DaemonChannel(*flags));
  auto status = stub->RotateLinkKey(AuthorizedContext().get(), request, &response);
  if (!status.ok()) return ReportError(status, *flags);
  if (!response.keys().empty()) {
    std::cerr << "key " << response.keys(0).id() << " signs the job links from now on\n";
  }
  PrintKeys(response.keys());
  return 0;
}

int ListLinkKeys(const std::vector<std::string>& args, const char* usage) {
  auto flags = ParseCommandFlags(args, {}, usage);
  if (!flags.ok()) return UsageExit(flags.status(), usage);
  if (!flags->positional.empty()) {
    return UsageExit(InvalidArgument("unexpected argument \"" + flags->positional[0] + "\""),
                     usage);
  }
  v1::ListLinkKeysResponse response;
  auto stub = v1::LinkKeyService::NewStub(DaemonChannel(*flags));
  auto status = stub->ListLinkKeys(AuthorizedContext().get(), {}, &response);
  if (!status.ok()) return ReportError(status, *flags);
  PrintKeys(response.keys());
  return 0;
}

}  // namespace sparkd::cli
