#include "daemon/kube/curl_transport.h"

#include <curl/curl.h>
#include <strings.h>

#include <mutex>

namespace sparkd::kube {
namespace {

constexpr size_t kMaxErrorBody = 1 << 20;
constexpr size_t kMaxIdleChannels = 16;

using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

struct Transfer {
  const HttpRequest* request;
  HttpResponse* response;
  CURL* easy;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.starts_with("HTTP/")) {
    transfer->response->retry_after.clear();  // a new answer (after 100 Continue, say)
  } else if (line.size() > kRetryAfter.size() &&
             strncasecmp(line.data(), kRetryAfter.data(), kRetryAfter.size()) == 0) {
    std::string_view value = line.substr(kRetryAfter.size());
    auto begin = value.find_first_not_of(" \t");
    auto end = value.find_last_not_of(" \t\r\n");
    transfer->response->retry_after =
        begin == std::string_view::npos ? "" : std::string(value.substr(begin, end - begin + 1));
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t length = size * count;
  long code = 0;
  curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &code);
  bool success = code >= 200 && code < 300;
  HttpResponse& response = *transfer->response;
  if (success && transfer->request->on_data) {
    if (transfer->request->on_data(std::string_view(data, length))) return length;
    response.ended_by_data = true;
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  }
  // An error page is only read for its message: a bounded prefix is enough.
  if (success || response.body.size() < kMaxErrorBody) response.body.append(data, length);
  return length;
}

AttemptOutcome Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return AttemptOutcome::kResponse;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:  // the handshake failed: no request went out
      return AttemptOutcome::kNotSent;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
      return AttemptOutcome::kNotRetrying;
    default:
      return AttemptOutcome::kBroken;
  }
}

}  // namespace

struct CurlTransport::Channel {
  Channel() : multi(curl_multi_init()), easy(curl_easy_init()) {}
  ~Channel() {
    if (easy) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
  }
  // A multi handle per channel, so a stop can wake curl_multi_poll; it also keeps the
  // channel's connections open between requests.
  CURLM* multi;
  CURL* easy;
  char error[CURL_ERROR_SIZE] = {};
};

StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(const KubeConfig& config,
                                                               std::chrono::seconds connect_timeout,
                                                               std::string user_agent) {
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK) {
    return InvalidArgument(std::string("cannot initialise libcurl: ") + curl_easy_strerror(init));
  }
  return std::unique_ptr<CurlTransport>(
      new CurlTransport(config, connect_timeout, std::move(user_agent)));
}

CurlTransport::CurlTransport(const KubeConfig& config, std::chrono::seconds connect_timeout,
                             std::string user_agent)
    : ca_pem_(config.ca_pem),
      client_cert_pem_(config.client_cert_pem),
      client_key_pem_(config.client_key_pem),
      insecure_(config.insecure_skip_tls_verify),
      connect_timeout_(connect_timeout),
      user_agent_(std::move(user_agent)) {}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Channel> CurlTransport::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto channel = std::move(idle_.back());
      idle_.pop_back();
      return channel;
    }
  }
  return std::make_unique<Channel>();
}

void CurlTransport::Release(std::unique_ptr<Channel> channel) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleChannels) idle_.push_back(std::move(channel));
}

namespace {

void SetBlob(CURL* easy, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(easy, option, &blob);
}

HeaderList Headers(const HttpRequest& request) {
  curl_slist* list = nullptr;
  list = curl_slist_append(list, ("Accept: " + request.accept).c_str());
  // Without this curl waits for "100 Continue" before sending a large body.
  list = curl_slist_append(list, "Expect:");
  if (!request.content_type.empty()) {
    list = curl_slist_append(list, ("Content-Type: " + request.content_type).c_str());
  }
  if (!request.authorization.empty()) {
    list = curl_slist_append(list, ("Authorization: " + request.authorization).c_str());
  }
  return HeaderList(list, &curl_slist_free_all);
}

// Runs the transfer added to `multi` to its end, or until `stop`; returns curl's result.
CURLcode Drive(CURLM* multi, const StopSignal* stop, HttpResponse& response) {
  int waker = -1;
  if (stop) waker = stop->AddWaker([multi] { curl_multi_wakeup(multi); });
  CURLcode result = CURLE_OK;
  for (bool done = false; !done;) {
    if (stop && stop->stopped()) {
      response.stopped = true;
      break;
    }
    int running = 0;
    CURLMcode code = curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg == CURLMSG_DONE) {
        result = message->data.result;
        done = true;
      }
    }
    if (code != CURLM_OK) {
      result = CURLE_SEND_ERROR;
      response.error = curl_multi_strerror(code);
      break;
    }
    // Returns when there is I/O, after a second, or when a stop wakes it.
    if (!done) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  if (waker >= 0) stop->RemoveWaker(waker);
  return result;
}

}  // namespace

void CurlTransport::Configure(Channel& channel, const HttpRequest& request) {
  CURL* easy = channel.easy;
  curl_easy_reset(easy);  // keeps the handle's open connections and TLS sessions
  channel.error[0] = '\0';
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, channel.error);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(connect_timeout_.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(request.timeout.count()));
  // A followed log may be silent for hours: keepalive probes notice a dead peer.
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 15L);
  if (insecure_) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!ca_pem_.empty()) {
    SetBlob(easy, CURLOPT_CAINFO_BLOB, ca_pem_);
  }
  if (!client_cert_pem_.empty()) {
    SetBlob(easy, CURLOPT_SSLCERT_BLOB, client_cert_pem_);
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(easy, CURLOPT_SSLKEY_BLOB, client_key_pem_);
    curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
}

HttpResponse CurlTransport::Perform(const HttpRequest& request) {
  std::unique_ptr<Channel> channel = Acquire();
  HttpResponse response;
  if (!channel->multi || !channel->easy) {
    response.outcome = AttemptOutcome::kNotRetrying;
    response.error = "cannot create a curl handle";
    return response;
  }
  Transfer transfer{&request, &response, channel->easy};
  Configure(*channel, request);
  HeaderList headers = Headers(request);
  curl_easy_setopt(channel->easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(channel->easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(channel->easy, CURLOPT_WRITEDATA, &transfer);
  curl_multi_add_handle(channel->multi, channel->easy);
  CURLcode result = Drive(channel->multi, request.stop, response);
  long status = 0;
  curl_easy_getinfo(channel->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(channel->multi, channel->easy);
  response.status = static_cast<int>(status);
  if (response.stopped) {
    response.outcome = AttemptOutcome::kNotRetrying;
    response.error = "stopped";
  } else if (result != CURLE_OK) {
    response.outcome = Classify(result);
    if (response.error.empty()) {
      response.error = channel->error[0] ? channel->error : curl_easy_strerror(result);
    }
  }
  Release(std::move(channel));
  return response;
}

}  // namespace sparkd::kube
