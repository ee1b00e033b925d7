#include "gateway/healer.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "common/log.h"
#include "gateway/cluster_lease.h"
#include "server/parallel.h"

namespace strata::gw {
namespace {

namespace asio = boost::asio;
using std::chrono::microseconds;

Task<void> TimerSleep(microseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(asio::use_awaitable);
}

// A rate limit on a virtual schedule: each unit of work books 1/rate seconds
// after the previous booking, and Take waits until its booking is due. Idle
// time banks at most one second of credit, so a pause is not followed by a
// burst. Time is the healer's clock; waiting is its sleep.
class Pacer {
 public:
  Pacer(double per_second, Clock* clock, const SleepFn* sleep)
      : per_second_(per_second), clock_(clock), sleep_(sleep) {}

  Task<void> Take(double units) {
    if (per_second_ <= 0 || units <= 0) co_return;
    const SysTime now = clock_->Now();
    if (!started_ || next_ < now - std::chrono::seconds(1)) next_ = now;
    started_ = true;
    next_ += microseconds(static_cast<int64_t>(units / per_second_ * 1e6));
    if (next_ > now) co_await (*sleep_)(next_ - now);
  }

 private:
  double per_second_;
  Clock* clock_;
  const SleepFn* sleep_;
  bool started_ = false;
  SysTime next_{};
};

// The healer's series, looked up once.
struct Probe {
  explicit Probe(metrics::Registry* r, ObjectLayer* objects) {
    if (!r) return;
    auto counter = [r](const char* name, const char* help) {
      return &r->AddCounter(name, help).With({});
    };
    objects_total = counter("strata_heal_objects_total",
                            "Keys examined by healing (passes, heal on read, admin, bitrot).");
    records = counter("strata_heal_records_written_total",
                      "Version, bucket and config records healing wrote onto a drive.");
    shards = counter("strata_heal_shards_rebuilt_total",
                     "Shard files and inline shards rebuilt from the others and written.");
    bytes = counter("strata_heal_bytes_total", "Shard bytes written by healing rebuilds.");
    failures = counter("strata_heal_failures_total",
                       "Repairs healing could not make (retried on the next pass).");
    passes = counter("strata_heal_passes_total", "Completed background and admin heal passes.");
    bitrot_bytes = counter("strata_bitrot_bytes_scanned_total",
                           "Shard bytes the bitrot scan read and checked (CRC32C).");
    bitrot_corrupt = counter("strata_bitrot_corrupt_shards_total",
                             "Shards the bitrot scan found missing, short or corrupt.");
    last_pass = &r->AddGauge("strata_heal_last_pass_timestamp_seconds",
                             "When the last complete heal pass ended (Unix time).")
                     .With({});
    r->AddCollector("strata_heal_queue_length", "Keys waiting in the heal-on-read queue.",
                    metrics::Kind::kGauge, {}, [objects] {
                      return std::vector<metrics::Sample>{
                          {{}, static_cast<double>(objects->heal_queue_length())}};
                    });
    r->AddCollector("strata_heal_queue_dropped_total",
                    "Heal-on-read requests dropped because the queue was full.",
                    metrics::Kind::kCounter, {}, [objects] {
                      return std::vector<metrics::Sample>{
                          {{}, static_cast<double>(objects->stats().heal_queue_dropped.load())}};
                    });
  }
  metrics::Counter* objects_total = nullptr;
  metrics::Counter* records = nullptr;
  metrics::Counter* shards = nullptr;
  metrics::Counter* bytes = nullptr;
  metrics::Counter* failures = nullptr;
  metrics::Counter* passes = nullptr;
  metrics::Counter* bitrot_bytes = nullptr;
  metrics::Counter* bitrot_corrupt = nullptr;
  metrics::Gauge* last_pass = nullptr;
};

// HealReport as atomics, for totals read from another thread.
struct AtomicReport {
  std::atomic<uint64_t> objects{0}, versions{0}, records{0}, shards{0}, bytes{0}, verified{0},
      corrupt{0}, skipped{0}, failures{0};
  void Add(const HealReport& r) {
    objects += r.objects_examined;
    versions += r.versions_examined;
    records += r.records_written;
    shards += r.shards_rebuilt;
    bytes += r.bytes_rebuilt;
    verified += r.bytes_verified;
    corrupt += r.corrupt_shards;
    skipped += r.sets_skipped;
    failures += r.failures;
  }
  HealReport Get() const {
    return {objects, versions, records, shards, bytes, verified, corrupt, skipped, failures};
  }
};

}  // namespace

struct Healer::Impl {
  HealerOptions options;
  Probe probe;
  AtomicReport totals;
  std::atomic<int64_t> last_pass_us{0}, last_bitrot_us{0};
  std::atomic<uint64_t> passes{0}, bitrot_scans{0};

  std::unique_ptr<ClusterLease> lease;  // null: this process heals alone

  explicit Impl(HealerOptions o) : options(std::move(o)), probe(options.registry, options.objects) {
    if (!options.sleep) options.sleep = TimerSleep;
    if (!options.lease_holder.empty()) {
      lease = std::make_unique<ClusterLease>(options.objects, options.clock, "healer",
                                             options.lease_holder);
    }
  }

  // Whether this process may run a pass or a bitrot scan now.
  Task<bool> MayScan() {
    if (!lease) co_return true;
    co_return co_await lease->Acquire();
  }

  // Between keys of a pass or scan: false when it must stop (stopping, or
  // the lease went to another gateway).
  Task<bool> KeepGoing(const std::atomic<bool>& stop) {
    if (stop) co_return false;
    if (!lease) co_return true;
    co_return co_await lease->KeepAlive();
  }

  // `deep`: the work was a bitrot scan, whose reads count as scanned.
  void Record(const HealReport& r, bool deep) {
    totals.Add(r);
    if (!probe.objects_total) return;
    probe.objects_total->Inc(r.objects_examined);
    probe.records->Inc(r.records_written);
    probe.shards->Inc(r.shards_rebuilt);
    probe.bytes->Inc(r.bytes_rebuilt);
    probe.failures->Inc(r.failures);
    if (deep) {
      probe.bitrot_bytes->Inc(r.bytes_verified);
      probe.bitrot_corrupt->Inc(r.corrupt_shards);
    }
  }

  void PassDone() {
    const SysTime now = options.clock->Now();
    last_pass_us = ToMicros(now);
    ++passes;
    if (probe.passes) {
      probe.passes->Inc();
      probe.last_pass->Set(static_cast<double>(ToMicros(now)) / 1e6);
    }
  }

  std::vector<bool> OnlineDrives() const {
    std::vector<bool> out;
    for (const auto& pool : options.objects->pools())
      for (const auto& set : pool.sets)
        for (const auto& d : set.drives) out.push_back(d && d->online());
    return out;
  }

  // Waits `d` in steps of at most one poll, so `stop` is noticed.
  Task<void> Wait(microseconds d, const std::atomic<bool>& stop) {
    const SysTime until = options.clock->Now() + d;
    while (!stop) {
      const SysTime now = options.clock->Now();
      if (now >= until) break;
      const microseconds step = std::min<microseconds>(until - now, options.poll);
      co_await options.sleep(step);
    }
  }

  Task<HealReport> DrainQueue(const std::atomic<bool>& stop) {
    HealReport report;
    auto batch = options.objects->TakeQueuedHeals(options.queue_batch);
    for (auto& [bucket, key] : batch) {
      if (stop) break;
      auto r = co_await options.objects->HealObject(bucket, key);
      if (r.ok()) {
        report += *r;
      } else {
        ++report.failures;
      }
    }
    Record(report, /*deep=*/false);
    co_return report;
  }

  Task<Result<HealReport>> Pass(const std::atomic<bool>& stop) {
    HealReport report;
    auto records = co_await options.objects->HealBuckets();
    if (records.ok()) {
      report += *records;
    } else {
      ++report.failures;
    }
    Pacer pacer(options.objects_per_second, options.clock, &options.sleep);
    HealScanArgs args;
    std::atomic<bool> halt{stop.load()};
    args.stop = &halt;
    // Between keys: the pace, the lease, and the heal-on-read queue (a pass
    // may take hours; a degraded read should not wait for it).
    args.pace = [this, &pacer, &stop, &halt](uint64_t keys, uint64_t) -> Task<void> {
      if (!co_await KeepGoing(stop)) halt = true;
      if (keys == 0) co_return;
      co_await pacer.Take(static_cast<double>(keys));
      if (options.objects->heal_queue_length() > 0) co_await DrainQueue(stop);
    };
    auto walked = co_await options.objects->HealScan(std::move(args));
    if (!walked.ok()) {
      Record(report, false);
      co_return walked.status();
    }
    report += *walked;
    Record(report, false);
    if (!halt) PassDone();
    co_return report;
  }

  Task<Result<HealReport>> BitrotScan(const std::atomic<bool>& stop) {
    Pacer pacer(options.bitrot_bytes_per_second, options.clock, &options.sleep);
    HealScanArgs args;
    args.deep = true;
    std::atomic<bool> halt{stop.load()};
    args.stop = &halt;
    args.pace = [this, &pacer, &stop, &halt](uint64_t, uint64_t bytes) -> Task<void> {
      if (!co_await KeepGoing(stop)) halt = true;
      co_await pacer.Take(static_cast<double>(bytes));
    };
    auto r = co_await options.objects->HealScan(std::move(args));
    if (!r.ok()) co_return r.status();
    Record(*r, /*deep=*/true);
    if (!halt) {
      last_bitrot_us = ToMicros(options.clock->Now());
      ++bitrot_scans;
    }
    co_return r;
  }

  Task<void> HealLoop(const std::atomic<bool>& stop) {
    SysTime next_pass = options.clock->Now() + options.interval;
    std::vector<bool> was_online = OnlineDrives();
    while (!stop) {
      co_await DrainQueue(stop);
      std::vector<bool> online = OnlineDrives();
      bool came_back = false;
      for (size_t i = 0; i < online.size() && i < was_online.size(); ++i) {
        came_back = came_back || (online[i] && !was_online[i]);
      }
      was_online = std::move(online);
      if (came_back || options.clock->Now() >= next_pass) {
        // From the start: a pass longer than the interval is followed by the
        // next at once, not by a second interval.
        next_pass = options.clock->Now() + options.interval;
        Result<HealReport> r = HealReport{};  // another gateway's turn unless we hold the lease
        const bool mine = co_await MayScan();
        if (mine) r = co_await Pass(stop);
        if (!r.ok()) {
          log::Warn("heal pass failed", {{"error", r.status().ToString()}});
        } else if (r->records_written + r->shards_rebuilt + r->failures > 0) {
          log::Info("heal pass done", {{"trigger", came_back ? "drive back online" : "interval"},
                                       {"objects", r->objects_examined},
                                       {"records_written", r->records_written},
                                       {"shards_rebuilt", r->shards_rebuilt},
                                       {"bytes_rebuilt", r->bytes_rebuilt},
                                       {"failures", r->failures}});
        }
      }
      if (stop) break;
      co_await options.sleep(options.poll);
    }
  }

  Task<void> BitrotLoop(const std::atomic<bool>& stop) {
    if (options.bitrot_bytes_per_second <= 0) co_return;
    while (!stop) {
      if (!co_await MayScan()) {  // another gateway scans; look again later
        co_await Wait(std::chrono::seconds(30), stop);
        continue;
      }
      auto r = co_await BitrotScan(stop);
      if (!r.ok()) {
        log::Warn("bitrot scan failed", {{"error", r.status().ToString()}});
      } else if (r->corrupt_shards + r->failures > 0) {
        log::Warn("bitrot scan found damage", {{"objects", r->objects_examined},
                                               {"bytes_scanned", r->bytes_verified},
                                               {"corrupt_shards", r->corrupt_shards},
                                               {"shards_rebuilt", r->shards_rebuilt},
                                               {"failures", r->failures}});
      }
      // After a failed scan too: retry at the same gentle pace.
      co_await Wait(options.bitrot_interval, stop);
    }
  }
};

Healer::Healer(HealerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Healer::~Healer() = default;

Task<void> Healer::Run(const std::atomic<bool>& stop) {
  Impl& impl = *impl_;
  co_await server::ParallelEach(2, [&impl, &stop](size_t i) -> Task<void> {
    if (i == 0) {
      co_await impl.HealLoop(stop);
    } else {
      co_await impl.BitrotLoop(stop);
    }
  });
  if (impl.lease) co_await impl.lease->Release();
}

Task<Result<HealReport>> Healer::HealNow(std::optional<std::string> bucket, bool deep) {
  HealReport report;
  auto records = co_await impl_->options.objects->HealBuckets();
  if (!records.ok()) co_return records.status();
  report += *records;
  HealScanArgs args;
  args.bucket = bucket;
  args.deep = deep;
  auto walked = co_await impl_->options.objects->HealScan(std::move(args));
  if (!walked.ok()) {
    impl_->Record(report, deep);
    co_return walked.status();
  }
  report += *walked;
  impl_->Record(report, deep);
  if (!bucket) impl_->PassDone();
  co_return report;
}

HealerStatus Healer::status() const {
  HealerStatus s;
  s.last_pass = FromMicros(impl_->last_pass_us.load());
  s.last_bitrot_scan = FromMicros(impl_->last_bitrot_us.load());
  s.passes = impl_->passes.load();
  s.bitrot_scans = impl_->bitrot_scans.load();
  s.queue_length = impl_->options.objects->heal_queue_length();
  s.totals = impl_->totals.Get();
  return s;
}

Task<Result<HealReport>> Healer::PassOnce(const std::atomic<bool>& stop) {
  co_return co_await impl_->Pass(stop);
}

Task<Result<HealReport>> Healer::BitrotScanOnce(const std::atomic<bool>& stop) {
  co_return co_await impl_->BitrotScan(stop);
}

Task<HealReport> Healer::DrainQueue(const std::atomic<bool>& stop) {
  co_return co_await impl_->DrainQueue(stop);
}

}  // namespace strata::gw
