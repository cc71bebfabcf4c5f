#include "daemon/core/clock.h"

#include <mutex>
#include <random>

namespace sparkd {
namespace {

constexpr char kBase32[] = "0123456789abcdefghjkmnpqrstvwxyz";  // Crockford, lower case

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
};

class RandomIdGenerator : public IdGenerator {
 public:
  explicit RandomIdGenerator(Clock* clock) : clock_(clock), engine_(std::random_device{}()) {}

  std::string NewJobId() override {
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
    std::string id = "j";
    for (int shift = 35; shift >= 0; shift -= 5) id += kBase32[(seconds >> shift) & 31];
    std::lock_guard lock(mu_);
    uint64_t random = engine_();
    for (int i = 0; i < 12; ++i, random >>= 5) id += kBase32[random & 31];
    return id;
  }

 private:
  Clock* clock_;
  std::mutex mu_;
  std::mt19937_64 engine_;  // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<Clock> NewSystemClock() { return std::make_unique<SystemClock>(); }

std::unique_ptr<IdGenerator> NewRandomIdGenerator(Clock* clock) {
  return std::make_unique<RandomIdGenerator>(clock);
}

}  // namespace sparkd
