#include "daemon/core/watch_hub.h"

namespace sparkd {

void WatchHub::Subscribe(const std::string& job_id, std::weak_ptr<JobListener> listener) {
  std::lock_guard lock(mu_);
  listeners_[job_id].push_back(std::move(listener));
}

void WatchHub::Notify(const std::string& job_id) {
  {
    std::lock_guard lock(mu_);
    if (!listeners_.contains(job_id)) return;
    pending_.push_back(job_id);
  }
  cv_.notify_one();
}

void WatchHub::NotifyAll() {
  {
    std::lock_guard lock(mu_);
    all_pending_ = true;
  }
  cv_.notify_one();
}

void WatchHub::Start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void WatchHub::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WatchHub::Loop() {
  while (true) {
    std::vector<std::shared_ptr<JobListener>> to_call;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || all_pending_ || !pending_.empty(); });
      if (stopping_) return;
      std::vector<std::string> ids;
      if (all_pending_) {
        for (const auto& [id, _] : listeners_) ids.push_back(id);
        all_pending_ = false;
        pending_.clear();
      } else {
        ids.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      for (const auto& id : ids) {
        auto it = listeners_.find(id);
        if (it == listeners_.end()) continue;
        std::erase_if(it->second, [&](const std::weak_ptr<JobListener>& weak) {
          auto listener = weak.lock();
          if (!listener) return true;
          to_call.push_back(std::move(listener));
          return false;
        });
        if (it->second.empty()) listeners_.erase(it);
      }
    }
    // Outside the lock: listeners read the store.
    for (auto& listener : to_call) listener->OnJobChanged();
  }
}

}  // namespace sparkd
