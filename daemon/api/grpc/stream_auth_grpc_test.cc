// Streams that last as long as a job (WatchJob, ReadJobLog with follow) check their caller's
// token as they run: once it is revoked they end UNAUTHENTICATED within a few seconds, and a
// stream of another token is not touched.
#include <thread>

#include "daemon/api/grpc/grpc_api_test_fixture.h"

namespace sparkd::api {
namespace {

using Clock = std::chrono::steady_clock;

struct Issued {
  std::string token;
  std::string id;
};

// An open stream on its own thread: `Wait` says how it ended.
class OpenStream {
 public:
  // `open` runs the stream to its end with the context it is given.
  explicit OpenStream(std::function<grpc::Status(grpc::ClientContext*)> open)
      : thread_([this, open = std::move(open)] {
          auto status = open(&context_);
          std::lock_guard lock(mu_);
          status_ = status;
          ended_ = Clock::now();
          cv_.notify_all();
        }) {}
  ~OpenStream() {
    context_.TryCancel();
    thread_.join();
  }

  // The status once the stream has ended, nullopt if it still runs after `timeout`.
  std::optional<grpc::Status> Wait(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return status_.has_value(); });
    return status_;
  }
  Clock::time_point ended() {
    std::lock_guard lock(mu_);
    return ended_;
  }
  grpc::ClientContext* context() { return &context_; }

 private:
  grpc::ClientContext context_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<grpc::Status> status_;  // GUARDED_BY(mu_)
  Clock::time_point ended_;             // GUARDED_BY(mu_)
  std::thread thread_;
};

class StreamAuthTest : public GrpcApiTest {
 protected:
  Issued IssueBlueToken() {
    v1::CreateTokenRequest request;
    request.set_team("blue");
    v1::CreateTokenResponse issued;
    EXPECT_TRUE(
        Call(&v1::AdminService::Stub::CreateToken, admin_stub_, admin_token_, request, &issued)
            .ok());
    return {issued.token(), issued.token_id()};
  }

  void Revoke(const std::string& token_id) {
    v1::RevokeTokenRequest request;
    request.set_token_id(token_id);
    v1::RevokeTokenResponse revoked;
    ASSERT_TRUE(
        Call(&v1::AdminService::Stub::RevokeToken, admin_stub_, admin_token_, request, &revoked)
            .ok());
  }

  // WatchJob until it ends; `first` is set once the first message arrived.
  std::function<grpc::Status(grpc::ClientContext*)> Watching(const std::string& token,
                                                             const std::string& job_id,
                                                             std::atomic<bool>* first) {
    return [this, token, job_id, first](grpc::ClientContext* context) {
      context->AddMetadata("authorization", "Bearer " + token);
      v1::WatchJobRequest request;
      request.set_job_id(job_id);
      auto reader = jobs_stub_->WatchJob(context, request);
      v1::WatchJobResponse message;
      while (reader->Read(&message)) first->store(true);
      return reader->Finish();
    };
  }

  // ReadJobLog with follow until it ends; `first` is set once the server answered.
  std::function<grpc::Status(grpc::ClientContext*)> Following(const std::string& token,
                                                              const std::string& job_id,
                                                              std::atomic<bool>* first) {
    return [this, token, job_id, first](grpc::ClientContext* context) {
      context->AddMetadata("authorization", "Bearer " + token);
      v1::ReadJobLogRequest request;
      request.set_job_id(job_id);
      request.set_follow(true);
      auto reader = jobs_stub_->ReadJobLog(context, request);
      reader->WaitForInitialMetadata();
      first->store(true);
      v1::ReadJobLogResponse chunk;
      while (reader->Read(&chunk)) {
      }
      return reader->Finish();
    };
  }
};

TEST_F(StreamAuthTest, StreamsOfARevokedTokenEndUnauthenticated) {
  // The supervisor does not run here: the job stays QUEUED, so its streams never end by
  // themselves.
  auto job = SubmitAsBlue("platform_default", "dag/stream/revoked/1");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const Issued revoked = IssueBlueToken();
  const Issued kept = IssueBlueToken();
  struct Stream {
    std::string name;
    bool revoked;
    bool watch;
    std::atomic<bool> started{false};
    std::unique_ptr<OpenStream> open;
  };
  Stream streams[] = {
      {"WatchJob, revoked token", true, true, {}, {}},
      {"ReadJobLog follow, revoked token", true, false, {}, {}},
      {"WatchJob, another token", false, true, {}, {}},
      {"ReadJobLog follow, another token", false, false, {}, {}},
  };
  for (auto& s : streams) {
    const std::string& token = s.revoked ? revoked.token : kept.token;
    s.open = std::make_unique<OpenStream>(s.watch ? Watching(token, job->id(), &s.started)
                                                  : Following(token, job->id(), &s.started));
  }
  for (auto& s : streams) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!s.started && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(s.started) << s.name << " did not start";
    ASSERT_FALSE(s.open->Wait(std::chrono::seconds(0))) << s.name << " ended by itself";
  }

  Revoke(revoked.id);
  const auto revoked_at = Clock::now();
  for (auto& s : streams) {
    if (!s.revoked) continue;
    auto status = s.open->Wait(std::chrono::seconds(15));
    ASSERT_TRUE(status) << s.name << " still streams after its token was revoked";
    EXPECT_EQ(status->error_code(), StatusCode::UNAUTHENTICATED)
        << s.name << ": " << status->error_message();
    EXPECT_LT(s.open->ended() - revoked_at, kCredentialRecheck + std::chrono::seconds(3)) << s.name;
  }
  for (auto& s : streams) {
    if (s.revoked) continue;
    // Through at least one more check of its own token.
    EXPECT_FALSE(s.open->Wait(std::chrono::duration_cast<std::chrono::seconds>(kCredentialRecheck) +
                              std::chrono::seconds(1)))
        << s.name << " ended with the other";
    s.open->context()->TryCancel();
    auto status = s.open->Wait(std::chrono::seconds(10));
    ASSERT_TRUE(status) << s.name;
    EXPECT_EQ(status->error_code(), StatusCode::CANCELLED) << s.name;
  }
}

}  // namespace
}  // namespace sparkd::api
