#include "lifecycle/scan/scanner.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/log.h"
#include "gateway/cluster_lease.h"
#include "lifecycle/rules.h"
#include "metadata/records.h"

namespace strata::lifecycle {
namespace {

namespace asio = boost::asio;
using gw::Task;
using gw::VersionRef;

constexpr std::string_view kCursorKind = "scanner";
constexpr std::string_view kCursorName = "lifecycle";
// How long a scanner's claim lasts without renewal; renewed at every page.

// (GCC 12 destroys some non-trivial temporaries of a co_await expression
// twice: arguments to awaited calls are named variables here.)

// Per-module probe: the scanner's series, looked up once.
struct Probe {
  explicit Probe(metrics::Registry* r) {
    if (!r) return;
    transitioned = &r->AddCounter("strata_lifecycle_transitioned_objects_total",
                                  "Versions moved by lifecycle transitions, by target class or tier.",
                                  {"target"});
    transitioned_bytes = &r->AddCounter("strata_lifecycle_transitioned_bytes_total",
                                        "Bytes moved by lifecycle transitions, by target.",
                                        {"target"});
    expired = &r->AddCounter("strata_lifecycle_expired_objects_total",
                             "Versions and delete markers expired by lifecycle, by the storage "
                             "class (tier) they were in.",
                             {"class"});
    expired_bytes = &r->AddCounter("strata_lifecycle_expired_bytes_total",
                                   "Bytes of versions removed by lifecycle, by storage class.",
                                   {"class"});
    aborted = &r->AddCounter("strata_lifecycle_uploads_aborted_total",
                             "Incomplete multipart uploads aborted by lifecycle.")
                   .With({});
    refused = &r->AddCounter("strata_lifecycle_refused_total",
                             "Lifecycle deletions skipped or refused because of object lock.")
                   .With({});
    orphans = &r->AddCounter("strata_lifecycle_orphans_removed_total",
                             "Objects removed from pools and tiers that no version pointed at.")
                  .With({});
    errors = &r->AddCounter("strata_lifecycle_errors_total",
                            "Lifecycle actions that failed (retried on the next scan).")
                 .With({});
    examined = &r->AddCounter("strata_lifecycle_versions_examined_total",
                              "Versions the lifecycle scanner evaluated.")
                   .With({});
    scans = &r->AddCounter("strata_lifecycle_scans_total", "Completed lifecycle scans.").With({});
    duration = &r->AddGauge("strata_lifecycle_last_scan_duration_seconds",
                            "How long the last completed lifecycle scan took.")
                    .With({});
    progress = &r->AddGauge("strata_lifecycle_scan_progress_ratio",
                            "Share of the buckets with lifecycle rules done in the current scan.")
                    .With({});
    running = &r->AddGauge("strata_lifecycle_scan_running", "1 while a lifecycle scan runs.")
                  .With({});
  }
  metrics::Family<metrics::Counter>* transitioned = nullptr;
  metrics::Family<metrics::Counter>* transitioned_bytes = nullptr;
  metrics::Family<metrics::Counter>* expired = nullptr;
  metrics::Family<metrics::Counter>* expired_bytes = nullptr;
  metrics::Counter* aborted = nullptr;
  metrics::Counter* refused = nullptr;
  metrics::Counter* orphans = nullptr;
  metrics::Counter* errors = nullptr;
  metrics::Counter* examined = nullptr;
  metrics::Counter* scans = nullptr;
  metrics::Gauge* duration = nullptr;
  metrics::Gauge* progress = nullptr;
  metrics::Gauge* running = nullptr;
};

void Inc(metrics::Counter* c, uint64_t n = 1) {
  if (c) c->Inc(n);
}

void IncLabelled(metrics::Family<metrics::Counter>* f, std::string_view label, uint64_t n) {
  if (f) f->With({label}).Inc(n);
}

bool Locked(const meta::VersionRecord& r, SysTime now) {
  return r.legal_hold || (!r.retention_mode.empty() && r.retain_until > now);
}

struct Cursor {
  std::string bucket, key;  // resume after every version of `key` in `bucket`
};

}  // namespace

int ClassRank(std::string_view c) {
  if (c.empty() || c == "STANDARD" || c == "REDUCED_REDUNDANCY") return 0;
  if (c == "STANDARD_IA" || c == "ONEZONE_IA" || c == "INTELLIGENT_TIERING") return 1;
  if (c == "GLACIER_IR") return 2;
  if (c == "GLACIER") return 3;
  if (c == "DEEP_ARCHIVE") return 4;
  return 5;  // a tier: outside the cluster's own pools
}

struct Scanner::Impl {
  explicit Impl(ScannerOptions o) : options(std::move(o)), probe(options.registry) {
    if (!options.class_rank) options.class_rank = ClassRank;
  }

  ScannerOptions options;
  Probe probe;

  // ---- cursor --------------------------------------------------------------------

  Task<Cursor> LoadCursor() {
    std::string kind(kCursorKind);
    auto records = co_await options.objects->ListConfig(kind);
    if (records.ok()) {
      for (const auto& r : *records) {
        if (r.name != kCursorName) continue;
        auto j = nlohmann::json::parse(r.value, nullptr, false);
        if (j.is_object() && j["bucket"].is_string() && j["key"].is_string()) {
          co_return Cursor{j["bucket"].get<std::string>(), j["key"].get<std::string>()};
        }
      }
    }
    co_return Cursor{};
  }

  Task<void> SaveCursor(const Cursor& c) {
    // Each page renews the claim: a long scan keeps the lease.
    const bool renewed = co_await lease.KeepAlive();
    (void)renewed;  // best effort, like the cursor itself
    nlohmann::json j = {{"bucket", c.bucket}, {"key", c.key}};
    meta::ConfigRecord record{std::string(kCursorKind), std::string(kCursorName), j.dump(),
                              options.clock->Now(), false};
    // Best effort: a lost cursor means re-examining, never missing, versions.
    (co_await options.objects->PutConfig(std::move(record))).IgnoreError();
  }

  // ---- the lease: one scanner at a time in a cluster of gateways -------------------

  gw::ClusterLease lease{options.objects, options.clock, "lifecycle-scanner",
                         options.lease_holder.empty() ? HexEncode(RandomBytes(8))
                                                      : options.lease_holder};

  // ---- pacing ----------------------------------------------------------------------

  Task<void> Pace(size_t examined, std::chrono::steady_clock::time_point since) {
    if (options.versions_per_second <= 0 || examined == 0) co_return;
    auto should = std::chrono::duration<double>(examined / options.versions_per_second);
    auto spent = std::chrono::steady_clock::now() - since;
    if (spent >= should) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(should - spent));
    co_await timer.async_wait(asio::use_awaitable);
  }

  // ---- one version -----------------------------------------------------------------

  struct KeyState {
    std::string key;
    int seen = 0;
    SysTime newer_mtime{};
    int newer_noncurrent = 0;
    std::optional<gw::ListedVersion> held;  // the latest, until we know if it is alone
  };

  Task<void> Act(const std::string& bucket, const Configuration& config, bool versioned,
                 const gw::ListedVersion& v, const VersionFacts& facts, ScanReport& report) {
    ++report.versions_examined;
    Inc(probe.examined);
    SysTime now = options.clock->Now();
    Action action = Evaluate(config, facts, now, options.day, options.class_rank);
    if (action.kind == Action::kNone) co_return;
    const auto& r = v.record;
    const std::string cls = r.storage_class.empty() ? "STANDARD" : r.storage_class;
    Status st;
    switch (action.kind) {
      case Action::kExpireCurrent: {
        if (versioned) {
          // A newer PUT since the listing is not the version we judged.
          VersionRef latest = VersionRef::Latest();
          auto head = co_await options.objects->HeadObject(bucket, v.key, latest);
          if (!head.ok() || head->version_id != r.version_id) co_return;
          auto d = co_await options.objects->DeleteObject(bucket, v.key, latest);
          st = d.status();
        } else {
          if (Locked(r, now)) {
            ++report.refused;
            Inc(probe.refused);
            co_return;
          }
          VersionRef ref{VersionRef::Kind::kId, r.version_id};
          auto d = co_await options.objects->DeleteObject(bucket, v.key, ref);
          st = d.status();
        }
        if (st.ok()) {
          ++report.expired;
          IncLabelled(probe.expired, cls, 1);
          if (!versioned) IncLabelled(probe.expired_bytes, cls, r.size);
        }
        break;
      }
      case Action::kDeleteVersion:
      case Action::kDeleteMarker: {
        if (Locked(r, now)) {
          ++report.refused;
          Inc(probe.refused);
          co_return;
        }
        VersionRef ref{VersionRef::Kind::kId, r.version_id};
        auto d = co_await options.objects->DeleteObject(bucket, v.key, ref);
        st = d.status();
        if (st.ok()) {
          if (action.kind == Action::kDeleteMarker) {
            ++report.markers_removed;
          } else {
            ++report.versions_deleted;
          }
          IncLabelled(probe.expired, cls, 1);
          IncLabelled(probe.expired_bytes, cls, r.size);
        }
        break;
      }
      case Action::kTransition:
        st = co_await options.objects->Transition(bucket, v.key, r.version_id,
                                                  action.storage_class);
        if (st.ok()) {
          ++report.transitioned;
          IncLabelled(probe.transitioned, action.storage_class, 1);
          IncLabelled(probe.transitioned_bytes, action.storage_class, r.size);
        }
        break;
      case Action::kNone:
        break;
    }
    if (!st.ok()) {
      log::Debug("lifecycle action not done", {{"bucket", bucket},
                                               {"key", v.key},
                                               {"rule", action.rule_id},
                                               {"error", st.ToString()}});
    }
    if (st.code() == Code::kAccessDenied) {
      ++report.refused;
      Inc(probe.refused);
    } else if (!st.ok() && st.code() != Code::kPreconditionFailed &&
               st.code() != Code::kNoSuchKey && st.code() != Code::kNoSuchVersion) {
      ++report.errors;
      Inc(probe.errors);
      log::Warn("lifecycle action failed", {{"bucket", bucket},
                                            {"key", v.key},
                                            {"rule", action.rule_id},
                                            {"error", st.ToString()}});
    }
  }

  VersionFacts Facts(const gw::ListedVersion& v, bool versioned) {
    VersionFacts f;
    f.key = v.key;
    f.size = v.record.size;
    f.mtime = v.record.mtime;
    f.tags = &v.record.tags;
    f.is_latest = v.is_latest;
    f.delete_marker = v.record.delete_marker;
    // (Both arms views: a std::string arm would make a temporary to dangle.)
    f.storage_class = v.record.storage_class.empty() ? std::string_view("STANDARD")
                                                     : std::string_view(v.record.storage_class);
    f.versioned_bucket = versioned;
    return f;
  }

  // Feeds one listed version; versions of a key come newest first.
  Task<void> Feed(const std::string& bucket, const Configuration& config, bool versioned,
                  KeyState& state, gw::ListedVersion v, ScanReport& report) {
    if (state.seen == 0 && v.is_latest) {
      // Alone, or the newest of several? The next version (or the key's end) tells.
      state.newer_mtime = v.record.mtime;
      state.seen = 1;
      state.held = std::move(v);
      co_return;
    }
    if (state.held) {
      gw::ListedVersion latest = std::move(*state.held);
      state.held.reset();
      VersionFacts f = Facts(latest, versioned);
      f.only_version = false;
      co_await Act(bucket, config, versioned, latest, f, report);
    }
    VersionFacts f = Facts(v, versioned);
    f.is_latest = false;
    // Without the newer version seen, when it became noncurrent is unknown:
    // the evaluator then leaves it alone.
    if (state.seen > 0) f.noncurrent_since = state.newer_mtime;
    f.newer_noncurrent_versions = state.newer_noncurrent;
    co_await Act(bucket, config, versioned, v, f, report);
    ++state.newer_noncurrent;
    ++state.seen;
    state.newer_mtime = v.record.mtime;
  }

  Task<void> FinishKey(const std::string& bucket, const Configuration& config, bool versioned,
                       KeyState& state, ScanReport& report) {
    if (state.held) {
      gw::ListedVersion latest = std::move(*state.held);
      state.held.reset();
      VersionFacts f = Facts(latest, versioned);
      f.only_version = true;
      co_await Act(bucket, config, versioned, latest, f, report);
    }
    state = KeyState{};
  }

  // ---- one bucket --------------------------------------------------------------------

  Task<Status> ScanBucket(const meta::BucketRecord& bucket, const Configuration& config,
                          std::string after_key, const std::atomic<bool>& stop,
                          ScanReport& report) {
    const bool versioned = !bucket.versioning.empty();
    gw::ListVersionsArgs args;
    args.bucket = bucket.name;
    args.key_marker = after_key;
    args.max_keys = options.page_size;
    KeyState state;
    for (;;) {
      if (stop) co_return Status(Code::kAborted, "stopping");
      auto start = std::chrono::steady_clock::now();
      STRATA_CO_ASSIGN_OR_RETURN(auto page, co_await options.objects->ListObjectVersions(args));
      std::string last_done;  // the last key whose versions were all seen
      for (auto& v : page.versions) {
        if (stop) co_return Status(Code::kAborted, "stopping");
        if (v.key != state.key) {
          if (!state.key.empty()) {
            last_done = state.key;
            co_await FinishKey(bucket.name, config, versioned, state, report);
          }
          state.key = v.key;
        }
        co_await Feed(bucket.name, config, versioned, state, std::move(v), report);
      }
      if (!page.truncated) {
        if (!state.key.empty()) co_await FinishKey(bucket.name, config, versioned, state, report);
        break;
      }
      args.key_marker = page.next_key_marker;
      auto marker = gw::ParseVersionId(page.next_version_marker);
      args.version_marker = marker.ok() ? *marker : VersionRef::Latest();
      // Save where a restart can resume without splitting a key.
      if (!last_done.empty()) {
        Cursor at{bucket.name, last_done};
        co_await SaveCursor(at);
      }
      co_await Pace(page.versions.size(), start);
    }
    co_return co_await AbortUploads(bucket.name, config, stop, report);
  }

  Task<Status> AbortUploads(const std::string& bucket, const Configuration& config,
                            const std::atomic<bool>& stop, ScanReport& report) {
    bool any_rule = false;
    for (const auto& r : config.rules) any_rule = any_rule || r.abort_incomplete_multipart_days;
    if (!any_rule) co_return Status();
    gw::ListUploadsArgs args;
    args.bucket = bucket;
    args.max_uploads = options.page_size;
    for (;;) {
      if (stop) co_return Status(Code::kAborted, "stopping");
      STRATA_CO_ASSIGN_OR_RETURN(auto uploads, co_await options.objects->ListUploads(args));
      for (const auto& u : uploads) {
        if (!ShouldAbortUpload(config, u.key, u.initiated, options.clock->Now(), options.day)) {
          continue;
        }
        Status st = co_await options.objects->AbortUpload(bucket, u.key, u.upload_id);
        if (st.ok()) {
          ++report.uploads_aborted;
          Inc(probe.aborted);
        } else if (st.code() != Code::kNoSuchUpload) {
          ++report.errors;
          Inc(probe.errors);
        }
      }
      if (uploads.size() < args.max_uploads) break;
      args.key_marker = uploads.back().key;
      args.upload_id_marker = uploads.back().upload_id;
    }
    co_return Status();
  }

  // ---- orphans -------------------------------------------------------------------------

  Task<void> SweepOrphans(const std::atomic<bool>& stop, ScanReport& report) {
    if (!options.stores) co_return;
    const SysTime cutoff = options.clock->Now() - options.orphan_grace;
    for (auto& [location, store] : options.stores()) {
      std::string after;
      for (;;) {
        if (stop) co_return;
        auto page = co_await store->List("", after, options.page_size);
        if (!page.ok() || page->empty()) break;
        for (const auto& e : *page) {
          if (stop) co_return;
          after = e.key;
          if (e.mtime > cutoff) continue;
          if (co_await IsOrphan(location, e.key)) {
            if ((co_await store->Delete(e.key)).ok()) {
              ++report.orphans_removed;
              Inc(probe.orphans);
            }
          }
        }
        if (page->size() < options.page_size) break;
      }
    }
  }

  // True only when the owner named by the key's path definitely does not
  // point here (any doubt keeps the object).
  Task<bool> IsOrphan(const std::string& location, const std::string& store_key) {
    size_t first = store_key.find('/');
    size_t last = store_key.rfind('/');
    if (first == std::string::npos || last <= first) co_return false;
    std::string bucket = store_key.substr(0, first);
    std::string key = store_key.substr(first + 1, last - first - 1);
    auto raw = meta::VersionIdFromHex(std::string_view(store_key).substr(last + 1));
    if (!raw.ok()) co_return false;
    VersionRef ref{VersionRef::Kind::kId, *raw};
    auto head = co_await options.objects->HeadObject(bucket, key, ref);
    if (head.ok()) co_return head->location != location || head->location_key != store_key;
    Code c = head.status().code();
    co_return c == Code::kNoSuchKey || c == Code::kNoSuchVersion || c == Code::kNoSuchBucket;
  }

  // ---- a scan ----------------------------------------------------------------------------

  Task<Result<ScanReport>> ScanOnce(const std::atomic<bool>& stop) {
    ScanReport report;
    auto started = std::chrono::steady_clock::now();
    if (probe.running) probe.running->Set(1);
    Cursor cursor = co_await LoadCursor();
    auto buckets = co_await options.objects->ListBuckets();
    if (!buckets.ok()) {
      if (probe.running) probe.running->Set(0);
      co_return buckets.status();
    }
    std::vector<std::pair<meta::BucketRecord, Configuration>> work;
    for (auto& b : *buckets) {
      auto it = b.config.find(std::string(gw::kBucketLifecycle));
      if (it == b.config.end()) continue;
      // Validated when it was put; an unknown class now (a removed tier)
      // fails that transition, not the whole configuration.
      auto config = ParseConfiguration(it->second, nullptr);
      if (!config.ok()) {
        ++report.errors;
        Inc(probe.errors);
        continue;
      }
      work.emplace_back(std::move(b), std::move(*config));
    }
    size_t done = 0;
    for (auto& [bucket, config] : work) {
      if (stop) break;
      if (!cursor.bucket.empty() && bucket.name < cursor.bucket) {
        ++done;
        continue;
      }
      std::string after = bucket.name == cursor.bucket ? cursor.key : std::string();
      ++report.buckets;
      Status st = co_await ScanBucket(bucket, config, after, stop, report);
      if (!st.ok() && st.code() != Code::kAborted && st.code() != Code::kNoSuchBucket) {
        ++report.errors;
        Inc(probe.errors);
        log::Warn("lifecycle scan of a bucket failed",
                  {{"bucket", bucket.name}, {"error", st.ToString()}});
      }
      if (stop) break;
      ++done;
      if (probe.progress) probe.progress->Set(double(done) / double(work.size()));
      // "name\0" sorts after this bucket and before any other: done with it.
      Cursor past{bucket.name + std::string(1, '\0'), ""};
      co_await SaveCursor(past);
    }
    if (!stop) co_await SweepOrphans(stop, report);
    if (probe.running) probe.running->Set(0);
    if (stop) co_return report;
    report.completed = true;
    Cursor start;
    co_await SaveCursor(start);
    Inc(probe.scans);
    if (probe.duration) {
      probe.duration->Set(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (probe.progress) probe.progress->Set(1);
    co_return report;
  }
};

Scanner::Scanner(ScannerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Scanner::~Scanner() = default;

Task<bool> Scanner::AcquireLease() { co_return co_await impl_->lease.Acquire(); }
Task<void> Scanner::ReleaseLease() { co_await impl_->lease.Release(); }

Task<Result<ScanReport>> Scanner::ScanOnce(const std::atomic<bool>& stop) {
  co_return co_await impl_->ScanOnce(stop);
}

Task<void> Scanner::Run(const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop) {
    // With several gateways, one scans; the others wait for its lease to end.
    if (!co_await impl_->lease.Acquire()) {
      timer.expires_after(std::chrono::seconds(std::min<int64_t>(impl_->options.interval.count(), 10)));
      co_await timer.async_wait(asio::use_awaitable);
      continue;
    }
    auto report = co_await impl_->ScanOnce(stop);
    if (!report.ok()) {
      log::Warn("lifecycle scan failed", {{"error", report.status().ToString()}});
    } else if (report->completed &&
               report->expired + report->versions_deleted + report->markers_removed +
                       report->transitioned + report->uploads_aborted + report->refused +
                       report->orphans_removed + report->errors >
                   0) {
      log::Info("lifecycle scan done", {{"buckets", report->buckets},
                                        {"examined", report->versions_examined},
                                        {"expired", report->expired},
                                        {"deleted", report->versions_deleted},
                                        {"markers", report->markers_removed},
                                        {"transitioned", report->transitioned},
                                        {"aborted", report->uploads_aborted},
                                        {"refused", report->refused},
                                        {"orphans", report->orphans_removed},
                                        {"errors", report->errors}});
    }
    auto until = std::chrono::steady_clock::now() + impl_->options.interval;
    while (!stop && std::chrono::steady_clock::now() < until) {
      timer.expires_after(std::min<std::chrono::steady_clock::duration>(
          std::chrono::seconds(1), until - std::chrono::steady_clock::now()));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }
  co_await impl_->lease.Release();
}

}  // namespace strata::lifecycle
