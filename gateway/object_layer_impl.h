// Internals shared by the object layer's .cc files: placement, quorum
// arithmetic, the stripe writer and the record commit. Not a public header.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "erasure/codec.h"
#include "gateway/data_store.h"
#include "gateway/object_layer.h"

namespace strata::gw {

// The bucket of internal objects in pools other than the home pool. Not a
// valid S3 bucket name (it starts with a dot), so no client can reach it.
inline constexpr std::string_view kInternalBucket = ".strata";

struct Placement {
  const ErasureSet* set = nullptr;
  int start = 0;  // shard i lives on drive (start + i) % n
  int n() const { return set->k + set->m; }
  int DriveOfShard(int shard) const { return (start + shard) % n(); }
  int ShardOfDrive(int drive) const { return (drive - start + n()) % n(); }
};

// Shards made durable by WriteData, not yet referenced by any record.
struct WrittenData {
  uint64_t size = 0;
  uint32_t block_size = 0;
  std::string data_id;                     // empty when inline
  std::vector<bool> durable;               // per drive position
  std::vector<std::string> inline_shards;  // per drive position, when inline
  bool is_inline() const { return data_id.empty(); }
};

struct ObjectLayer::Impl {
  ObjectLayerOptions options;
  ObjectLayerStats stats;
  std::map<std::pair<int, int>, std::unique_ptr<erasure::Codec>> codecs;

  mutable std::shared_mutex bucket_mu;
  // Bucket records read from the drives, for a second at most: other
  // gateways may change them (ARCHITECTURE.md, "Consistency across
  // gateways"); this process's own changes update or drop the entry.
  struct CachedBucket {
    meta::BucketRecord record;
    std::chrono::steady_clock::time_point read_at;
  };
  std::unordered_map<std::string, CachedBucket> bucket_cache;
  static constexpr std::chrono::seconds kBucketCacheTtl{1};
  // The cached record when it is fresh enough (caller holds bucket_mu).
  const meta::BucketRecord* CachedBucketRecord(const std::string& name) const {
    auto it = bucket_cache.find(name);
    if (it == bucket_cache.end()) return nullptr;
    if (std::chrono::steady_clock::now() - it->second.read_at > kBucketCacheTtl) return nullptr;
    return &it->second.record;
  }

  // The home set of a key (first pool), or its set in another pool.
  Placement Place(std::string_view bucket, std::string_view key) const {
    return PlaceIn(0, bucket, key);
  }
  Placement PlaceIn(size_t pool, std::string_view bucket, std::string_view key) const;
  const erasure::Codec& CodecFor(int k, int m) const { return *codecs.at({k, m}); }
  static int WriteQuorum(const ErasureSet& set) { return set.k == set.m ? set.k + 1 : set.k; }
  static int OnlineCount(const ErasureSet& set);
  std::string NewVersionId() const;

  // Streams the body into shards on every online drive of the placement's set.
  // Objects that end within the inline threshold (when allowed) come back as
  // inline shards instead of files.
  Task<Result<WrittenData>> WriteData(const Placement& place, std::optional<uint64_t> size,
                                      BodySource& body, bool allow_inline);

  // Commits `base` (shard_index filled per drive) on the drives where the data
  // is durable; succeeds with a write quorum, then removes older null versions.
  Task<Status> CommitVersion(const Placement& place, const std::string& bucket,
                             const std::string& key, const meta::VersionRecord& base,
                             const WrittenData& data);

  // The bucket record, cached after the first read (the latest `updated`
  // among the drives wins).
  Task<Result<meta::BucketRecord>> Bucket(const std::string& name);
  // The bucket's versioning state ("", "Enabled", "Suspended").
  Task<Result<std::string>> Versioning(const std::string& bucket);

  // Applies `txn` on every online drive of every set (bucket and config
  // records live everywhere); kUnavailable unless every set reaches its
  // write quorum (counted in quorum_failures). `refused`, when given, is set
  // when some drive answered with that code (kNoSuchBucket for updates).
  Task<Status> ApplyEverywhere(const server::DriveTxn& txn, Code refusal = Code::kOk,
                               bool* refused = nullptr);

  // A WrittenData for a record without data here: every online drive takes it.
  static WrittenData MetadataOnly(const Placement& place);
  // PutObject for a class whose pool is not the home pool: the bytes go to
  // the store, then the home record points there (ARCHITECTURE.md).
  Task<Result<meta::VersionRecord>> PutElsewhere(PutObjectArgs& args, const std::string& location,
                                                 bool null_version, BodySource& body,
                                                 const FinishWrite& finish);

  // Removes shard files that no record references (a refused or failed write).
  Task<void> DiscardData(const Placement& place, const WrittenData& data);

  // Removes null versions older than `keep_version` on every online drive.
  Task<void> RemoveSuperseded(const Placement& place, const std::string& bucket,
                              const std::string& key, const std::string& keep_version);

  // Per drive position: that drive's versions of the key, or nullopt when it
  // did not answer.
  // With `only` non-empty, just the drives at those positions are asked.
  Task<std::vector<std::optional<std::vector<meta::VersionRecord>>>> ReadVersions(
      const Placement& place, const std::string& bucket, const std::string& key,
      const std::vector<bool>& only = {}, size_t limit = 0);

  // Per drive position: the drive's copy of one version; nullopt when the
  // drive did not answer, an empty record id when it does not hold it.
  Task<std::vector<std::optional<meta::VersionRecord>>> ReadVersion(const Placement& place,
                                                                    const std::string& bucket,
                                                                    const std::string& key,
                                                                    const std::string& id);

  // HeadObject on any placement (the home set, or a pool's internal bucket).
  Task<Result<meta::VersionRecord>> Head(const Placement& place, const std::string& bucket,
                                         const std::string& key, const VersionRef& ref);
  // ReadObject of a record whose data is on `place`'s drives.
  Task<Status> Read(const Placement& place, const std::string& bucket, const std::string& key,
                    const meta::VersionRecord& record, uint64_t offset, uint64_t length,
                    BodySink& sink);

  // Where a pool store keeps `store_key` ("<bucket>/<key>/<version>"): the
  // set and rotation its owner's bucket/key hash to in that pool.
  Placement PoolPlace(size_t pool, std::string_view store_key) const;
  // The pool index of a "pool:NAME" location; -1 for anything else.
  int PoolIndex(std::string_view location) const;
  // Where a multipart upload's parts go: the home set, or the set of the
  // pool its storage class maps to (ARCHITECTURE.md).
  Result<Placement> PartPlace(const meta::UploadRecord& up) const;

  // Data stores by location name: "pool:NAME" for every pool but the first
  // (built at Create), "tier:NAME" through the tier resolver.
  std::map<std::string, std::shared_ptr<DataStore>> pool_stores;
  mutable std::shared_mutex tier_mu;
  TierResolver tier_resolver;  // guarded by tier_mu
  // The store a location names; kNotFound for an unknown one.
  Result<std::shared_ptr<DataStore>> Store(std::string_view location) const;
  // "" for the home pool, "pool:NAME" or "tier:NAME"; kInvalidStorageClass
  // when the class maps to nothing. `allow_tiers`: tier names count.
  Result<std::string> LocationOf(std::string_view storage_class, bool allow_tiers) const;
  // Deletes a removed version's object in its store (no-op without one).
  // Failures leave an orphan for the sweep.
  Task<void> ReleaseLocation(const meta::VersionRecord& removed);

  // HeadObject of a named version (null or an id).
  Task<Result<meta::VersionRecord>> HeadVersion(const Placement& place, const std::string& bucket,
                                                const std::string& key, const VersionRef& ref);

  // Writes a delete marker (null when `null_version`) as a new version.
  Task<Result<meta::VersionRecord>> PutDeleteMarker(const Placement& place,
                                                    const std::string& bucket,
                                                    const std::string& key, bool null_version);

  // Healing (object_heal*.cc). Heals one key on `place`: `deep` verifies
  // every shard of every version; otherwise only versions whose drives
  // disagree are repaired (their shards verified on the way). Versions held
  // elsewhere (pool:NAME) are followed into that pool.
  Task<HealReport> HealKey(const Placement& place, const std::string& bucket,
                           const std::string& key, bool deep, const HealPace& pace);
  // The heal-on-read queue: bounded (kHealQueueMax), de-duplicated, guarded
  // by heal_mu.
  mutable std::mutex heal_mu;
  std::deque<std::pair<std::string, std::string>> heal_queue;
  std::set<std::pair<std::string, std::string>> heal_queued;
  // Queues the owner of what a degraded read touched: (bucket, key), or for
  // an internal object of another pool the version that owns it.
  void QueueHealOf(const std::string& bucket, const std::string& key);
};

// Listings read L drives per set. When one fails midway (a node dies or
// hangs), another online drive of its set that was not listed yet takes its
// place, resuming after the stream's last fetched entry: a stream is only
// refilled once its buffered entries are consumed, so nothing is skipped or
// repeated. `tried` holds every drive listed so far. Returns false when a
// failed stream's set has no such drive left. Streams have `drive`, `set`
// and `failed`.
template <typename Stream>
bool ReplaceFailedListDrives(std::vector<Stream>& streams, std::vector<const server::Drive*>& tried,
                             bool* replaced) {
  *replaced = false;
  for (auto& s : streams) {
    if (!s.failed) continue;
    server::Drive* spare = nullptr;
    for (const auto& d : s.set->drives) {
      if (!d || !d->online() || std::find(tried.begin(), tried.end(), d.get()) != tried.end()) {
        continue;
      }
      spare = d.get();
      break;
    }
    if (!spare) return false;
    tried.push_back(spare);
    s.drive = spare;
    s.failed = false;
    *replaced = true;
  }
  return true;
}

// Makes the "pool:NAME" stores of every pool but the first (at Create).
void BuildPoolStores(ObjectLayer::Impl& impl);

// Of several drives' copies of one version, the one changed last (tags...).
const meta::VersionRecord& Freshest(const meta::VersionRecord& a, const meta::VersionRecord& b);

// Objects we compare with ETag math.
std::string HexMd5(std::string_view data);

}  // namespace strata::gw
