// Healing at scale: the walk over every set (cheap where the drives agree),
// bucket and configuration records, and the heal-on-read queue. See
// docs/ARCHITECTURE.md, "Healing".
#include <algorithm>
#include <map>

#include "gateway/object_heal_internal.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

HealReport& HealReport::operator+=(const HealReport& o) {
  objects_examined += o.objects_examined;
  versions_examined += o.versions_examined;
  records_written += o.records_written;
  shards_rebuilt += o.shards_rebuilt;
  bytes_rebuilt += o.bytes_rebuilt;
  bytes_verified += o.bytes_verified;
  corrupt_shards += o.corrupt_shards;
  sets_skipped += o.sets_skipped;
  failures += o.failures;
  return *this;
}

// ---- The heal-on-read queue ------------------------------------------------------

namespace {

bool Enqueue(ObjectLayer::Impl& impl, std::string bucket, std::string key) {
  std::lock_guard lock(impl.heal_mu);
  auto entry = std::make_pair(std::move(bucket), std::move(key));
  if (impl.heal_queued.contains(entry)) return false;
  if (impl.heal_queue.size() >= kHealQueueMax) {
    impl.stats.heal_queue_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  impl.heal_queued.insert(entry);
  impl.heal_queue.push_back(std::move(entry));
  impl.stats.heal_queued.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace

bool ObjectLayer::QueueHeal(std::string bucket, std::string key) {
  return Enqueue(*impl_, std::move(bucket), std::move(key));
}

std::vector<std::pair<std::string, std::string>> ObjectLayer::TakeQueuedHeals(size_t max) {
  std::lock_guard lock(impl_->heal_mu);
  std::vector<std::pair<std::string, std::string>> out;
  while (!impl_->heal_queue.empty() && out.size() < max) {
    out.push_back(std::move(impl_->heal_queue.front()));
    impl_->heal_queue.pop_front();
    impl_->heal_queued.erase(out.back());
  }
  return out;
}

size_t ObjectLayer::heal_queue_length() const {
  std::lock_guard lock(impl_->heal_mu);
  return impl_->heal_queue.size();
}

void ObjectLayer::Impl::QueueHealOf(const std::string& bucket, const std::string& key) {
  if (bucket != kInternalBucket) {
    Enqueue(*this, bucket, key);
    return;
  }
  // "<bucket>/<key>/<version>": healing the owner follows its location here.
  const size_t first = key.find('/'), last = key.rfind('/');
  if (first == std::string::npos || last <= first) return;
  Enqueue(*this, key.substr(0, first), key.substr(first + 1, last - first - 1));
}

// ---- Bucket and configuration records --------------------------------------------

namespace {

// Config kinds kept on every drive (gateway/users.cc, gateway/tiers.cc,
// lifecycle/scan/scanner.cc). A drive cannot list kinds, so they are named.
constexpr std::string_view kConfigKinds[] = {"user", "tier", "scanner"};

struct DriveRef {
  server::Drive* drive;
  size_t set;  // index over every set of every pool
};

}  // namespace

Task<Result<HealReport>> ObjectLayer::HealBuckets() {
  HealReport report;
  std::vector<DriveRef> online;
  std::vector<int> quorum;  // per set
  size_t total = 0;
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      quorum.push_back(Impl::WriteQuorum(set));
      for (const auto& d : set.drives) {
        ++total;
        if (d && d->online()) online.push_back({d.get(), quorum.size() - 1});
      }
    }
  }

  // Buckets: a record most of all drives hold (a strict majority, counting
  // the silent ones as not holding it) is copied where it is missing; a
  // bucket that a deletion removed from most drives never comes back.
  std::vector<std::optional<std::vector<meta::BucketRecord>>> listed(online.size());
  co_await ParallelEach(online.size(), [&](size_t i) -> Task<void> {
    auto r = co_await online[i].drive->ListBuckets();
    if (r.ok()) listed[i] = std::move(*r);
  });
  if (std::none_of(listed.begin(), listed.end(), [](const auto& l) { return l.has_value(); })) {
    co_return Status(Code::kUnavailable, "no drive answered");
  }
  std::map<std::string, std::pair<size_t, meta::BucketRecord>> buckets;  // holders, freshest
  for (const auto& l : listed) {
    if (!l) continue;
    for (const auto& b : *l) {
      auto& [holders, freshest] = buckets[b.name];
      if (holders++ == 0 || b.updated > freshest.updated) freshest = b;
    }
  }
  co_await ParallelEach(online.size(), [&](size_t i) -> Task<void> {
    if (!listed[i]) co_return;
    std::map<std::string, const meta::BucketRecord*> mine;
    for (const auto& b : *listed[i]) mine[b.name] = &b;
    DriveTxn txn;
    for (const auto& [name, entry] : buckets) {
      const auto& [holders, fresh] = entry;
      if (holders * 2 <= total) continue;
      auto it = mine.find(name);
      if (it == mine.end()) {
        txn.put_buckets.push_back({fresh});
      } else if (it->second->updated < fresh.updated) {
        // Field by field, as every bucket change is: a change racing this
        // one to another field is kept.
        DriveTxn::UpdateBucket op;
        op.name = name;
        op.versioning = fresh.versioning;
        op.enable_object_lock = fresh.object_lock;
        for (const auto& [entry_name, value] : fresh.config) op.config.emplace_back(entry_name, value);
        for (const auto& [entry_name, value] : it->second->config) {
          if (!fresh.config.contains(entry_name)) op.config.emplace_back(entry_name, std::nullopt);
        }
        op.updated = fresh.updated;
        txn.update_buckets.push_back(std::move(op));
      }
    }
    if (txn.put_buckets.empty() && txn.update_buckets.empty()) co_return;
    const uint64_t count = txn.put_buckets.size() + txn.update_buckets.size();
    if ((co_await online[i].drive->Apply(std::move(txn))).ok()) {
      report.records_written += count;
    } else {
      ++report.failures;
    }
  });

  // Config records: per name, the newest version whose holders alone make a
  // write quorum in every set (so a change that failed its quorum is not
  // spread), tombstones included (so a removal reaches every drive). The
  // drive keeps whichever of two records has the later `updated`, so this
  // never replaces a newer one.
  for (std::string_view kind_view : kConfigKinds) {
    const std::string kind(kind_view);
    std::vector<std::optional<std::vector<meta::ConfigRecord>>> configs(online.size());
    co_await ParallelEach(online.size(), [&](size_t i) -> Task<void> {
      auto r = co_await online[i].drive->ListConfig(kind);
      if (r.ok()) configs[i] = std::move(*r);
    });
    struct Held {
      meta::ConfigRecord record;
      std::vector<int> per_set;
    };
    std::map<std::string, std::map<SysTime, Held>> seen;
    for (size_t i = 0; i < online.size(); ++i) {
      if (!configs[i]) continue;
      for (const auto& c : *configs[i]) {
        Held& held = seen[c.name][c.updated];
        if (held.per_set.empty()) {
          held.per_set.assign(quorum.size(), 0);
          held.record = c;
        }
        ++held.per_set[online[i].set];
      }
    }
    std::map<std::string, const meta::ConfigRecord*> chosen;
    for (const auto& [name, by_time] : seen) {
      for (auto it = by_time.rbegin(); it != by_time.rend(); ++it) {
        bool everywhere = true;
        for (size_t s = 0; s < quorum.size(); ++s) {
          everywhere = everywhere && it->second.per_set[s] >= quorum[s];
        }
        if (everywhere) {
          chosen[name] = &it->second.record;
          break;
        }
      }
    }
    co_await ParallelEach(online.size(), [&](size_t i) -> Task<void> {
      if (!configs[i]) co_return;
      std::map<std::string, SysTime> mine;
      for (const auto& c : *configs[i]) mine[c.name] = c.updated;
      DriveTxn txn;
      for (const auto& [name, record] : chosen) {
        auto it = mine.find(name);
        if (it == mine.end() || it->second < record->updated) txn.put_configs.push_back({*record});
      }
      if (txn.put_configs.empty()) co_return;
      const uint64_t count = txn.put_configs.size();
      if ((co_await online[i].drive->Apply(std::move(txn))).ok()) {
        report.records_written += count;
      } else {
        ++report.failures;
      }
    });
  }
  co_return report;
}

// ---- The walk ------------------------------------------------------------------------

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

// Keys ascending, each key's versions newest first.
bool Before(const server::ListEntry& a, const server::ListEntry& b) {
  if (a.key != b.key) return a.key < b.key;
  return a.record.version_id > b.record.version_id;
}

struct WalkTarget {
  size_t pool = 0;
  const ErasureSet* set = nullptr;
  std::string bucket, prefix;
};

// Walks one bucket (or the internal objects) of one set: merges the version
// pages of its online drives and heals each key whose drives do not all hold
// the same versions with the same `updated` (every key when deep).
Task<void> WalkSet(ObjectLayer::Impl& impl, const WalkTarget& target, const HealScanArgs& args,
                   HealReport& report) {
  std::vector<Stream> streams;
  for (const auto& d : target.set->drives) {
    if (d && d->online()) streams.push_back(Stream{d.get()});
  }
  std::string current;
  bool have_current = false, disagree = false;
  auto finish_key = [&]() -> Task<void> {
    if (!have_current) co_return;
    have_current = false;
    ++report.objects_examined;
    if (disagree || args.deep) {
      const Placement place = target.pool == 0
                                  ? impl.PlaceIn(0, target.bucket, current)
                                  : impl.PoolPlace(target.pool, current);
      if (place.set == target.set) {
        HealReport healed = co_await impl.HealKey(place, target.bucket, current, args.deep,
                                                  args.pace);
        healed.versions_examined = 0;  // the walk counted them
        report += healed;
      }
    }
    if (args.pace) co_await args.pace(1, 0);
  };
  while (!(args.stop && args.stop->load(std::memory_order_relaxed))) {
    bool failed = false;
    co_await ParallelEach(streams.size(), [&](size_t i) -> Task<void> {
      Stream& s = streams[i];
      if (s.HasFront() || !s.more) co_return;
      server::ListRequest req;
      req.bucket = target.bucket;
      req.prefix = target.prefix;
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
    if (failed) {
      ++report.failures;  // a drive failed mid-walk: the next pass retries the set
      co_return;
    }
    const server::ListEntry* min = nullptr;
    for (const auto& s : streams) {
      if (s.HasFront() && (!min || Before(s.Front(), *min))) min = &s.Front();
    }
    if (!min) break;
    const std::string key = min->key;
    const std::string version = min->record.version_id;
    const SysTime updated = min->record.updated;
    if (!have_current || key != current) {
      co_await finish_key();
      current = key;
      have_current = true;
      disagree = false;
    }
    size_t agree = 0;
    for (auto& s : streams) {
      if (s.HasFront() && s.Front().key == key && s.Front().record.version_id == version) {
        if (s.Front().record.updated == updated) ++agree;
        ++s.pos;
      }
    }
    ++report.versions_examined;
    if (agree != streams.size()) disagree = true;
  }
  co_await finish_key();
}

}  // namespace

Task<Result<HealReport>> ObjectLayer::HealScan(HealScanArgs args) {
  HealReport report;
  std::vector<std::string> buckets;
  if (args.bucket) {
    buckets.push_back(*args.bucket);
  } else {
    STRATA_CO_ASSIGN_OR_RETURN(auto listed, co_await ListBuckets());
    for (auto& b : listed) buckets.push_back(std::move(b.name));
  }
  const auto& pools = impl_->options.pools;
  for (size_t p = 0; p < pools.size(); ++p) {
    for (const auto& set : pools[p].sets) {
      if (Impl::OnlineCount(set) < set.k) {
        ++report.sets_skipped;
        continue;
      }
      std::vector<WalkTarget> targets;
      if (p == 0) {
        for (const auto& b : buckets) targets.push_back({p, &set, b, ""});
      } else {
        // Other pools hold internal objects named "<bucket>/<key>/<version>".
        targets.push_back({p, &set, std::string(kInternalBucket),
                           args.bucket ? *args.bucket + "/" : std::string()});
      }
      for (const auto& target : targets) {
        if (args.stop && args.stop->load(std::memory_order_relaxed)) co_return report;
        co_await WalkSet(*impl_, target, args, report);
      }
    }
  }
  co_return report;
}

}  // namespace strata::gw
