// One HTTP exchange with the API server over libcurl: TLS from the KubeConfig, a pool of
// reusable handles (each keeps its connections open), streaming bodies, and a stop signal
// that wakes a transfer blocked waiting for data. Private to the client (curl_client.cc).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/kube/config.h"
#include "daemon/kube/retry.h"
#include "daemon/kube/timing.h"

namespace sparkd::kube {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::string content_type;  // for a body
  std::string accept = "application/json";
  std::string authorization;         // "Bearer ..."; never logged
  std::chrono::seconds timeout{60};  // the whole exchange; 0: none (a followed log)
  // Gets a 2xx answer's body as it arrives; returning false ends the transfer. Null: the
  // body is collected into HttpResponse::body. Error answers are always collected.
  std::function<bool(std::string_view)> on_data;
  const StopSignal* stop = nullptr;
};

struct HttpResponse {
  int status = 0;  // 0: no answer
  std::string body;
  std::string retry_after;  // the header, if any
  // kResponse when the exchange completed; otherwise why it did not (a stream that breaks
  // after its 2xx status line has status 200 and kBroken).
  AttemptOutcome outcome = AttemptOutcome::kResponse;
  std::string error;           // curl's description when the exchange did not complete
  bool stopped = false;        // the StopSignal ended it
  bool ended_by_data = false;  // on_data returned false
};

// Thread-safe: each Perform takes its own handle from the pool.
class CurlTransport {
 public:
  // Fails (INVALID_ARGUMENT) when curl cannot be initialised.
  static StatusOr<std::unique_ptr<CurlTransport>> Create(const KubeConfig& config,
                                                         std::chrono::seconds connect_timeout,
                                                         std::string user_agent);
  ~CurlTransport();

  HttpResponse Perform(const HttpRequest& request);

 private:
  struct Channel;
  CurlTransport(const KubeConfig& config, std::chrono::seconds connect_timeout,
                std::string user_agent);
  std::unique_ptr<Channel> Acquire();
  void Release(std::unique_ptr<Channel> channel);
  void Configure(Channel& channel, const HttpRequest& request);

  const std::string ca_pem_, client_cert_pem_, client_key_pem_;
  const bool insecure_;
  const std::chrono::seconds connect_timeout_;
  const std::string user_agent_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Channel>> idle_;  // GUARDED_BY(mu_)
};

}  // namespace sparkd::kube
