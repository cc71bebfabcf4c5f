#include "daemon/api/http/bounded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sparkd::api {
namespace {

using Clock = std::chrono::steady_clock;

// Waits up to `timeout` for `events` on `sock`; false on timeout or error.
bool PollFor(socket_t sock, short events, std::chrono::milliseconds timeout) {
  pollfd fd{sock, events, 0};
  int timeout_ms = static_cast<int>(std::max<int64_t>(0, timeout.count()));
  while (true) {
    int n = poll(&fd, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && (fd.revents & (events | POLLHUP | POLLERR));
  }
}

void AddressAndPort(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    port = ntohs(v4.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

std::string PeerAddress(socket_t sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  std::string ip;
  int port = 0;
  AddressAndPort(addr, ip, port);
  return ip;
}

// One request's view of a connection: every read of the request must end by `deadline`, and
// the head (everything read before HeadDone) stays under `max_head_bytes`. The buffer belongs
// to the connection, so bytes a client sent ahead (pipelining) carry over to its next request.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, std::string& buffer, const ConnectionLimits& limits)
      : sock_(sock),
        buffer_(buffer),
        limits_(limits),
        deadline_(Clock::now() + limits.request_read_deadline) {}

  void HeadDone() { head_done_ = true; }
  // The request was cut (too slow, head too large): httplib answers 400 and would go on reading
  // the rest as the next request; the connection must close instead.
  bool cut() const { return cut_; }

  bool is_readable() const override {
    return !buffer_.empty() || PollFor(sock_, POLLIN, ReadWait());
  }

  bool is_writable() const override {
    if (!PollFor(sock_, POLLOUT, limits_.write_timeout)) return false;
    // Like httplib: a peer that has closed its end is not worth writing to.
    if (!PollFor(sock_, POLLIN, std::chrono::milliseconds(0))) return true;
    char byte;
    return recv(sock_, &byte, 1, MSG_PEEK) > 0;
  }

  ssize_t read(char* ptr, size_t size) override {
    // Checked on every read: a client that keeps sending a little never makes a read wait.
    if (Clock::now() >= deadline_) return Cut();
    if (buffer_.empty()) {
      if (!PollFor(sock_, POLLIN, ReadWait())) return Cut();  // too slow
      char chunk[4096];
      ssize_t n = recv(sock_, chunk, sizeof(chunk), 0);
      if (n <= 0) return n;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    size_t n = std::min(size, buffer_.size());
    if (!head_done_) {
      head_bytes_ += n;
      if (head_bytes_ > limits_.max_head_bytes) return Cut();
    }
    std::memcpy(ptr, buffer_.data(), n);
    buffer_.erase(0, n);
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!PollFor(sock_, POLLOUT, limits_.write_timeout)) return -1;
    return send(sock_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      AddressAndPort(addr, ip, port);
    }
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      AddressAndPort(addr, ip, port);
    }
  }

  socket_t socket() const override { return sock_; }

 private:
  ssize_t Cut() {
    cut_ = true;
    return -1;
  }

  // How long one recv may wait: the per-read timeout, cut short by the request's deadline.
  std::chrono::milliseconds ReadWait() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(left, limits_.read_timeout));
  }

  const socket_t sock_;
  std::string& buffer_;
  const ConnectionLimits& limits_;
  const Clock::time_point deadline_;
  bool head_done_ = false;
  bool cut_ = false;
  size_t head_bytes_ = 0;
};

}  // namespace

void ElasticTaskQueue::enqueue(std::function<void()> fn) {
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      Idle* newest = idle_.back();
      idle_.pop_back();
      newest->task = std::move(fn);
      newest->cv.notify_one();
    } else {
      tasks_.push_back(std::move(fn));
      if (workers_.size() - exited_.size() < max_threads_) {
        std::thread worker([this] { Work(); });
        workers_.emplace(worker.get_id(), std::move(worker));
      }
    }
    for (const auto& id : exited_) {
      finished.push_back(std::move(workers_.at(id)));
      workers_.erase(id);
    }
    exited_.clear();
  }
  for (auto& t : finished) t.join();
}

void ElasticTaskQueue::shutdown() {
  std::map<std::thread::id, std::thread> workers;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    workers.swap(workers_);
    exited_.clear();
    for (Idle* idle : idle_) idle->cv.notify_one();
  }
  for (auto& [id, t] : workers) t.join();
}

size_t ElasticTaskQueue::threads() const {
  std::lock_guard lock(mu_);
  return workers_.size() - exited_.size();
}

void ElasticTaskQueue::Work() {
  Idle me;
  std::unique_lock lock(mu_);
  while (true) {
    std::function<void()> task;
    if (!tasks_.empty()) {
      task = std::move(tasks_.front());
      tasks_.pop_front();
    } else if (shutdown_) {
      break;
    } else {
      idle_.push_back(&me);
      me.cv.wait_for(lock, idle_exit_, [&] { return me.task || shutdown_; });
      if (!me.task) {  // idle for too long, or shutting down: leave
        std::erase(idle_, &me);
        break;
      }
      task = std::move(me.task);
      me.task = nullptr;
    }
    lock.unlock();
    task();
    lock.lock();
  }
  // shutdown() has taken the workers and joins this thread itself.
  if (!shutdown_) exited_.push_back(std::this_thread::get_id());
}

BoundedServer::BoundedServer(ConnectionLimits limits) : limits_(limits) {
  auto seconds = [](std::chrono::milliseconds ms) {
    return static_cast<time_t>(std::max<int64_t>(1, ms.count() / 1000));
  };
  // httplib applies these to each accepted socket (SO_RCVTIMEO, SO_SNDTIMEO) and to its
  // Keep-Alive header; the reads and writes themselves go through DeadlineStream.
  set_read_timeout(seconds(limits_.read_timeout));
  set_write_timeout(seconds(limits_.write_timeout));
  set_keep_alive_timeout(seconds(limits_.keep_alive_timeout));
  set_keep_alive_max_count(limits_.keep_alive_max_requests);
  set_payload_max_length(limits_.max_body_bytes);
  new_task_queue = [max = limits_.max_threads, idle = limits_.idle_thread_exit] {
    return new ElasticTaskQueue(max, idle);
  };
}

void BoundedServer::CloseConnections() {
  std::lock_guard lock(clients_mu_);
  // shutdown, not close: the thread serving the socket closes it; this only wakes its poll.
  for (socket_t sock : open_) shutdown(sock, SHUT_RDWR);
}

bool BoundedServer::AdmitClient(const std::string& client) {
  std::lock_guard lock(clients_mu_);
  size_t& held = connections_by_client_[client];
  if (held >= limits_.max_connections_per_client) return false;
  ++held;
  return true;
}

void BoundedServer::ReleaseClient(const std::string& client) {
  std::lock_guard lock(clients_mu_);
  auto it = connections_by_client_.find(client);
  if (it != connections_by_client_.end() && --it->second == 0) connections_by_client_.erase(it);
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  // Headers and body go out in separate sends: without this, Nagle's algorithm and the peer's
  // delayed ACK add 40 ms to every keep-alive response.
  int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string client = PeerAddress(sock);
  bool served = false;
  if (AdmitClient(client)) {
    {
      std::lock_guard lock(clients_mu_);
      open_.insert(sock);
    }
    served = ServeConnection(sock);
    {
      std::lock_guard lock(clients_mu_);
      open_.erase(sock);
    }
    ReleaseClient(client);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return served;
}

// httplib's keep-alive loop (process_server_socket), over DeadlineStream.
bool BoundedServer::ServeConnection(socket_t sock) {
  std::string buffer;
  bool served = false;
  for (size_t left = limits_.keep_alive_max_requests; left > 0; --left) {
    if (svr_sock_ == INVALID_SOCKET) break;  // the server is stopping
    if (buffer.empty() && !PollFor(sock, POLLIN, limits_.keep_alive_timeout)) break;
    DeadlineStream stream(sock, buffer, limits_);
    bool closed = false;
    served = process_request(stream, left == 1, closed,
                             [&stream](httplib::Request&) { stream.HeadDone(); });
    if (!served || closed || stream.cut()) break;
  }
  return served;
}

}  // namespace sparkd::api
