// The injectable clock. Everything that reads wall time (SigV4 skew,
// presigned expiry, Last-Modified, version ids, lifecycle, retention) takes a
// Clock&, so tests can move time without sleeping.
//
// Thread safety: implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace strata {

using SysTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime Now() const = 0;

  // The process-wide real clock.
  static Clock& Real();
};

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SysTime start) : now_us_(start.time_since_epoch().count()) {}
  SysTime Now() const override { return SysTime(std::chrono::microseconds(now_us_.load())); }
  void Set(SysTime t) { now_us_ = t.time_since_epoch().count(); }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }

 private:
  std::atomic<int64_t> now_us_;
};

inline int64_t ToMicros(SysTime t) { return t.time_since_epoch().count(); }
inline SysTime FromMicros(int64_t us) { return SysTime(std::chrono::microseconds(us)); }

}  // namespace strata
