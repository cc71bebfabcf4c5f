// Retries, the QPS limit and the request log against a real kube-apiserver, with a TCP proxy
// to refuse connections and API Priority and Fairness to answer real 429s. Time is a
// FakeClock: backoff and throttling waits are recorded, not slept.
#include <curl/curl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <sstream>

#include "daemon/core/log_capture_testing.h"
#include "daemon/kube/fake_clock.h"
#include "daemon/kube/kube_test_env.h"
#include "daemon/kube/test_proxy.h"

namespace sparkd::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

using ClientRetryTest = KubeIntegrationTest;

// Nothing listens there (the port was free a moment ago).
int ClosedPort() { return FreePort(); }

ClientOptions Faked(FakeClock* clock, int attempts) {
  ClientOptions options;
  options.clock = clock;
  options.retry.max_attempts = attempts;
  return options;
}

// Needs no API server: nothing listens on the port.
TEST(ClientNoServerTest, RefusedConnectionsAreRetriedWithBackoffThenUnavailable) {
  FakeClock clock;
  KubeConfig config;
  config.server = "https://127.0.0.1:" + std::to_string(ClosedPort());
  auto client = NewClient(config, Faked(&clock, 3));
  ASSERT_TRUE(client.ok());
  auto got = (*client)->Get(kPods, "ns", "p");
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(got.status().message().find("get pods \"ns/p\": no answer from the API server " +
                                        config.server),
            std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("Failed to connect to 127.0.0.1"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("(3 attempts)"), std::string::npos);
  std::vector<nanoseconds> sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);  // between the attempts: 200 ms and 400 ms, plus jitter
  EXPECT_GE(sleeps[0], milliseconds(200));
  EXPECT_LT(sleeps[0], milliseconds(300));
  EXPECT_GE(sleeps[1], milliseconds(400));
  EXPECT_LT(sleeps[1], milliseconds(600));
  ClientStats stats = (*client)->Stats();
  EXPECT_EQ(stats.requests, (std::vector<RequestCount>{{"get", 0, 3}}));
  EXPECT_EQ(stats.retries, 2u);
}

TEST(ClientNoServerTest, StopEndsABackoffWait) {
  KubeConfig config;
  config.server = "https://127.0.0.1:" + std::to_string(ClosedPort());
  ClientOptions options;
  options.retry.max_attempts = 100;
  options.retry.initial_backoff = std::chrono::hours(1);
  auto client = NewClient(config, options);
  ASSERT_TRUE(client.ok());
  StopSignal stop;
  std::thread stopper([&] { stop.Stop(); });
  auto list = (*client)->List(kPods, "ns", {.stop = &stop});
  stopper.join();
  EXPECT_EQ(list.status().code(), StatusCode::kCancelled) << list.status().ToString();
}

TEST_F(ClientRetryTest, RetriedCreateThatFindsItsObjectIsAlreadyExists) {
  TestProxy proxy(ApiPort());
  proxy.SetAccepting(false);
  FakeClock clock;
  // While the client backs off, the object appears (as if the first attempt had made it)
  // and the connection comes back.
  clock.OnSleep([&] {
    ASSERT_TRUE(admin_->Create(kConfigMaps, ns_, ConfigMap("made-meanwhile")).ok());
    proxy.SetAccepting(true);
    clock.OnSleep(nullptr);
  });
  KubeConfig config = AdminConfig();
  config.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  auto client = NewTestClient(config, Faked(&clock, 3));
  auto created = client->Create(kConfigMaps, ns_, ConfigMap("made-meanwhile"));
  EXPECT_EQ(created.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(created.status().message().find("configmaps \"made-meanwhile\" already exists"),
            std::string::npos);
  EXPECT_NE(created.status().message().find("this create was retried"), std::string::npos)
      << created.status().message();
  EXPECT_EQ(client->Stats().requests,
            (std::vector<RequestCount>{{"create", 0, 1}, {"create", 409, 1}}));
}

TEST_F(ClientRetryTest, GeneratedNameCreateIsRetriedOnlyWhenNothingWasSent) {
  TestProxy proxy(ApiPort());
  proxy.SetAccepting(false);
  FakeClock clock;
  clock.OnSleep([&] { proxy.SetAccepting(true); });
  KubeConfig config = AdminConfig();
  config.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  auto client = NewTestClient(config, Faked(&clock, 3));
  nlohmann::json object = {{"metadata", {{"generateName", "gen-"}}}};
  auto created = client->Create(kConfigMaps, ns_, object);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["metadata"]["name"].get<std::string>().rfind("gen-", 0), 0u);
  auto all = admin_->List(kConfigMaps, ns_, {});
  int generated = 0;
  for (const auto& item : all->items) generated += item["metadata"]["name"] != "kube-root-ca.crt";
  EXPECT_EQ(generated, 1);
}

// Holds the one request a priority level of no seats still lets in (APF dispatches a request
// whenever none is executing): a create whose body stops after one byte until Release(), so
// the server sits inside it, past flow control and authorization.
class SeatHolder {
 public:
  SeatHolder(std::string url, std::string token, std::string ca_pem)
      : url_(std::move(url)), token_(std::move(token)), ca_pem_(std::move(ca_pem)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SeatHolder() { Join(); }
  void Join() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static size_t Read(char* buffer, size_t size, size_t count, void* self) {
    auto* holder = static_cast<SeatHolder*>(self);
    const std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held"}})";
    size_t n = std::min(size * count, body.size() - holder->sent_);
    if (holder->sent_ == 1) {
      std::unique_lock lock(holder->mu_);
      holder->cv_.wait(lock, [&] { return holder->released_; });
    }
    if (holder->sent_ == 0) n = 1;
    std::memcpy(buffer, body.data() + holder->sent_, n);
    holder->sent_ += n;
    return n;
  }
  void Run() {
    CURL* easy = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token_).c_str());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_blob ca{const_cast<char*>(ca_pem_.data()), ca_pem_.size(), CURL_BLOB_COPY};
    curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);  // a chunked body
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &Read);
    curl_easy_setopt(easy, CURLOPT_READDATA, this);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &ca);
    curl_easy_setopt(
        easy, CURLOPT_WRITEFUNCTION,
        +[](char*, size_t size, size_t count, void*) { return size * count; });
    curl_easy_perform(easy);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
  }

  const std::string url_, token_, ca_pem_;
  size_t sent_ = 0;  // the curl thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

nlohmann::json RejectingPriorityLevel(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"spec",
           {{"type", "Limited"},
            {"limited",
             {{"nominalConcurrencyShares", 0},
              {"lendablePercent", 0},
              {"borrowingLimitPercent", 0},
              {"limitResponse", {{"type", "Reject"}}}}}}}};
}

nlohmann::json FlowSchemaFor(const std::string& name, const std::string& ns) {
  return {{"metadata", {{"name", name}}},
          {"spec",
           {{"priorityLevelConfiguration", {{"name", name}}},
            {"matchingPrecedence", 500},
            {"distinguisherMethod", {{"type", "ByUser"}}},
            {"rules",
             {{{"subjects", {{{"kind", "User"}, {"user", {{"name", "sparkd"}}}}}},
               {"resourceRules",
                {{{"verbs", {"*"}},
                  {"apiGroups", {"*"}},
                  {"resources", {"*"}},
                  {"namespaces", {ns}}}}}}}}}}};
}

// Deletes cluster-scoped objects a test made, however it ends.
struct ClusterObjects {
  Client* client;
  std::vector<std::pair<Resource, std::string>> made;
  ~ClusterObjects() {
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      (void)client->Delete(it->first, "", it->second);
    }
  }
};

void GrantConfigMaps(Client& admin, const std::string& ns) {
  Resource roles{"rbac.authorization.k8s.io/v1", "roles"};
  Resource bindings{"rbac.authorization.k8s.io/v1", "rolebindings"};
  ASSERT_TRUE(admin
                  .Create(roles, ns,
                          {{"metadata", {{"name", "configmaps"}}},
                           {"rules",
                            {{{"apiGroups", {""}},
                              {"resources", {"configmaps"}},
                              {"verbs", {"get", "create"}}}}}})
                  .ok());
  ASSERT_TRUE(admin
                  .Create(bindings, ns,
                          {{"metadata", {{"name", "configmaps"}}},
                           {"subjects",
                            {{{"kind", "User"},
                              {"name", "sparkd"},
                              {"apiGroup", "rbac.authorization.k8s.io"}}}},
                           {"roleRef",
                            {{"kind", "Role"},
                             {"name", "configmaps"},
                             {"apiGroup", "rbac.authorization.k8s.io"}}}})
                  .ok());
}

// API Priority and Fairness answers real 429s with a Retry-After: a level of no seats whose
// one tolerated request is held open rejects every other request of user sparkd here.
TEST_F(ClientRetryTest, TooManyRequestsIsRetriedAfterTheServersRetryAfter) {
  GrantConfigMaps(*admin_, ns_);
  ClientOptions once;
  once.retry.max_attempts = 1;
  auto probe = NewTestClient(SparkdConfig(), once);
  ASSERT_TRUE(WaitFor([&] {
    return probe->Get(kConfigMaps, ns_, "none").status().code() == StatusCode::kNotFound;
  }));
  ClusterObjects cleanup{admin_.get(), {}};
  Resource levels{"flowcontrol.apiserver.k8s.io/v1", "prioritylevelconfigurations"};
  Resource schemas{"flowcontrol.apiserver.k8s.io/v1", "flowschemas"};
  ASSERT_TRUE(admin_->Create(levels, "", RejectingPriorityLevel(ns_)).ok());
  cleanup.made.push_back({levels, ns_});
  ASSERT_TRUE(admin_->Create(schemas, "", FlowSchemaFor(ns_, ns_)).ok());
  cleanup.made.push_back({schemas, ns_});
  KubeConfig sparkd = SparkdConfig();
  // A holder that arrived before the new flow schema took effect ran in another level: the
  // probe then gets through, and a new holder is started.
  std::unique_ptr<SeatHolder> holder;
  Status seen;
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (seen.message().find("HTTP 429") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << seen.ToString();
    holder.reset();
    holder = std::make_unique<SeatHolder>(
        sparkd.server + "/api/v1/namespaces/" + ns_ + "/configmaps", sparkd.token, sparkd.ca_pem);
    WaitFor(
        [&] {
          seen = probe->Get(kConfigMaps, ns_, "none").status();
          return seen.message().find("HTTP 429") != std::string::npos;
        },
        seconds(2));
  }
  EXPECT_EQ(seen.code(), StatusCode::kUnavailable);

  FakeClock clock;
  auto client = NewTestClient(sparkd, Faked(&clock, 4));
  auto got = client->Get(kConfigMaps, ns_, "none");
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  // Measured: APF's 429 is plain text, not a Status object.
  EXPECT_NE(got.status().message().find(
                "HTTP 429: Too many requests, please try again later. (4 attempts)"),
            std::string::npos)
      << got.status().message();
  EXPECT_EQ(client->Stats().requests, (std::vector<RequestCount>{{"get", 429, 4}}));
  ASSERT_EQ(clock.sleeps().size(), 3u);
  for (nanoseconds sleep : clock.sleeps()) {
    // The server's Retry-After (whole seconds), not the 200 ms backoff.
    EXPECT_GE(sleep, seconds(1));
    EXPECT_EQ(sleep % seconds(1), nanoseconds(0)) << sleep.count();
    RecordProperty("retry_after_seconds",
                   static_cast<int>(std::chrono::duration_cast<seconds>(sleep).count()));
  }
  // The seat frees while the client waits: its next attempt goes through.
  clock.OnSleep([&] { holder->Join(); });
  auto after = client->Get(kConfigMaps, ns_, "held");
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

TEST_F(ClientRetryTest, QpsLimitPacesEveryCallOfTheClient) {
  FakeClock clock;
  ClientOptions options;
  options.clock = &clock;
  options.qps = 5;
  options.burst = 2;
  auto client = NewTestClient(AdminConfig(), options);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(client->Get(kNamespaces, "", ns_).ok());
  // Time moves only by the waits: 12 calls at 5/s after a burst of 2 span (12 - 2) / 5 s.
  std::vector<nanoseconds> sleeps = clock.sleeps();
  EXPECT_EQ(sleeps, std::vector<nanoseconds>(10, milliseconds(200)));
  ClientStats stats = client->Stats();
  EXPECT_EQ(stats.throttled, seconds(2));
  EXPECT_EQ(stats.requests, (std::vector<RequestCount>{{"get", 200, 12}}));
}

TEST_F(ClientRetryTest, RequestLogNeverShowsTheToken) {
  LogCapture log(spdlog::level::debug);
  KubeConfig config = AdminConfig();
  auto client = NewTestClient(config);
  EXPECT_TRUE(client->Get(kNamespaces, "", ns_).ok());
  EXPECT_FALSE(client->Get(kConfigMaps, ns_, "none").ok());
  std::string text = log.str();
  EXPECT_NE(text.find("GET " + config.server + "/api/v1/namespaces/" + ns_ + " -> 200"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("/configmaps/none -> 404"), std::string::npos) << text;
  ASSERT_FALSE(config.token.empty());
  EXPECT_EQ(text.find(config.token), std::string::npos);
  EXPECT_EQ(text.find("Bearer"), std::string::npos);
}

}  // namespace
}  // namespace sparkd::kube
