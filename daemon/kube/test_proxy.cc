#include "daemon/kube/test_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace sparkd::kube {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Moves what is readable on `from` to `to`; false when either side is done.
bool Pump(int from, int to) {
  char buffer[64 * 1024];
  ssize_t n = read(from, buffer, sizeof(buffer));
  if (n <= 0) return false;
  for (ssize_t sent = 0; sent < n;) {
    ssize_t w = write(to, buffer + sent, static_cast<size_t>(n - sent));
    if (w <= 0) return false;
    sent += w;
  }
  return true;
}

}  // namespace

TestProxy::TestProxy(int upstream_port) : upstream_port_(upstream_port) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
  Listen();
  thread_ = std::thread([this] { Loop(); });
}

TestProxy::~TestProxy() {
  stopping_ = true;
  char byte = 1;
  (void)!write(wake_[1], &byte, 1);
  thread_.join();
  for (auto& p : pipes_) close(p.client), close(p.server);
  if (listener_ >= 0) close(listener_);
  close(wake_[0]);
  close(wake_[1]);
}

void TestProxy::Listen() {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(port_);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener_, 64) != 0) {
    throw std::runtime_error(std::string("proxy cannot listen: ") + std::strerror(errno));
  }
  socklen_t length = sizeof(addr);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
  port_ = ntohs(addr.sin_port);
}

void TestProxy::Apply(std::unique_lock<std::mutex>& lock) {
  uint64_t ticket = ++requested_;
  char byte = 1;
  (void)!write(wake_[1], &byte, 1);
  applied_cv_.wait(lock, [&] { return applied_ >= ticket || stopping_; });
}

void TestProxy::CutAll() {
  std::unique_lock lock(mu_);
  cut_requested_ = true;
  Apply(lock);
}

void TestProxy::SetAccepting(bool accepting) {
  std::unique_lock lock(mu_);
  accepting_ = accepting;
  Apply(lock);
}

void TestProxy::SetUpstream(int upstream_port) {
  std::lock_guard lock(mu_);
  upstream_port_ = upstream_port;
}

void TestProxy::Accept() {
  int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  int upstream;
  {
    std::lock_guard lock(mu_);
    upstream = upstream_port_;
  }
  int server = ConnectTo(upstream);
  if (server < 0) {
    close(client);
    return;
  }
  ++accepted_;
  pipes_.push_back({client, server});
}

void TestProxy::Loop() {
  while (!stopping_) {
    {
      std::lock_guard lock(mu_);
      if (cut_requested_) {
        for (auto& p : pipes_) close(p.client), close(p.server);
        pipes_.clear();
        cut_requested_ = false;
      }
      if (!accepting_ && listener_ >= 0) {
        close(listener_);
        listener_ = -1;
      } else if (accepting_ && listener_ < 0) {
        Listen();  // the same port again (SO_REUSEADDR)
      }
      applied_ = requested_;
    }
    applied_cv_.notify_all();
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}};
    if (listener_ >= 0) fds.push_back({listener_, POLLIN, 0});
    size_t first_pipe = fds.size();
    for (auto& p : pipes_) {
      fds.push_back({p.client, POLLIN, 0});
      fds.push_back({p.server, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents) {
      char drain[64];
      while (read(wake_[0], drain, sizeof(drain)) > 0) {
      }
    }
    std::vector<Pipe> alive;
    for (size_t i = 0; i < pipes_.size(); ++i) {
      const pollfd& c = fds[first_pipe + 2 * i];
      const pollfd& s = fds[first_pipe + 2 * i + 1];
      bool ok = true;
      if (c.revents) ok = Pump(pipes_[i].client, pipes_[i].server);
      if (ok && s.revents) ok = Pump(pipes_[i].server, pipes_[i].client);
      if (ok) {
        alive.push_back(pipes_[i]);
      } else {
        close(pipes_[i].client);
        close(pipes_[i].server);
      }
    }
    pipes_ = std::move(alive);
    if (listener_ >= 0 && first_pipe == 2 && fds[1].revents) Accept();
  }
}

}  // namespace sparkd::kube
