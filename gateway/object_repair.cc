// RemoveBelowQuorum: the start-up clean-up of commits a crash cut short.
//
// A PUT commits its version record on every drive in parallel and answers
// once a write quorum did. A crash between the first and the k-th commit
// leaves the record (and its shards) on fewer than k drives: HEAD and listings
// already ignore it, but it holds space (in a versioned bucket for good, as
// newer versions pile on top of it). This walk finds such keys by merging the
// version pages of all online drives of a set (versions all drives hold cost
// one comparison) and removes, per key, every version that fewer than k
// drives hold even counting the offline ones.
#include <algorithm>
#include <map>
#include <set>

#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::ParallelEach;

namespace {

constexpr size_t kPage = 1000;

struct Stream {
  server::Drive* drive = nullptr;
  std::vector<server::ListEntry> entries;
  size_t pos = 0;
  bool more = true;
  std::string last, last_version;  // resume after this (key, version)
  bool HasFront() const { return pos < entries.size(); }
  const server::ListEntry& Front() const { return entries[pos]; }
};

// Walk order: keys ascending, each key's versions newest first.
bool Before(const server::ListEntry& a, const server::ListEntry& b) {
  if (a.key != b.key) return a.key < b.key;
  return a.record.version_id > b.record.version_id;
}

// Examines one key of `set`: removes the versions too few drives hold.
Task<uint64_t> RemoveStrays(const ErasureSet& set, const std::string& bucket,
                            const std::string& key, SysTime written_before) {
  std::vector<std::optional<std::vector<meta::VersionRecord>>> per_drive(set.drives.size());
  co_await ParallelEach(set.drives.size(), [&](size_t i) -> Task<void> {
    if (!set.drives[i] || !set.drives[i]->online()) co_return;
    auto r = co_await set.drives[i]->GetVersions(bucket, key);
    if (r.ok()) per_drive[i] = std::move(*r);
  });
  int unanswered = 0;
  std::map<std::string, int> holders;
  for (const auto& versions : per_drive) {
    if (!versions) {
      ++unanswered;
      continue;
    }
    for (const auto& v : *versions) holders[v.version_id]++;
  }
  // Offline or silent drives might hold any version: count them as holders.
  const int unknown = unanswered;
  std::set<std::string> doomed;
  for (const auto& versions : per_drive) {
    if (!versions) continue;
    for (const auto& v : *versions) {
      if (holders[v.version_id] + unknown < set.k && v.mtime < written_before) {
        doomed.insert(v.version_id);
      }
    }
  }
  if (doomed.empty()) co_return 0;
  co_await ParallelEach(set.drives.size(), [&](size_t i) -> Task<void> {
    if (!per_drive[i]) co_return;
    server::DriveTxn txn;
    for (auto& v : *per_drive[i]) {
      if (doomed.contains(v.version_id)) txn.delete_versions.push_back({bucket, key, std::move(v)});
    }
    if (txn.delete_versions.empty()) co_return;
    (co_await set.drives[i]->Apply(std::move(txn))).IgnoreError();
  });
  const uint64_t removed = doomed.size();
  co_return removed;
}

}  // namespace

Task<Result<BelowQuorumReport>> ObjectLayer::RemoveBelowQuorum(SysTime written_before,
                                                               const std::atomic<bool>& stop) {
  BelowQuorumReport report;
  STRATA_CO_ASSIGN_OR_RETURN(auto buckets, co_await ListBuckets());
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      std::vector<Stream> base;
      for (const auto& d : set.drives) {
        if (d && d->online()) base.push_back(Stream{d.get()});
      }
      const int offline = static_cast<int>(set.drives.size() - base.size());
      // A version some drive holds is provably below quorum only when
      // 1 + offline < k.
      if (offline + 1 >= set.k) {
        ++report.sets_skipped;
        continue;
      }
      for (const auto& bucket : buckets) {
        std::vector<Stream> streams = base;
        std::string examined;  // the last key examined: once per key is enough
        while (!stop.load(std::memory_order_relaxed)) {
          bool failed = false;
          co_await ParallelEach(streams.size(), [&](size_t i) -> Task<void> {
            Stream& s = streams[i];
            if (s.HasFront() || !s.more) co_return;
            server::ListRequest req;
            req.bucket = bucket.name;
            req.start_after = s.last;
            req.start_version = s.last_version;
            req.max_entries = kPage;
            auto r = co_await s.drive->ListVersions(std::move(req));
            if (!r.ok()) {
              failed = true;
              co_return;
            }
            s.entries = std::move(r->entries);
            s.pos = 0;
            s.more = r->truncated && !s.entries.empty();
            if (!s.entries.empty()) {
              s.last = s.entries.back().key;
              s.last_version = s.entries.back().record.version_id;
            }
          });
          if (failed) co_return Status(Code::kUnavailable, "a drive failed during the walk");
          const server::ListEntry* min = nullptr;
          for (const auto& s : streams) {
            if (s.HasFront() && (!min || Before(s.Front(), *min))) min = &s.Front();
          }
          if (!min) break;
          // Every version of every key, not just the newest: in a versioned
          // bucket a crashed write soon sits below newer, good versions.
          const std::string key = min->key;
          const std::string version = min->record.version_id;
          int agree = 0;
          for (const auto& s : streams) {
            if (s.HasFront() && s.Front().key == key && s.Front().record.version_id == version) {
              ++agree;
            }
          }
          if (agree != static_cast<int>(streams.size()) && key != examined) {
            examined = key;
            ++report.keys_examined;
            report.versions_removed +=
                co_await RemoveStrays(set, bucket.name, key, written_before);
          }
          for (auto& s : streams) {
            if (s.HasFront() && s.Front().key == key && s.Front().record.version_id == version) {
              ++s.pos;
            }
          }
        }
      }
    }
  }
  co_return report;
}

}  // namespace strata::gw
