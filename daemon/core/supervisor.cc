#include "daemon/core/supervisor.h"

#include <spdlog/spdlog.h>

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

// The driver's own record: how spark-submit (the driver) ended, with what the driver log says.
ExecutorRecord DriverRecord(const Observation& observation,
                            const std::vector<classify::Diagnosis>& diagnoses) {
  ExecutorRecord driver;
  driver.executor_id = "driver";
  driver.exit_code = observation.exit_code;
  if (observation.exit_code == 0) {
    driver.reason = ExitReason::kSucceeded;
    driver.evidence = "driver exited with status 0";
    return driver;
  }
  for (const auto& d : diagnoses) {
    if (d.subject == classify::Subject::kDriver && d.reason != ExitReason::kUnknown &&
        d.reason != ExitReason::kSucceeded) {
      driver.reason = d.reason;
      driver.evidence = d.evidence;
      driver.advice = d.advice;
      return driver;
    }
  }
  driver.reason = ExitReason::kAppError;
  driver.evidence = observation.message.empty()
                        ? "driver exited with status " +
                              (observation.exit_code ? std::to_string(*observation.exit_code)
                                                     : std::string("unknown"))
                        : observation.message;
  driver.advice = classify::AdviceFor(ExitReason::kAppError);
  return driver;
}

}  // namespace

void Supervisor::LogIfError(const Status& status, const Job& job, const char* what) {
  if (!status.ok()) spdlog::warn("job {}: {}: {}", job.id, what, status.ToString());
}

Status Supervisor::Reconcile() {
  ASSIGN_OR_RETURN(std::vector<Job> jobs, store_->ListOwnedActiveJobs(options_.owner));
  for (const Job& job : jobs) {
    auto observation = backend_->Observe(job);
    if (!observation.ok() && observation.status().code() == StatusCode::kNotFound &&
        job.state == JobState::kSubmitting) {
      // The daemon died inside Launch before anything started: safe to launch it again.
      LogIfError(store_->Transition(job.id, JobState::kQueued, {},
                                    "queued again: the daemon restarted before launching it")
                     .status(),
                 job, "re-queue");
      continue;
    }
    auto unknown = store_->Transition(job.id, JobState::kUnknown, {},
                                      "reconciling after a daemon restart");
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
  thread_ = std::thread([this] { Loop(); });
}

void Supervisor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
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
  ObserveAll(*active);
  // Jobs that ended in this pass still count: they free their slot on the next pass.
  ClaimAndLaunch(static_cast<int>(active->size()));
}

void Supervisor::ClaimAndLaunch(int running) {
  while (running < options_.max_running_jobs) {
    auto claimed = store_->ClaimQueuedJob(backend_->name(), options_.owner);
    if (!claimed.ok()) {
      spdlog::warn("claiming a queued job: {}", claimed.status().ToString());
      return;
    }
    if (!claimed->has_value()) return;
    Launch(std::move(**claimed));
    ++running;
  }
}

void Supervisor::Launch(Job job) {
  auto ref = backend_->Launch(job);
  if (!ref.ok()) {
    JobUpdate update;
    update.set_finished = true;
    LogIfError(store_->Transition(job.id, JobState::kFailed, update,
                                  "launch failed: " + ref.status().message())
                   .status(),
               job, "record launch failure");
    return;
  }
  JobUpdate update;
  update.backend_ref = *ref;
  auto submitted = store_->Transition(job.id, JobState::kSubmitted, update,
                                      "launched (" + *ref + ")");
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
    auto observation = backend_->Observe(job);
    if (!observation.ok()) {
      LogIfError(observation.status(), job, "observe");
      continue;
    }
    Apply(job, std::move(*observation));
  }
}

void Supervisor::Apply(const Job& job, Observation observation) {
  using Phase = Observation::Phase;
  if (observation.phase == Phase::kExited || observation.phase == Phase::kLost) {
    Finish(job, std::move(observation));
    return;
  }
  JobUpdate update;
  if (!observation.spark_app_id.empty() && observation.spark_app_id != job.spark_app_id) {
    update.spark_app_id = observation.spark_app_id;
  }
  if (observation.spark_ui_url != job.spark_ui_url) update.spark_ui_url = observation.spark_ui_url;
  bool now_running = observation.phase == Phase::kRunning && job.state != JobState::kRunning;
  if (now_running) {
    update.set_started = true;
    LogIfError(store_->Transition(job.id, JobState::kRunning, update,
                                  "Spark application " + observation.spark_app_id + " running")
                   .status(),
               job, "record running");
  } else if (job.state == JobState::kUnknown) {
    LogIfError(store_->Transition(job.id, JobState::kSubmitted, update, "still starting").status(),
               job, "record submitted");
  } else if (update.spark_app_id || update.spark_ui_url) {
    LogIfError(store_->Update(job.id, update), job, "record UI address");
  }
}

std::vector<classify::Diagnosis> Supervisor::Diagnose(const Job& job) {
  // One streaming classifier per source, so a huge log is never held in memory.
  std::map<std::string, classify::LogClassifier, std::less<>> classifiers;
  auto feed = [&](std::string_view source, std::string_view chunk) {
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
  return diagnoses;
}

void Supervisor::Finish(const Job& job, Observation observation) {
  std::vector<classify::Diagnosis> diagnoses = Diagnose(job);
  std::vector<ExecutorRecord> executors = std::move(observation.executors);
  std::erase_if(executors, [](const ExecutorRecord& x) { return x.executor_id == "driver"; });
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
  std::string message;
  if (observation.phase == Observation::Phase::kLost) {
    message = "lost: " + observation.message;
  } else {
    message = "driver exited with status " + std::to_string(observation.exit_code.value_or(-1));
  }
  if (!succeeded && !report.first_fatal_cause.empty()) message += "; " + report.first_fatal_cause;
  LogIfError(store_->Transition(job.id, succeeded ? JobState::kSucceeded : JobState::kFailed,
                                update, message)
                 .status(),
             job, "record end");
}

void Supervisor::StopApplication(const Job& job) {
  if (job.backend != backend_->name()) return;
  LogIfError(backend_->Kill(job), job, "stop application");
}

}  // namespace sparkd
