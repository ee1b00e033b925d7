#include "gateway/object_layer.h"

#include <algorithm>

#include "common/crypto.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

namespace {

// FNV-1a: stable across builds and machines, which placement must be.
uint64_t StableHash(std::string_view a, std::string_view b) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(std::string_view("/", 1));
  mix(b);
  return h;
}

}  // namespace

std::string HexMd5(std::string_view data) { return HexEncode(Md5(data)); }

Result<std::unique_ptr<ObjectLayer>> ObjectLayer::Create(ObjectLayerOptions options) {
  if (options.pools.empty()) return Status(Code::kInvalidArgument, "no pools");
  auto impl = std::make_unique<Impl>();
  for (const auto& pool : options.pools) {
    if (pool.sets.empty()) return Status(Code::kInvalidArgument, "pool without sets");
    for (const auto& set : pool.sets) {
      if (static_cast<int>(set.drives.size()) != set.k + set.m) {
        return Status(Code::kInvalidArgument, "set size != k + m");
      }
      auto key = std::make_pair(set.k, set.m);
      if (!impl->codecs.count(key)) {
        STRATA_ASSIGN_OR_RETURN(auto codec, erasure::Codec::Create(set.k, set.m));
        impl->codecs.emplace(key, std::move(codec));
      }
    }
  }
  for (const auto& [cls, pool] : options.storage_classes) {
    bool found = std::any_of(options.pools.begin(), options.pools.end(),
                             [&](const Pool& p) { return p.name == pool; });
    if (!found) return Status(Code::kInvalidArgument, "storage class " + cls + " names no pool");
  }
  impl->options = std::move(options);
  BuildPoolStores(*impl);
  return std::unique_ptr<ObjectLayer>(new ObjectLayer(std::move(impl)));
}

ObjectLayer::ObjectLayer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectLayer::~ObjectLayer() = default;

const ObjectLayerStats& ObjectLayer::stats() const { return impl_->stats; }

size_t ObjectLayer::online_drives() const {
  size_t n = 0;
  for (const auto& pool : impl_->options.pools)
    for (const auto& set : pool.sets) n += Impl::OnlineCount(set);
  return n;
}

const std::vector<Pool>& ObjectLayer::pools() const { return impl_->options.pools; }

bool ObjectLayer::WriteQuorumEverywhere() const {
  for (const auto& pool : impl_->options.pools)
    for (const auto& set : pool.sets)
      if (Impl::OnlineCount(set) < Impl::WriteQuorum(set)) return false;
  return true;
}

size_t ObjectLayer::total_drives() const {
  size_t n = 0;
  for (const auto& pool : impl_->options.pools)
    for (const auto& set : pool.sets) n += set.drives.size();
  return n;
}

Placement ObjectLayer::Impl::PlaceIn(size_t pool_index, std::string_view bucket,
                                     std::string_view key) const {
  const Pool& pool = options.pools.at(pool_index);
  uint64_t h = StableHash(bucket, key);
  Placement p;
  p.set = &pool.sets[h % pool.sets.size()];
  p.start = static_cast<int>((h >> 32) % static_cast<uint64_t>(p.n()));
  return p;
}

int ObjectLayer::Impl::OnlineCount(const ErasureSet& set) {
  int n = 0;
  for (const auto& d : set.drives) n += (d && d->online()) ? 1 : 0;
  return n;
}

std::string ObjectLayer::Impl::NewVersionId() const {
  return meta::NewVersionId(options.clock->Now());
}

Task<std::vector<std::optional<std::vector<meta::VersionRecord>>>>
ObjectLayer::Impl::ReadVersions(const Placement& place, const std::string& bucket,
                                const std::string& key, const std::vector<bool>& only,
                                size_t limit) {
  const auto& drives = place.set->drives;
  std::vector<std::optional<std::vector<meta::VersionRecord>>> out(drives.size());
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!only.empty() && !only[i]) co_return;
    if (!drives[i] || !drives[i]->online()) co_return;
    auto r = co_await drives[i]->GetVersions(bucket, key, limit);
    if (r.ok()) out[i] = std::move(*r);
  });
  co_return out;
}

Task<Status> ObjectLayer::Impl::CommitVersion(const Placement& place, const std::string& bucket,
                                              const std::string& key,
                                              const meta::VersionRecord& base,
                                              const WrittenData& data) {
  const auto& drives = place.set->drives;
  std::vector<bool> committed(drives.size(), false);
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!data.durable[i] || !drives[i]) co_return;
    DriveTxn txn;
    DriveTxn::PutVersion op{bucket, key, base, {}};
    op.record.shard_index = static_cast<uint8_t>(place.ShardOfDrive(static_cast<int>(i)));
    if (base.inline_data) op.inline_shard = data.inline_shards[i];
    txn.put_versions.push_back(std::move(op));
    Status st = co_await drives[i]->Apply(std::move(txn));
    committed[i] = st.ok();
  });
  int count = static_cast<int>(std::count(committed.begin(), committed.end(), true));
  if (count < WriteQuorum(*place.set)) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    // Below quorum the version must not linger where it did commit.
    co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
      if (!committed[i]) co_return;
      DriveTxn txn;
      txn.delete_versions.push_back({bucket, key, base});
      (co_await drives[i]->Apply(std::move(txn))).IgnoreError();
    });
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  // A null version replaces the older null ones; others keep every version.
  if (base.null_version) co_await RemoveSuperseded(place, bucket, key, base.version_id);
  co_return Status();
}

Task<void> ObjectLayer::Impl::RemoveSuperseded(const Placement& place, const std::string& bucket,
                                               const std::string& key,
                                               const std::string& keep_version) {
  const auto& drives = place.set->drives;
  std::map<std::string, meta::VersionRecord> elsewhere;  // removed versions with a location
  bool refused = false;
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    // Through the null index: a key overwritten a million times costs the
    // same as one written twice.
    auto versions = co_await drives[i]->GetNullVersions(bucket, key);
    if (!versions.ok()) co_return;
    DriveTxn txn;
    std::vector<meta::VersionRecord> located;
    for (auto& v : *versions) {
      // Only older ones: of two racing writers the newer must survive everywhere.
      if (v.null_version && v.version_id < keep_version) {
        if (!v.location.empty()) located.push_back(v);
        txn.delete_versions.push_back({bucket, key, std::move(v)});
      }
    }
    if (txn.delete_versions.empty()) co_return;
    if (!(co_await drives[i]->Apply(std::move(txn))).ok()) {
      refused = true;
      co_return;
    }
    for (auto& v : located) elsewhere.emplace(v.version_id, std::move(v));
  });
  // Data in another store goes once every drive that held the record let it
  // go (a WORM refusal anywhere keeps it; the orphan sweep decides later).
  if (!refused) {
    for (const auto& [id, v] : elsewhere) co_await ReleaseLocation(v);
  }
}

// ---- Objects: HEAD and DELETE -------------------------------------------------

namespace {

// The newest version at least `quorum` drives hold (its freshest copy).
const meta::VersionRecord* ResolveNewest(
    const std::vector<std::optional<std::vector<meta::VersionRecord>>>& per_drive, int quorum) {
  std::map<std::string, std::pair<int, const meta::VersionRecord*>, std::greater<>> counts;
  for (const auto& versions : per_drive) {
    if (!versions) continue;
    for (const auto& v : *versions) {
      auto& slot = counts[v.version_id];
      slot.first++;
      slot.second = slot.second ? &Freshest(*slot.second, v) : &v;
    }
  }
  for (const auto& [id, slot] : counts) {
    if (slot.first >= quorum) return slot.second;
  }
  return nullptr;
}

// True when a version newer than `newest` (any version when there is none)
// is held by at least `min_holders` drives.
bool HasPossiblyCommittedNewer(
    const std::vector<std::optional<std::vector<meta::VersionRecord>>>& per_drive,
    const meta::VersionRecord* newest, int min_holders) {
  std::map<std::string, int> counts;
  for (const auto& versions : per_drive) {
    if (!versions) continue;
    for (const auto& v : *versions) {
      if (!newest || v.version_id > newest->version_id) {
        if (++counts[v.version_id] >= std::max(min_holders, 1)) return true;
      }
    }
  }
  return false;
}

}  // namespace

const meta::VersionRecord& Freshest(const meta::VersionRecord& a, const meta::VersionRecord& b) {
  return b.updated > a.updated ? b : a;
}

Task<Result<meta::VersionRecord>> ObjectLayer::HeadObject(std::string bucket, std::string key,
                                                          VersionRef ref) {
  co_return co_await impl_->Head(impl_->Place(bucket, key), bucket, key, ref);
}

Task<Result<meta::VersionRecord>> ObjectLayer::Impl::Head(const Placement& place,
                                                          const std::string& bucket,
                                                          const std::string& key,
                                                          const VersionRef& ref) {
  if (!ref.latest()) co_return co_await HeadVersion(place, bucket, key, ref);
  {
    // Fast path: L = max(k, m + 1) drives agreeing on their newest version
    // settle it, as in a listing (see docs/ARCHITECTURE.md): the version is on
    // at least k drives, and a newer acknowledged one would be on at least one
    // of any m + 1. Ask the drives of the data shards first: a GET reads
    // them next.
    const ErasureSet& set = *place.set;
    const int want = std::max(set.k, set.m + 1);
    std::vector<bool> pick(set.drives.size(), false);
    int picked = 0;
    for (int shard = 0; shard < place.n() && picked < want; ++shard) {
      const int i = place.DriveOfShard(shard);
      if (set.drives[i] && set.drives[i]->online()) {
        pick[i] = true;
        ++picked;
      }
    }
    if (picked == want && want < place.n()) {
      // Only the newest version of each: O(1) however many versions (or
      // tombstones of removed ones) the key has.
      auto some = co_await ReadVersions(place, bucket, key, pick, 1);
      // Agreement is on the newest version id, or on there being none (an
      // acknowledged version would be on at least one of these drives).
      const meta::VersionRecord* first = nullptr;
      int answered = 0, empty = 0;
      bool agree = true;
      for (size_t i = 0; i < some.size(); ++i) {
        if (!pick[i] || !some[i]) continue;
        ++answered;
        if (some[i]->empty()) {
          ++empty;
        } else if (!first) {
          first = &some[i]->front();
        } else if (some[i]->front().version_id != first->version_id) {
          agree = false;
        } else {
          first = &Freshest(*first, some[i]->front());
        }
      }
      if (answered == want && empty == want) co_return Status(Code::kNoSuchKey);
      if (answered == want && empty == 0 && agree) co_return *first;
    }
  }
  auto per_drive = co_await ReadVersions(place, bucket, key);
  int answered = 0;
  for (const auto& v : per_drive) answered += v.has_value() ? 1 : 0;
  if (answered < place.set->k) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "read quorum not available");
  }
  const meta::VersionRecord* newest = ResolveNewest(per_drive, place.set->k);
  const int unanswered = static_cast<int>(per_drive.size()) - answered;
  if (unanswered > 0) {
    // A version newer than the resolved one that the silent drives could
    // still lift to k: it may be acknowledged, so "no such key" (or the older
    // version) would be a lie. Retryable instead.
    if (HasPossiblyCommittedNewer(per_drive, newest, place.set->k - unanswered)) {
      stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
      co_return Status(Code::kUnavailable, "read quorum not available for the newest version");
    }
  }
  if (!newest) co_return Status(Code::kNoSuchKey);
  co_return *newest;
}

// ---- Buckets -------------------------------------------------------------------

namespace {

template <typename Fn>
Task<void> ForEachDrive(const std::vector<Pool>& pools, Fn fn) {
  std::vector<server::Drive*> all;
  for (const auto& pool : pools)
    for (const auto& set : pool.sets)
      for (const auto& d : set.drives)
        if (d && d->online()) all.push_back(d.get());
  co_await ParallelEach(all.size(), [&](size_t i) -> Task<void> { co_await fn(*all[i]); });
}

}  // namespace

Task<Result<meta::BucketRecord>> ObjectLayer::GetBucket(std::string name) {
  co_return co_await impl_->Bucket(name);
}

Task<Result<meta::BucketRecord>> ObjectLayer::Impl::Bucket(const std::string& name) {
  {
    std::shared_lock lock(bucket_mu);
    if (const meta::BucketRecord* cached = CachedBucketRecord(name)) co_return *cached;
  }
  int found = 0, missing = 0;
  std::optional<meta::BucketRecord> record;
  co_await ForEachDrive(options.pools, [&](server::Drive& d) -> Task<void> {
    auto r = co_await d.GetBucket(name);
    if (r.ok()) {
      ++found;
      // The latest change wins: a drive may have missed one while offline.
      if (!record || r->updated > record->updated) record = std::move(*r);
    } else if (r.status().code() == Code::kNoSuchBucket) {
      ++missing;
    }
  });
  if (found == 0 && missing == 0) co_return Status(Code::kUnavailable, "no drive answered");
  if (found == 0 || found < missing) co_return Status(Code::kNoSuchBucket);
  std::unique_lock lock(bucket_mu);
  bucket_cache[name] = CachedBucket{*record, std::chrono::steady_clock::now()};
  co_return std::move(*record);
}

Task<Status> ObjectLayer::CreateBucket(std::string name, std::string region, bool object_lock) {
  auto existing = co_await GetBucket(name);
  if (existing.ok()) co_return Status(Code::kBucketAlreadyOwnedByYou);
  if (existing.status().code() != Code::kNoSuchBucket) co_return existing.status();
  meta::BucketRecord record;
  record.name = name;
  record.created = impl_->options.clock->Now();
  record.region = region;
  if (object_lock) {
    record.object_lock = true;
    record.versioning = std::string(kVersioningEnabled);
  }
  DriveTxn txn;
  txn.put_buckets.push_back({record});
  STRATA_CO_TRY(co_await impl_->ApplyEverywhere(txn));
  std::unique_lock lock(impl_->bucket_mu);
  impl_->bucket_cache[name] = Impl::CachedBucket{record, std::chrono::steady_clock::now()};
  co_return Status();
}

Task<Status> ObjectLayer::DeleteBucket(std::string name) {
  STRATA_CO_TRY(co_await GetBucket(name));
  // Any version or delete marker keeps the bucket.
  ListVersionsArgs list;
  list.bucket = name;
  list.max_keys = 1;
  STRATA_CO_ASSIGN_OR_RETURN(auto objects, co_await ListObjectVersions(list));
  if (!objects.versions.empty() || !objects.common_prefixes.empty()) {
    co_return Status(Code::kBucketNotEmpty);
  }
  ListUploadsArgs uploads;
  uploads.bucket = name;
  uploads.max_uploads = 1;
  STRATA_CO_ASSIGN_OR_RETURN(auto pending, co_await ListUploads(uploads));
  if (!pending.empty()) co_return Status(Code::kBucketNotEmpty);
  {
    std::unique_lock lock(impl_->bucket_mu);
    impl_->bucket_cache.erase(name);
  }
  int ok = 0;
  co_await ForEachDrive(impl_->options.pools, [&](server::Drive& d) -> Task<void> {
    DriveTxn txn;
    txn.delete_buckets.push_back({name});
    if ((co_await d.Apply(std::move(txn))).ok()) ++ok;
  });
  if (ok == 0) co_return Status(Code::kUnavailable, "no drive answered");
  co_return Status();
}

namespace {

// Applies `op` to the bucket record on every online drive; quorum in every set.
Task<Status> UpdateBucketEverywhere(ObjectLayer::Impl& impl, DriveTxn::UpdateBucket op) {
  DriveTxn txn;
  txn.update_buckets.push_back(op);
  bool missing = false;
  Status st = co_await impl.ApplyEverywhere(txn, Code::kNoSuchBucket, &missing);
  {
    std::unique_lock lock(impl.bucket_mu);
    impl.bucket_cache.erase(op.name);
  }
  if (!st.ok() && missing) co_return Status(Code::kNoSuchBucket, "write quorum not reached");
  co_return st;
}

}  // namespace

Task<Status> ObjectLayer::SetBucketVersioning(std::string name, std::string state) {
  if (state != kVersioningEnabled && state != kVersioningSuspended) {
    co_return Status(Code::kInvalidArgument, "bad versioning state");
  }
  DriveTxn::UpdateBucket op;
  op.name = std::move(name);
  op.versioning = std::move(state);
  op.updated = impl_->options.clock->Now();
  co_return co_await UpdateBucketEverywhere(*impl_, std::move(op));
}

Task<Status> ObjectLayer::SetBucketObjectLock(std::string name, std::string entry,
                                              std::optional<std::string> value) {
  DriveTxn::UpdateBucket op;
  op.name = std::move(name);
  op.enable_object_lock = true;
  op.config.emplace_back(std::move(entry), std::move(value));
  op.updated = impl_->options.clock->Now();
  co_return co_await UpdateBucketEverywhere(*impl_, std::move(op));
}

Task<Status> ObjectLayer::SetBucketConfig(std::string name, std::string entry,
                                          std::optional<std::string> value) {
  DriveTxn::UpdateBucket op;
  op.name = std::move(name);
  op.config.emplace_back(std::move(entry), std::move(value));
  op.updated = impl_->options.clock->Now();
  co_return co_await UpdateBucketEverywhere(*impl_, std::move(op));
}

Task<Result<std::vector<meta::BucketRecord>>> ObjectLayer::ListBuckets() {
  std::map<std::string, std::pair<int, meta::BucketRecord>> seen;
  int answered = 0;
  co_await ForEachDrive(impl_->options.pools, [&](server::Drive& d) -> Task<void> {
    auto r = co_await d.ListBuckets();
    if (!r.ok()) co_return;
    ++answered;
    for (auto& b : *r) {
      auto& slot = seen[b.name];
      if (slot.first++ == 0) slot.second = std::move(b);
    }
  });
  if (answered == 0) co_return Status(Code::kUnavailable, "no drive answered");
  std::vector<meta::BucketRecord> out;
  for (auto& [name, slot] : seen) {
    if (slot.first * 2 >= answered) out.push_back(std::move(slot.second));
  }
  co_return out;
}

}  // namespace strata::gw
