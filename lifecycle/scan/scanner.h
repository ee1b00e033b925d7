// Scanner: applies the buckets' lifecycle configurations in the background
// (docs/ARCHITECTURE.md, "Lifecycle").
//
// A scan walks every bucket that has a configuration, in name order, through
// ListObjectVersions pages, evaluates each version (lifecycle/evaluator.h)
// and carries out what is due through the object layer: delete markers,
// removals, transitions to a pool or tier. It aborts stale multipart uploads
// and sweeps orphaned objects out of the data stores (pools and tiers) that
// no version points at. It examines at most `versions_per_second`, runs one
// action at a time, and saves its cursor (bucket, key) as a config record
// after every page, so a restart resumes where it stopped. With several
// gateways, one scans at a time: a lease (a config record with a holder and
// an expiry, renewed at every page) decides which. It never works around
// the drives' WORM check: a refused delete is counted and skipped.
//
// Thread safety: one Run per scanner, on one executor; ScanOnce is for tests
// and must not overlap Run. Metrics are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "gateway/data_store.h"
#include "gateway/object_layer.h"
#include "lifecycle/evaluator.h"

namespace strata::lifecycle {

struct ScannerOptions {
  gw::ObjectLayer* objects = nullptr;  // not owned
  Clock* clock = &Clock::Real();
  DayLength day;
  std::chrono::seconds interval{3600};  // from the end of one scan to the next
  double versions_per_second = 5000;    // examined; 0 = unbounded (tests)
  size_t page_size = 1000;
  // Colder classes rank higher; STANDARD is 0 (see ClassRank).
  std::function<int(std::string_view)> class_rank;
  // Every data store to sweep for orphans, by location name.
  std::function<std::vector<std::pair<std::string, std::shared_ptr<gw::DataStore>>>()> stores;
  // An object in a store younger than this is never taken for an orphan (a
  // PUT or transition may be between its data write and its home commit).
  std::chrono::seconds orphan_grace{900};
  metrics::Registry* registry = nullptr;  // optional
  // Who holds the scanning lease: stable across restarts of the same process
  // (e.g. "gateway@host:port"), so a restarted gateway takes its own lease
  // back at once. Empty: random per process.
  std::string lease_holder;
};

struct ScanReport {
  uint64_t buckets = 0;
  uint64_t versions_examined = 0;
  uint64_t expired = 0;            // current versions removed or given a delete marker
  uint64_t versions_deleted = 0;   // noncurrent versions removed for good
  uint64_t markers_removed = 0;    // expired object delete markers
  uint64_t transitioned = 0;
  uint64_t uploads_aborted = 0;
  uint64_t refused = 0;            // the drives refused (object lock)
  uint64_t orphans_removed = 0;
  uint64_t errors = 0;
  bool completed = false;          // false when stopped midway
};

// The default ranking: STANDARD / REDUCED_REDUNDANCY 0, STANDARD_IA and
// ONEZONE_IA 1, INTELLIGENT_TIERING 1, GLACIER_IR 2, GLACIER 3, DEEP_ARCHIVE
// 4, anything else (tiers) 5.
int ClassRank(std::string_view storage_class);

class Scanner {
 public:
  explicit Scanner(ScannerOptions options);
  ~Scanner();

  // Scans, then waits `interval`, until `stop` (checked between versions and
  // every second while waiting).
  gw::Task<void> Run(const std::atomic<bool>& stop);
  // One scan, from the saved cursor (or the start) to the end.
  gw::Task<Result<ScanReport>> ScanOnce(const std::atomic<bool>& stop);
  // Takes (or keeps) the cluster-wide scanning lease; false while another
  // scanner (another gateway) holds an unexpired one. Run calls it before
  // each scan and renews it at every page, and releases it when stopped.
  gw::Task<bool> AcquireLease();
  gw::Task<void> ReleaseLease();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::lifecycle
