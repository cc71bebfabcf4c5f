// Side effects the domain needs, behind interfaces so tests can control them.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace sparkd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() = 0;
};

// The system clock. Thread-safe.
std::unique_ptr<Clock> NewSystemClock();

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new job id: "j" followed by 8 time-ordered and 12 random base-32 characters.
  virtual std::string NewJobId() = 0;
};

// Random ids from the OS entropy source, sortable by creation time. Thread-safe.
std::unique_ptr<IdGenerator> NewRandomIdGenerator(Clock* clock);

}  // namespace sparkd
