// An httplib::Server that slow or greedy clients cannot take down.
//
// httplib gives each connection a pool thread for as long as the connection lasts, and its read
// timeout is per recv(): a client sending one header line every few seconds never trips it and
// holds its thread for good. Eight such clients took every thread of the default pool, and
// /healthz with them. So here:
//   - every read of one request (its head and its body) must finish within
//     `request_read_deadline` of its first byte, and the head within `max_head_bytes`;
//   - the pool grows with the connections (up to `max_threads`) and shrinks when they are gone;
//   - one client address holds at most `max_connections_per_client` connections at a time; the
//     ones over that are closed at once, without a thread waiting on them.
// A slow client costs one thread for at most the deadline, and many slow clients from one
// address cannot starve the others.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sparkd::api {

struct ConnectionLimits {
  std::chrono::milliseconds request_read_deadline{10'000};
  std::chrono::milliseconds read_timeout{5'000};   // one recv()
  std::chrono::milliseconds write_timeout{5'000};  // one send()
  std::chrono::milliseconds keep_alive_timeout{5'000};
  size_t keep_alive_max_requests = 100;
  size_t max_head_bytes = 64 * 1024;    // request line and headers
  size_t max_body_bytes = 1024 * 1024;  // no route takes uploads
  size_t max_threads = 512;             // the pool's ceiling
  size_t max_connections_per_client = 128;
  std::chrono::seconds idle_thread_exit{30};
};

// httplib's task queue, with as many threads as there are tasks (up to `max_threads`); a thread
// idle for `idle_exit` ends. The most recently idle thread takes the next task, so under a light
// load the same few threads serve and the others age out. Thread-safe.
class ElasticTaskQueue : public httplib::TaskQueue {
 public:
  ElasticTaskQueue(size_t max_threads, std::chrono::seconds idle_exit)
      : max_threads_(max_threads), idle_exit_(idle_exit) {}
  ~ElasticTaskQueue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins every thread.
  void shutdown() override;

  size_t threads() const;

 private:
  // A thread waiting for work, on its own condition so that it can be chosen.
  struct Idle {
    std::condition_variable cv;
    std::function<void()> task;  // handed over by enqueue
  };

  void Work();

  const size_t max_threads_;
  const std::chrono::seconds idle_exit_;
  mutable std::mutex mu_;
  std::deque<std::function<void()>> tasks_;         // GUARDED_BY(mu_): waiting for a thread
  std::vector<Idle*> idle_;                         // GUARDED_BY(mu_): the last is the newest
  std::map<std::thread::id, std::thread> workers_;  // GUARDED_BY(mu_)
  std::vector<std::thread::id> exited_;             // GUARDED_BY(mu_): to join
  bool shutdown_ = false;                           // GUARDED_BY(mu_)
};

class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(ConnectionLimits limits);

  // After stop(): ends every open connection now, so the pool's threads do not sit out their
  // clients' keep-alive waits and deadlines before the server can be joined.
  void CloseConnections();

 private:
  // httplib calls this on a pool thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;
  bool ServeConnection(socket_t sock);
  // False when `client` already holds its share of connections; else counts one more.
  bool AdmitClient(const std::string& client);
  void ReleaseClient(const std::string& client);

  const ConnectionLimits limits_;
  std::mutex clients_mu_;
  std::map<std::string, size_t> connections_by_client_;  // GUARDED_BY(clients_mu_)
  std::set<socket_t> open_;                              // GUARDED_BY(clients_mu_)
};

}  // namespace sparkd::api
