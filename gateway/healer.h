// Healer: the background side of healing (docs/ARCHITECTURE.md, "Healing").
//
// Run() keeps three things going on the caller's executor:
//   - the heal-on-read queue (ObjectLayer::QueueHeal), drained every `poll`;
//   - passes: bucket and config records (HealBuckets), then a walk over every
//     key of every set (HealScan) that repairs keys whose drives disagree, at
//     most `objects_per_second` keys a second. A pass runs every `interval`,
//     and at the next poll after any drive's online() turns true again;
//   - the bitrot scan: the same walk, deep (every shard frame read and its
//     CRC32C checked, failures rebuilt), at most `bitrot_bytes_per_second`
//     shard bytes a second, then a pause of `bitrot_interval`.
// HealNow() is the admin command: the same work for everything (or one
// bucket), at once and unpaced.
//
// With `lease_holder` set (gateways), passes and bitrot scans run on one
// gateway of the cluster at a time, the holder of the "healer" ClusterLease;
// every gateway still heals what its own degraded reads queue.
//
// Time goes through `clock` and waiting through `sleep`, so tests drive the
// healer with a FakeClock and a sleep that advances it: no real waiting.
//
// Thread safety: one Run per healer. HealNow and status() may be called from
// any thread meanwhile (the admin listener's); counters are atomics, and
// healing one key twice at once is harmless (every write is idempotent).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "gateway/object_layer.h"

namespace strata::gw {

// Waits `d` (or about that: a test may only pretend to).
using SleepFn = std::function<Task<void>(std::chrono::microseconds d)>;

struct HealerOptions {
  ObjectLayer* objects = nullptr;  // not owned
  Clock* clock = &Clock::Real();
  std::chrono::seconds interval{600};  // from the start of one pass to the next
  double objects_per_second = 500;     // keys a background pass examines; 0 = unbounded
  // Shard bytes the bitrot scan reads a second; 0 turns the scan off.
  double bitrot_bytes_per_second = 16 << 20;
  std::chrono::seconds bitrot_interval{3600};  // pause after each complete bitrot scan
  std::chrono::milliseconds poll{1000};        // queue and drive state checks
  size_t queue_batch = 100;                    // queued keys healed per poll
  metrics::Registry* registry = nullptr;       // optional; must outlive the healer
  std::string lease_holder;                    // empty: no lease (one process owns the drives)
  SleepFn sleep;  // default: an asio steady_timer on the caller's executor
};

struct HealerStatus {
  SysTime last_pass{};         // end of the last complete pass; the epoch: none yet
  SysTime last_bitrot_scan{};  // end of the last complete bitrot scan
  uint64_t passes = 0;
  uint64_t bitrot_scans = 0;
  size_t queue_length = 0;
  HealReport totals;  // everything healed since start: passes, queue, bitrot, admin
};

class Healer {
 public:
  explicit Healer(HealerOptions options);
  ~Healer();
  Healer(const Healer&) = delete;
  Healer& operator=(const Healer&) = delete;

  // Until `stop` (checked between keys and at every poll).
  Task<void> Run(const std::atomic<bool>& stop);
  // Heals everything, or one bucket, now: bucket and config records, then
  // every key whose drives disagree; with `deep` every shard is verified too.
  Task<Result<HealReport>> HealNow(std::optional<std::string> bucket, bool deep = false);
  HealerStatus status() const;

  // The steps Run is made of, for tests.
  Task<Result<HealReport>> PassOnce(const std::atomic<bool>& stop);
  Task<Result<HealReport>> BitrotScanOnce(const std::atomic<bool>& stop);
  Task<HealReport> DrainQueue(const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::gw
