#include "daemon/cluster/driver_log.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>

#include "daemon/cluster/log_file.h"
#include "daemon/core/pod_observation.h"

namespace fs = std::filesystem;

namespace sparkd::cluster {
namespace {

// The mark is one line, "<timestamp> <lines with it>", "-" for no timestamp yet.
constexpr char kNoTimestamp[] = "-";
constexpr std::chrono::seconds kMaxResumeBackoff{60};

}  // namespace

LogCopyWriter::LogCopyWriter(const std::string& log_path, int64_t max_bytes)
    : mark_path_(log_path + ".since"), max_bytes_(max_bytes) {
  std::ifstream in(mark_path_);
  in >> mark_.timestamp >> mark_.same;
  last_ = ParseKubeTime(mark_.timestamp);
  if (!last_) mark_ = Mark{};
  resume_same_ = mark_.same;
  std::error_code ec;
  size_ = static_cast<int64_t>(fs::exists(log_path, ec) ? fs::file_size(log_path, ec) : 0);
  truncated_ = size_ >= max_bytes_;
  out_.open(log_path, std::ios::app | std::ios::binary);
}

void LogCopyWriter::Feed(std::string_view data) {
  pending_.append(data);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    Line(std::string_view(pending_).substr(start, nl - start));
  }
  pending_.erase(0, start);
  SaveMark();
}

void LogCopyWriter::End() {
  if (!pending_.empty()) Line(pending_);
  pending_.clear();
  SaveMark();
}

void LogCopyWriter::SaveMark() {
  out_.flush();
  std::string tmp = mark_path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << (mark_.timestamp.empty() ? kNoTimestamp : mark_.timestamp) << " " << mark_.same << "\n";
  }
  std::error_code ec;
  fs::rename(tmp, mark_path_, ec);
}

void LogCopyWriter::Line(std::string_view line) {
  size_t space = line.find(' ');
  std::string_view stamp = line.substr(0, space);
  std::string_view text = space == std::string_view::npos ? "" : line.substr(space + 1);
  auto at = ParseKubeTime(stamp);
  if (!at) {  // not a timestamped line: keep it whole
    Write(line);
    return;
  }
  if (last_ && *at < *last_) return;
  if (last_ && *at == *last_) {
    if (skipped_same_ < resume_same_) {
      ++skipped_same_;
      return;
    }
    ++mark_.same;
  } else {
    mark_.same = 1;
    resume_same_ = 0;
  }
  last_ = at;
  mark_.timestamp = std::string(stamp);
  Write(text);
}

void LogCopyWriter::Write(std::string_view text) {
  if (truncated_) return;
  if (size_ + static_cast<int64_t>(text.size()) + 1 > max_bytes_) {
    out_ << "[sparkd: the driver log copy stops here, at " << max_bytes_ << " bytes]\n";
    truncated_ = true;
    return;
  }
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  out_.put('\n');
  size_ += static_cast<int64_t>(text.size()) + 1;
  ++written_;
}

struct DriverLogs::Follower {
  std::string job_id, ns, pod;
  kube::StopSignal stop;
  std::mutex mu;
  std::condition_variable cv;
  bool streaming = false;  // GUARDED_BY(mu): a stream is open (else between two, or done)
  bool failing = false;    // GUARDED_BY(mu): the last stream broke (the log API fails)
  bool done = false;       // GUARDED_BY(mu)
  std::thread thread;
};

DriverLogs::DriverLogs(kube::Client* client, DriverLogOptions options)
    : client_(client), options_(std::move(options)) {}

DriverLogs::~DriverLogs() { StopAll(); }

std::string DriverLogs::PathOf(const std::string& job_id) const {
  return (fs::path(options_.data_dir) / "jobs" / job_id / "driver.log").string();
}

void DriverLogs::Follow(const std::string& job_id, const std::string& ns, const std::string& pod) {
  std::lock_guard lock(mu_);
  if (followers_.contains(job_id)) return;
  auto f = std::make_unique<Follower>();
  f->job_id = job_id;
  f->ns = ns;
  f->pod = pod;
  Follower* raw = f.get();
  followers_.emplace(job_id, std::move(f));
  raw->thread = std::thread([this, raw] { FollowLoop(raw); });
}

void DriverLogs::FollowLoop(Follower* f) {
  // A followed stream also ends (OK) when the API server or kubelet closes it; the copy is
  // whole when a new stream ends at once having nothing to add. A log API that fails is tried
  // again less and less often.
  auto delay = options_.resume_backoff;
  while (!f->stop.stopped()) {
    auto before = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(f->mu);
      f->streaming = true;
    }
    Status s = CopyOnce(f->job_id, f->ns, f->pod, /*follow=*/true, &f->stop);
    bool failed = !s.ok() && s.code() != StatusCode::kAborted && s.code() != StatusCode::kCancelled;
    {
      std::lock_guard lock(f->mu);
      f->streaming = false;
      f->failing = failed;
      f->cv.notify_all();
    }
    bool quick = std::chrono::steady_clock::now() - before < options_.resume_backoff;
    if (s.code() == StatusCode::kNotFound || s.code() == StatusCode::kPermissionDenied) {
      spdlog::info("job {}: driver log: {}", f->job_id, s.ToString());
      break;
    }
    if (s.ok() && quick) break;
    if (failed) {
      spdlog::debug("job {}: driver log stream: {}; again in {}s", f->job_id, s.ToString(),
                    delay.count());
    }
    if (!f->stop.WaitFor(failed ? delay : options_.resume_backoff)) break;
    delay = failed ? std::min(delay * 2, kMaxResumeBackoff) : options_.resume_backoff;
  }
  std::lock_guard lock(f->mu);
  f->done = true;
  f->cv.notify_all();
}

Status DriverLogs::CopyOnce(const std::string& job_id, const std::string& ns,
                            const std::string& pod, bool follow, const kube::StopSignal* stop) {
  fs::path log = PathOf(job_id);
  std::error_code ec;
  fs::create_directories(log.parent_path(), ec);
  if (ec) return Internal("cannot create " + log.parent_path().string() + ": " + ec.message());
  std::shared_ptr<std::mutex> job_mu;
  {
    std::lock_guard lock(mu_);
    auto& slot = append_mu_[job_id];
    if (!slot) slot = std::make_shared<std::mutex>();
    job_mu = slot;
  }
  std::lock_guard lock(*job_mu);
  LogCopyWriter appender(log.string(), options_.max_bytes);
  kube::LogOptions options;
  options.container = options_.container;
  options.follow = follow;
  options.timestamps = true;
  options.since_time = appender.since();
  Status s = client_->StreamPodLog(
      ns, pod, options,
      [&](std::string_view chunk) {
        appender.Feed(chunk);
        return true;
      },
      stop);
  appender.End();
  if (s.ok() && follow && appender.lines_written() > 0) {
    return Aborted("the stream ended with new lines; following again");
  }
  return s;
}

Status DriverLogs::Complete(const std::string& job_id, const std::string& ns,
                            const std::string& pod, std::chrono::milliseconds wait) {
  std::unique_ptr<Follower> f;
  {
    std::lock_guard lock(mu_);
    auto it = followers_.find(job_id);
    if (it != followers_.end()) {
      f = std::move(it->second);
      followers_.erase(it);
    }
  }
  if (f) {
    bool failing;
    {
      // The driver has ended, so an open stream ends soon with the last lines; a follower
      // between streams (the log API failing) has nothing more to give.
      std::unique_lock lock(f->mu);
      f->cv.wait_for(lock, wait, [&] { return f->done || f->failing || !f->streaming; });
      failing = f->failing;
    }
    f->stop.Stop();
    f->thread.join();
    // It has just tried and failed: a catch-up would fail the same way, only slower (retries),
    // and the supervisor waits for this.
    if (failing) return Unavailable("the pod log API failed while following the driver");
  }
  Status s = CopyOnce(job_id, ns, pod, /*follow=*/false, nullptr);
  // A pod that is gone leaves the copy as it is: that is what the copy is for.
  if (s.code() == StatusCode::kNotFound) return Status::Ok();
  return s;
}

StatusOr<LogChunk> DriverLogs::Read(const std::string& job_id, int64_t offset,
                                    int64_t max_bytes) const {
  return ReadLogFile(PathOf(job_id), offset, max_bytes);
}

void DriverLogs::StopAll() {
  std::map<std::string, std::unique_ptr<Follower>> followers;
  {
    std::lock_guard lock(mu_);
    followers.swap(followers_);
  }
  for (auto& [id, f] : followers) f->stop.Stop();
  for (auto& [id, f] : followers) f->thread.join();
}

}  // namespace sparkd::cluster
