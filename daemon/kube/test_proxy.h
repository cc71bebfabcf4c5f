// A TCP proxy on loopback for the client's integration tests: it stands between the client
// and a real kube-apiserver (TLS passes through untouched) so a test can cut every open
// connection, refuse new ones, or send them to another API server, as a network or an API
// server failover would. Test code only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sparkd::kube {

// Thread-safe; the pumping runs on the proxy's own thread.
class TestProxy {
 public:
  // Forwards 127.0.0.1:port() to 127.0.0.1:upstream_port.
  explicit TestProxy(int upstream_port);
  ~TestProxy();

  int port() const { return port_; }
  // Closes every open connection (clients see a reset or an early end of stream). Returns
  // once they are closed.
  void CutAll();
  // false: new connections are refused (the port closes); true: accepted again. Returns once
  // the port is closed or listening again.
  void SetAccepting(bool accepting);
  // New connections go to this port; open ones stay where they are (CutAll moves them).
  void SetUpstream(int upstream_port);
  // Connections accepted so far.
  int accepted() const { return accepted_.load(); }

 private:
  struct Pipe {
    int client, server;
  };
  void Loop();
  void Listen();
  void Accept();
  // Wakes the loop and waits until it has applied every change asked for so far.
  void Apply(std::unique_lock<std::mutex>& lock);

  int port_ = 0;
  int listener_ = -1;  // only the loop thread uses it after construction
  int wake_[2] = {-1, -1};
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable applied_cv_;
  uint64_t requested_ = 0;      // GUARDED_BY(mu_)
  uint64_t applied_ = 0;        // GUARDED_BY(mu_)
  int upstream_port_;           // GUARDED_BY(mu_)
  bool accepting_ = true;       // GUARDED_BY(mu_)
  bool cut_requested_ = false;  // GUARDED_BY(mu_)
  std::vector<Pipe> pipes_;     // loop thread only
  std::thread thread_;
};

}  // namespace sparkd::kube
