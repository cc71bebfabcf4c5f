// The daemon's copy of each Kubernetes driver's output, so `/jobs/{id}/logs`, `sparkd run` and
// the report's log tail work while the pod runs and after it is gone.
//
// Per job, <data_dir>/jobs/<id>/driver.log holds the log as the pod log API gave it and
// driver.log.since the timestamp of its last line. While the driver runs and someone reads its
// log, a follower thread streams it (`follow`, `timestamps`) into the file; when the driver
// ends, what is missing is fetched once; a broken stream is resumed with
// `sinceTime` from that timestamp, lines already written are skipped by their timestamps, so a
// reconnect, a daemon restart or a one-shot catch-up never duplicates nor loses a line.
// The copy stops growing at `max_bytes` (a line says so).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/core/backend.h"
#include "daemon/kube/client.h"

namespace sparkd::cluster {

// Appends one stream of the pod log API (`timestamps=true`: "<RFC 3339> <text>" per line) to a
// copy at `log_path`, without the timestamps, skipping the lines the copy has already: those
// before its mark (`log_path`.since: the last timestamp copied and how many lines carried it),
// so a stream resumed with sinceTime (whole seconds: it repeats lines) never duplicates one.
// Stops copying at `max_bytes` with a line saying so. Not thread-safe: one stream at a time.
class LogCopyWriter {
 public:
  LogCopyWriter(const std::string& log_path, int64_t max_bytes);

  // The sinceTime to resume from ("" = from the start).
  const std::string& since() const { return mark_.timestamp; }
  int64_t lines_written() const { return written_; }

  // Pieces as the server sends them (lines may be split); the mark is saved after each.
  void Feed(std::string_view data);
  // The stream ended: a last line without its newline is copied too.
  void End();

 private:
  struct Mark {
    std::string timestamp;
    int64_t same = 0;
  };
  void Line(std::string_view line);
  void Write(std::string_view text);
  void SaveMark();

  std::string mark_path_;
  int64_t max_bytes_;
  Mark mark_;
  std::optional<std::chrono::system_clock::time_point> last_;
  int64_t resume_same_ = 0;   // lines at the mark's timestamp the copy has already
  int64_t skipped_same_ = 0;  // ... and how many of them this stream repeated
  std::ofstream out_;
  int64_t size_ = 0;
  int64_t written_ = 0;
  bool truncated_ = false;
  std::string pending_;
};

struct DriverLogOptions {
  std::string data_dir;
  std::string container = "spark-kubernetes-driver";
  int64_t max_bytes = 64 << 20;
  std::chrono::seconds resume_backoff{2};
};

class DriverLogs {
 public:
  // `client` must outlive this.
  DriverLogs(kube::Client* client, DriverLogOptions options);
  ~DriverLogs();

  // Starts following the job's driver pod unless a follower runs already.
  void Follow(const std::string& job_id, const std::string& ns, const std::string& pod);
  // Makes the copy whole after the driver ended: waits up to `wait` for a running follower to
  // reach the end of the stream, else (or then) fetches what is missing once.
  Status Complete(const std::string& job_id, const std::string& ns, const std::string& pod,
                  std::chrono::milliseconds wait);
  // Reads the copy as LocalBackend reads its log file (see Backend::ReadDriverLog).
  StatusOr<LogChunk> Read(const std::string& job_id, int64_t offset, int64_t max_bytes) const;
  std::string PathOf(const std::string& job_id) const;
  // Stops every follower (their copies stay).
  void StopAll();

 private:
  struct Follower;
  // Appends the stream from the last timestamp on; OK when the stream ended (the container
  // stopped), or the error that broke it.
  Status CopyOnce(const std::string& job_id, const std::string& ns, const std::string& pod,
                  bool follow, const kube::StopSignal* stop);
  void FollowLoop(Follower* f);

  kube::Client* const client_;
  const DriverLogOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Follower>> followers_;  // GUARDED_BY(mu_)
  // One per job: appends to a copy never interleave (a follower and a catch-up).
  std::map<std::string, std::shared_ptr<std::mutex>> append_mu_;  // GUARDED_BY(mu_)
};

}  // namespace sparkd::cluster
