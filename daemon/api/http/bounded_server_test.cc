// BoundedServer over real loopback sockets, with limits small enough to watch them act: slow
// clients are cut at the request deadline, one address cannot hold more than its share, the
// pool grows past httplib's fixed eight threads and shrinks back.
#include "daemon/api/http/bounded_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>

namespace sparkd::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// True once the server closed `fd` (end of file or reset), within `timeout`.
bool ClosedByServer(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[4096];
      ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
    }
  }
  return false;
}

std::string Send(int fd, std::string_view text) {
  EXPECT_EQ(send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  return std::string(text);
}

class BoundedServerTest : public ::testing::Test {
 protected:
  void Start(ConnectionLimits limits) {
    server_ = std::make_unique<BoundedServer>(limits);
    server_->Get("/ping", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("pong", "text/plain");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(1ms);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  // GET /ping on a new connection: how long it took, or nullopt when it failed.
  std::optional<std::chrono::milliseconds> Ping() {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2);
    client.set_read_timeout(2);
    auto started = Clock::now();
    auto res = client.Get("/ping");
    if (!res || res->status != 200 || res->body != "pong") return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  }

  std::unique_ptr<BoundedServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(BoundedServerTest, SlowClientsAreCutAtTheDeadlineWhileOthersAreServed) {
  ConnectionLimits limits;
  limits.request_read_deadline = 1500ms;
  limits.read_timeout = 1000ms;
  limits.keep_alive_timeout = 1000ms;
  Start(limits);
  struct Slow {
    std::string name;
    std::string first;  // sent at once
    std::string drip;   // sent every 200 ms after
  } kinds[] = {
      {"a header line at a time", "GET /ping HTTP/1.1\r\n", "X-Slow: 1\r\n"},
      {"a byte at a time", "G", "E"},
      {"a body a byte at a time", "POST /ping HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", "x"},
      {"nothing at all", "", ""},
  };
  // More slow clients than httplib's default pool (8 threads) has threads.
  std::vector<std::pair<int, const Slow*>> conns;
  for (int i = 0; i < 24; ++i) {
    const Slow& kind = kinds[i % 4];
    int fd = Connect(port_);
    if (!kind.first.empty()) Send(fd, kind.first);
    conns.emplace_back(fd, &kind);
  }
  auto started = Clock::now();
  std::vector<bool> closed(conns.size(), false);
  while (Clock::now() - started < 5s) {
    for (size_t i = 0; i < conns.size(); ++i) {
      if (closed[i]) continue;
      if (ClosedByServer(conns[i].first, 1ms)) {
        closed[i] = true;
        continue;
      }
      const std::string& drip = conns[i].second->drip;
      if (!drip.empty()) (void)send(conns[i].first, drip.data(), drip.size(), MSG_NOSIGNAL);
    }
    if (Clock::now() - started < 1s) {
      auto took = Ping();
      ASSERT_TRUE(took) << "/ping failed while slow clients hung on";
      EXPECT_LT(*took, 500ms);
    }
    if (std::all_of(closed.begin(), closed.end(), [](bool c) { return c; })) break;
    std::this_thread::sleep_for(200ms);
  }
  for (size_t i = 0; i < conns.size(); ++i) {
    EXPECT_TRUE(closed[i]) << conns[i].second->name << " was not cut";
    close(conns[i].first);
  }
  EXPECT_LT(Clock::now() - started, 4s);
  EXPECT_TRUE(Ping());
}

TEST_F(BoundedServerTest, OneAddressHoldsAtMostItsShare) {
  ConnectionLimits limits;
  limits.max_connections_per_client = 4;
  limits.keep_alive_timeout = 5000ms;
  Start(limits);
  // Five quiet connections from 127.0.0.1: whichever is admitted last finds the four places
  // taken and is closed at once; the others wait for their request.
  std::vector<int> conns;
  for (int i = 0; i < 5; ++i) conns.push_back(Connect(port_));
  std::vector<int> kept;
  int refused = 0;
  for (int fd : conns) {
    if (ClosedByServer(fd, 500ms)) {
      ++refused;
      close(fd);
    } else {
      kept.push_back(fd);
    }
  }
  EXPECT_EQ(refused, 1);
  EXPECT_FALSE(Ping()) << "a sixth connection got in";
  close(kept.back());
  kept.pop_back();
  // The freed place goes to the next connection.
  auto deadline = Clock::now() + 2s;
  bool served = false;
  while (!served && Clock::now() < deadline) served = Ping().has_value();
  EXPECT_TRUE(served);
  for (int fd : kept) close(fd);
}

TEST_F(BoundedServerTest, AnOversizedHeadIsRefused) {
  ConnectionLimits limits;
  limits.max_head_bytes = 4096;
  Start(limits);
  int fd = Connect(port_);
  std::string request = "GET /ping HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i)
    request += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
  request += "\r\n";
  (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[256] = {};
  ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
  EXPECT_TRUE(n <= 0 || std::string(buf).starts_with("HTTP/1.1 400")) << buf;
  EXPECT_TRUE(ClosedByServer(fd, 2000ms));
  close(fd);
  EXPECT_TRUE(Ping());
}

TEST_F(BoundedServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start(ConnectionLimits{});
  httplib::Client client("127.0.0.1", port_);
  client.set_keep_alive(true);
  for (int i = 0; i < 20; ++i) {
    auto res = client.Get("/ping");
    ASSERT_TRUE(res) << i;
    EXPECT_EQ(res->body, "pong");
    EXPECT_EQ(res->get_header_value("Connection"), "");
  }
}

TEST_F(BoundedServerTest, StoppingDoesNotWaitForSlowClients) {
  ConnectionLimits limits;
  limits.keep_alive_timeout = 10'000ms;
  limits.request_read_deadline = 10'000ms;
  Start(limits);
  int quiet = Connect(port_);  // waits for its first request
  int slow = Connect(port_);   // inside its request head
  Send(slow, "GET /ping HTTP/1.1\r\n");
  ASSERT_TRUE(Ping());  // both are held by now: the pool serves in order
  auto started = Clock::now();
  server_->stop();
  server_->CloseConnections();
  thread_.join();
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_TRUE(ClosedByServer(quiet, 1000ms));
  EXPECT_TRUE(ClosedByServer(slow, 1000ms));
  close(quiet);
  close(slow);
}

TEST(ElasticTaskQueueTest, GrowsWithTheTasksAndShrinksWhenIdle) {
  ElasticTaskQueue queue(16, std::chrono::seconds(1));
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> running = 0;
  for (int i = 0; i < 12; ++i) {
    queue.enqueue([&] {
      ++running;
      released.wait();
    });
  }
  auto deadline = Clock::now() + 5s;
  while (running < 12 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(running, 12) << "every task runs at once: none waits for a thread";
  EXPECT_EQ(queue.threads(), 12u);
  release.set_value();
  // Idle threads end after a second; the next task finds them gone.
  deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    std::atomic<bool> done = false;
    queue.enqueue([&] { done = true; });
    while (!done) std::this_thread::sleep_for(1ms);
    if (queue.threads() <= 2) break;
  }
  EXPECT_LE(queue.threads(), 2u);
  queue.shutdown();
}

TEST(ElasticTaskQueueTest, StopsAtItsCeiling) {
  ElasticTaskQueue queue(3, std::chrono::seconds(30));
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> done = 0;
  for (int i = 0; i < 6; ++i) {
    queue.enqueue([&] {
      released.wait();
      ++done;
    });
  }
  EXPECT_EQ(queue.threads(), 3u);
  release.set_value();
  queue.shutdown();  // runs what is queued
  EXPECT_EQ(done, 6);
}

}  // namespace
}  // namespace sparkd::api
