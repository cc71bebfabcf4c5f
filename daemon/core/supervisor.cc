#include "daemon/core/supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>

#include "daemon/core/classify/classify.h"

namespace sparkd {
namespace {

constexpr int64_t kLogTailBytes = 8 * 1024;
constexpr size_t kLogTailLines = 30;

std::vector<std::string> LastLines(const std::string& text, size_t count) {
  std::vector<std::string> lines;
  size_t end = text.size();
  while (end > 0 && lines.size() < count) {
    size_t start = text.rfind('\n', end - 1);
    size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(from, end - from);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.insert(lines.begin(), std::move(line));
    if (start == std::string::npos) break;
    end = start;
  }
  return lines;
}

bool IsWeakReason(ExitReason reason) {
  return reason == ExitReason::kUnspecified || reason == ExitReason::kUnknown ||
         reason == ExitReason::kAppError;
}

// The driver's own record: how the driver ended, from the backend's classification (a driver
// pod's status) when it has one, refined by what the driver log says when that is vague.
ExecutorRecord DriverRecord(const Observation& observation,
                            const std::vector<classify::Diagnosis>& diagnoses) {
  ExecutorRecord driver = observation.driver.value_or(ExecutorRecord{});
  driver.executor_id = "driver";
  if (!driver.exit_code) driver.exit_code = observation.exit_code;
  if (observation.phase == Observation::Phase::kExited && observation.exit_code == 0) {
    driver.reason = ExitReason::kSucceeded;
    if (driver.evidence.empty()) driver.evidence = "driver exited with status 0";
    driver.advice.clear();
    return driver;
  }
  if (IsWeakReason(driver.reason)) {
    for (const auto& d : diagnoses) {
      if (d.subject == classify::Subject::kDriver && d.reason != ExitReason::kUnknown &&
          d.reason != ExitReason::kSucceeded) {
        driver.reason = d.reason;
        driver.evidence = d.evidence;
        driver.advice = d.advice;
        return driver;
      }
    }
  }
  if (driver.reason != ExitReason::kUnspecified) return driver;
  driver.reason = ExitReason::kAppError;
  driver.evidence = observation.message.empty()
                        ? "driver exited with status " +
                              (observation.exit_code ? std::to_string(*observation.exit_code)
                                                     : std::string("unknown"))
                        : observation.message;
  driver.advice = classify::AdviceFor(ExitReason::kAppError);
  return driver;
}

// The executors recorded while the job ran, overlaid with those of the final observation.
std::vector<ExecutorRecord> MergeExecutors(std::vector<ExecutorRecord> stored,
                                           std::vector<ExecutorRecord> observed) {
  for (ExecutorRecord& x : observed) {
    auto same = std::find_if(stored.begin(), stored.end(), [&](const ExecutorRecord& s) {
      return s.executor_id == x.executor_id;
    });
    if (same == stored.end()) {
      stored.push_back(std::move(x));
    } else if (x.reason != ExitReason::kUnspecified || same->reason == ExitReason::kUnspecified) {
      *same = std::move(x);
    }
  }
  std::erase_if(stored, [](const ExecutorRecord& x) { return x.executor_id == "driver"; });
  return stored;
}

std::string EndMessage(const Observation& observation) {
  switch (observation.phase) {
    case Observation::Phase::kLost:
      return "lost: " + observation.message;
    case Observation::Phase::kFailed:
      return observation.message;
    default:
      if (!observation.exit_code) {
        return observation.message.empty() ? "driver exited; its status is unknown"
                                           : observation.message;
      }
      return "driver exited with status " + std::to_string(*observation.exit_code) +
             (observation.message.empty() ? "" : " (" + observation.message + ")");
  }
}

// What an observation says that the store keeps; equal fingerprints need no write.
std::string Fingerprint(const Observation& o) {
  return std::to_string(static_cast<int>(o.phase)) + "|" + o.spark_app_id + "|" + o.spark_ui_url;
}

constexpr size_t kRecentlyEndedJobs = 10000;
constexpr size_t kMaxObjectBytes = 4 << 20;

}  // namespace

void Supervisor::LogIfError(const Status& status, const Job& job, const char* what) {
  if (!status.ok()) spdlog::warn("job {}: {}: {}", job.id, what, status.ToString());
}

std::mutex& Supervisor::JobLock(const std::string& job_id) {
  return job_locks_[std::hash<std::string>{}(job_id) % job_locks_.size()];
}

void Supervisor::SetOwned(const std::vector<Job>& active) {
  std::lock_guard lock(owned_mu_);
  owned_.clear();
  for (const Job& job : active) owned_.insert(job.id);
}

void Supervisor::AddOwned(const std::string& job_id) {
  std::lock_guard lock(owned_mu_);
  owned_.insert(job_id);
}

void Supervisor::Forget(const std::string& job_id) {
  std::lock_guard lock(owned_mu_);
  owned_.erase(job_id);
  last_seen_.erase(job_id);
  // Executors keep ending for a while after their driver (pods deleted at the app's end).
  if (ended_.insert(job_id).second) ended_order_.push_back(job_id);
  while (ended_order_.size() > kRecentlyEndedJobs) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
}

bool Supervisor::Owns(const std::string& job_id, bool or_recently_ended) {
  std::lock_guard lock(owned_mu_);
  return owned_.contains(job_id) || (or_recently_ended && ended_.contains(job_id));
}

bool Supervisor::Unchanged(const std::string& job_id, const Observation& observation) {
  std::lock_guard lock(owned_mu_);
  auto it = last_seen_.find(job_id);
  return it != last_seen_.end() && it->second == Fingerprint(observation);
}

Status Supervisor::Reconcile() {
  ASSIGN_OR_RETURN(std::vector<Job> jobs, store_->ListOwnedActiveJobs(options_.owner));
  SetOwned(jobs);
  for (const Job& job : jobs) {
    std::lock_guard job_lock(JobLock(job.id));
    auto observation = backend_->Observe(job);
    if (!observation.ok() && observation.status().code() == StatusCode::kNotFound &&
        job.state == JobState::kSubmitting) {
      // The daemon died inside Launch before anything started: safe to launch it again.
      LogIfError(store_
                     ->Transition(job.id, JobState::kQueued, {},
                                  "queued again: the daemon restarted before launching it")
                     .status(),
                 job, "re-queue");
      continue;
    }
    auto unknown =
        store_->Transition(job.id, JobState::kUnknown, {}, "reconciling after a daemon restart");
    if (!unknown.ok()) {
      LogIfError(unknown.status(), job, "reconcile");
      continue;
    }
    if (!observation.ok()) {
      Observation lost;
      lost.phase = Observation::Phase::kLost;
      lost.message = observation.status().message();
      Apply(*unknown, std::move(lost));
    } else {
      Apply(*unknown, std::move(*observation));
    }
  }
  spdlog::info("reconciled {} job(s) owned by {}", jobs.size(), options_.owner);
  return Status::Ok();
}

void Supervisor::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  bool pushed = backend_->Subscribe(this);
  {
    std::lock_guard lock(mu_);
    pushed_ = pushed;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Supervisor::Stop() {
  bool pushed;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    pushed = pushed_;
    pushed_ = false;
  }
  if (pushed) backend_->Subscribe(nullptr);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Supervisor::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void Supervisor::Loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll_interval, [&] { return wake_ || stopping_; });
      if (stopping_) return;
      wake_ = false;
    }
    RunOnce();
  }
}

void Supervisor::RunOnce() {
  auto active = store_->ListOwnedActiveJobs(options_.owner);
  if (!active.ok()) {
    spdlog::warn("listing active jobs: {}", active.status().ToString());
    return;
  }
  SetOwned(*active);
  bool pushed;
  {
    std::lock_guard lock(mu_);
    pushed = pushed_;
  }
  if (!pushed) ObserveAll(*active);
  // Jobs that ended in this pass still count: they free their slot on the next pass.
  ClaimAndLaunch(static_cast<int>(active->size()));
}

std::optional<Job> Supervisor::ClaimOne() {
  auto claimed = store_->ClaimQueuedJob(backend_->name(), options_.owner);
  if (!claimed.ok()) {
    spdlog::warn("claiming a queued job: {}", claimed.status().ToString());
    return std::nullopt;
  }
  return std::move(*claimed);
}

bool Supervisor::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Supervisor::ClaimAndLaunch(int running) {
  int free_slots = options_.max_running_jobs - running;
  if (free_slots <= 0) return;
  // The first claim on the loop's own thread: an idle pass starts no thread.
  std::optional<Job> first = ClaimOne();
  if (!first) return;
  std::atomic<int> slots_left = free_slots - 1;
  auto launch_while_queued = [&] {
    while (!Stopping() && slots_left.fetch_sub(1) > 0) {
      std::optional<Job> job = ClaimOne();
      if (!job) return;
      Launch(std::move(*job));
    }
  };
  std::vector<std::thread> helpers;
  for (int i = 1; i < std::min(options_.launch_concurrency, free_slots); ++i) {
    helpers.emplace_back(launch_while_queued);
  }
  Launch(std::move(*first));
  launch_while_queued();
  for (std::thread& helper : helpers) helper.join();
}

void Supervisor::Launch(Job job) {
  // Held until the job is SUBMITTED: what a watching backend pushes about the new
  // application meanwhile waits, and then applies to the SUBMITTED job.
  std::lock_guard job_lock(JobLock(job.id));
  AddOwned(job.id);
  auto ref = backend_->Launch(job);
  if (!ref.ok()) {
    JobUpdate update;
    update.set_finished = true;
    LogIfError(store_
                   ->Transition(job.id, JobState::kFailed, update,
                                "launch failed: " + ref.status().message())
                   .status(),
               job, "record launch failure");
    Forget(job.id);
    return;
  }
  JobUpdate update;
  update.backend_ref = *ref;
  auto submitted =
      store_->Transition(job.id, JobState::kSubmitted, update, "launched (" + *ref + ")");
  if (!submitted.ok()) {
    // Cancelled while launching: the application must not outlive the job.
    job.backend_ref = *ref;
    LogIfError(backend_->Kill(job), job, "stop after cancel during launch");
    LogIfError(submitted.status(), job, "record launch");
  }
}

void Supervisor::ObserveAll(const std::vector<Job>& jobs) {
  for (const Job& job : jobs) {
    if (job.state == JobState::kSubmitting) continue;  // Launch is still on it
    std::lock_guard job_lock(JobLock(job.id));
    auto observation = backend_->Observe(job);
    if (!observation.ok()) {
      LogIfError(observation.status(), job, "observe");
      continue;
    }
    Apply(job, std::move(*observation));
  }
}

bool Supervisor::OnObservation(const std::string& job_id, Observation observation) {
  if (!Owns(job_id, false)) return false;
  if (Unchanged(job_id, observation)) return true;
  std::lock_guard job_lock(JobLock(job_id));
  auto job = store_->GetJob(job_id, std::nullopt);
  if (!job.ok()) {
    spdlog::warn("job {}: read for an observation: {}", job_id, job.status().ToString());
    return true;
  }
  if (IsTerminal(job->state)) {
    Forget(job_id);
    return false;
  }
  // SUBMITTING here means a launch failed midway; Reconcile decides what became of it.
  if (job->state != JobState::kSubmitting) Apply(*job, std::move(observation));
  return true;
}

void Supervisor::OnExecutorEnded(const std::string& job_id, ExecutorRecord record) {
  if (!Owns(job_id, true)) return;
  std::lock_guard job_lock(JobLock(job_id));
  Status saved = store_->UpsertExecutor(job_id, record);
  if (!saved.ok()) {
    spdlog::warn("job {}: record executor {}: {}", job_id, record.executor_id, saved.ToString());
  }
}

void Supervisor::OnResync(const std::set<std::string>& present,
                          const std::function<bool(const Job&)>& covers) {
  auto active = store_->ListOwnedActiveJobs(options_.owner);
  if (!active.ok()) {
    spdlog::warn("resync: listing active jobs: {}", active.status().ToString());
    return;
  }
  for (const Job& listed : *active) {
    if (present.contains(listed.id) || !covers(listed)) continue;
    std::lock_guard job_lock(JobLock(listed.id));
    // Re-read under the lock: a launch may have finished since the list.
    auto job = store_->GetJob(listed.id, std::nullopt);
    if (!job.ok() || IsTerminal(job->state) || job->state == JobState::kSubmitting) continue;
    auto observation = backend_->Observe(*job);
    if (observation.ok()) {
      Apply(*job, std::move(*observation));
    } else if (observation.status().code() == StatusCode::kNotFound) {
      Observation lost;
      lost.phase = Observation::Phase::kLost;
      lost.message = observation.status().message();
      Apply(*job, std::move(lost));
    } else {
      LogIfError(observation.status(), *job, "resync");
    }
  }
}

void Supervisor::Apply(const Job& job, Observation observation) {
  using Phase = Observation::Phase;
  if (observation.phase == Phase::kExited || observation.phase == Phase::kLost ||
      observation.phase == Phase::kFailed) {
    Finish(job, std::move(observation));
    return;
  }
  JobUpdate update;
  if (!observation.spark_app_id.empty() && observation.spark_app_id != job.spark_app_id) {
    update.spark_app_id = observation.spark_app_id;
  }
  if (observation.spark_ui_url != job.spark_ui_url) update.spark_ui_url = observation.spark_ui_url;
  bool now_running = observation.phase == Phase::kRunning && job.state != JobState::kRunning;
  Status written = Status::Ok();
  if (now_running) {
    update.set_started = true;
    written = store_
                  ->Transition(job.id, JobState::kRunning, update,
                               "Spark application " + observation.spark_app_id + " running")
                  .status();
    LogIfError(written, job, "record running");
  } else if (job.state == JobState::kUnknown) {
    written = store_->Transition(job.id, JobState::kSubmitted, update, "still starting").status();
    LogIfError(written, job, "record submitted");
  } else if (update.spark_app_id || update.spark_ui_url) {
    written = store_->Update(job.id, update);
    LogIfError(written, job, "record UI address");
  }
  if (written.ok()) {
    std::lock_guard lock(owned_mu_);
    last_seen_[job.id] = Fingerprint(observation);
  }
}

std::vector<classify::Diagnosis> Supervisor::Diagnose(const Job& job) {
  // One streaming classifier per log source, so a huge log is never held in memory; pod
  // objects are small and read whole.
  std::map<std::string, classify::LogClassifier, std::less<>> classifiers;
  std::map<std::string, std::string, std::less<>> objects;
  auto feed = [&](std::string_view source, std::string_view chunk) {
    if (source.starts_with(kPodSourcePrefix)) {
      std::string& text = objects[std::string(source)];
      if (text.size() < kMaxObjectBytes) text.append(chunk);
      return;
    }
    auto it = classifiers.find(source);
    if (it == classifiers.end()) {
      it = classifiers.emplace(std::string(source), classify::LogClassifier(std::string(source)))
               .first;
    }
    it->second.AddChunk(chunk);
  };
  LogIfError(backend_->StreamEvidence(job, feed), job, "read evidence");
  std::vector<classify::Diagnosis> diagnoses;
  for (auto& [source, classifier] : classifiers) {
    for (auto& d : classifier.Finish()) diagnoses.push_back(std::move(d));
  }
  for (const auto& [source, text] : objects) {
    for (auto& d : classify::DiagnoseText(text, source)) diagnoses.push_back(std::move(d));
  }
  return diagnoses;
}

void Supervisor::Finish(const Job& job, Observation observation) {
  std::vector<classify::Diagnosis> diagnoses = Diagnose(job);
  std::vector<ExecutorRecord> stored;
  if (auto full = store_->GetJob(job.id, std::nullopt); full.ok()) {
    stored = std::move(full->executors);
  }
  std::vector<ExecutorRecord> executors =
      MergeExecutors(std::move(stored), std::move(observation.executors));
  classify::ApplyDiagnoses(diagnoses, &executors);
  executors.insert(executors.begin(), DriverRecord(observation, diagnoses));
  LogIfError(store_->SaveExecutors(job.id, executors), job, "save executors");

  JobReport report = classify::SummarizeExecutors(executors);
  bool succeeded = observation.phase == Observation::Phase::kExited && observation.exit_code == 0;
  // Kept for successes too: the last lines usually hold the application's own result.
  if (auto tail = backend_->ReadDriverLog(job, -kLogTailBytes, kLogTailBytes); tail.ok()) {
    report.driver_log_tail = LastLines(tail->data, kLogTailLines);
  }
  JobUpdate update;
  update.report = report;
  update.set_finished = true;
  update.driver_exit_code = observation.exit_code;
  if (!observation.spark_app_id.empty()) update.spark_app_id = observation.spark_app_id;
  update.spark_ui_url = "";  // the live UI is gone; /ui redirects to the history server now
  std::string message = EndMessage(observation);
  if (!succeeded && !report.first_fatal_cause.empty()) message += "; " + report.first_fatal_cause;
  Status ended = store_
                     ->Transition(job.id, succeeded ? JobState::kSucceeded : JobState::kFailed,
                                  update, message)
                     .status();
  LogIfError(ended, job, "record end");
  if (ended.ok()) Forget(job.id);
  // The backend gave up on an application that never started: nothing of it may linger (a
  // pending pod that gets scheduled an hour later).
  if (observation.phase == Observation::Phase::kFailed) {
    LogIfError(backend_->Kill(job), job, "stop what is left after failing");
  }
}

void Supervisor::StopApplication(const Job& job) {
  if (job.backend != backend_->name()) return;
  LogIfError(backend_->Kill(job), job, "stop application");
}

}  // namespace sparkd
