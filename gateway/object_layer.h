// ObjectLayer: S3 objects and buckets over the erasure sets of the cluster.
//
// It places an object in one erasure set by a stable hash of bucket/key,
// writes stripes of k data + m parity shards to the set's drives in parallel,
// commits the version record on every drive and succeeds once a write quorum
// (k, or k+1 when k == m) has committed; it reads the newest version that at
// least k drives agree on and rebuilds missing or corrupt shards on the fly.
// See docs/ARCHITECTURE.md for the protocol and why it is crash-safe.
//
// The layer knows nothing of HTTP: bodies come in through BodySource and go
// out through BodySink; S3 semantics that are about requests (conditionals,
// ranges, ACL-free auth) live in the handlers.
//
// Thread safety: all methods may be called concurrently from any I/O thread;
// the drives are shared, everything else is immutable after Create.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "metadata/records.h"
#include "server/drive.h"

namespace strata::gw {

using server::Task;

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to out.size() bytes; 0 means the body ended. Errors abort the write.
  virtual Task<Result<size_t>> Read(MutableByteSpan out) = 0;
};

class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Task<Status> Write(ByteSpan data) = 0;
};

struct ErasureSet {
  int k = 4, m = 2;
  // Indexed by position in the set; nullptr = offline.
  std::vector<std::shared_ptr<server::Drive>> drives;
  // The topology's drive names, by position (also for drives that did not
  // open); may be empty in tests.
  std::vector<std::string> names;
  std::string NameAt(size_t i) const {
    if (i < drives.size() && drives[i]) return drives[i]->name();
    return i < names.size() ? names[i] : "drive" + std::to_string(i + 1);
  }
};

struct Pool {
  std::string name;
  std::vector<ErasureSet> sets;
};

// Counters of erasure work and of degraded paths, read by the metrics module.
struct ObjectLayerStats {
  // Stripes (and their object bytes) encoded on write, and verified (or
  // rebuilt) on read; reconstructed_stripes below counts the rebuilt ones.
  std::atomic<uint64_t> encoded_stripes{0};
  std::atomic<uint64_t> encoded_bytes{0};
  std::atomic<uint64_t> decoded_stripes{0};
  std::atomic<uint64_t> decoded_bytes{0};
  std::atomic<uint64_t> reconstructed_stripes{0};
  std::atomic<uint64_t> corrupt_shards{0};
  std::atomic<uint64_t> missing_shards{0};
  std::atomic<uint64_t> quorum_failures{0};
  std::atomic<uint64_t> unresolved_list_keys{0};  // left out of a listing: not readable now
  // Keys a degraded read queued for healing, and those the full queue dropped.
  std::atomic<uint64_t> heal_queued{0};
  std::atomic<uint64_t> heal_queue_dropped{0};
};

class DataStore;
// Finds a tier's store by tier name ("archive"); nullptr when there is none.
using TierResolver = std::function<std::shared_ptr<DataStore>(std::string_view tier)>;

struct ObjectLayerOptions {
  // pools[0] is the home pool: every key's version records live there.
  std::vector<Pool> pools;
  // Storage class -> pool name. Empty: every class the caller names maps
  // to pools[0]... only STANDARD is known then.
  std::map<std::string, std::string> storage_classes;
  Clock* clock = &Clock::Real();
  uint64_t inline_threshold = 128 << 10;  // objects up to this size live in the records
};

// What a writer learned about the body once it has all of it; the handler
// checks digests and fills ETag and checksums, or refuses (BadDigest...).
using FinishWrite = std::function<Status(uint64_t size, meta::VersionRecord& record)>;

// Object lock state a new version starts with (WORM, enforced by the drives).
struct LockState {
  std::string mode;  // "", "GOVERNANCE", "COMPLIANCE"
  SysTime retain_until{};
  bool legal_hold = false;
};

struct PutObjectArgs {
  std::string bucket, key;
  LockState lock;
  std::optional<uint64_t> size;  // known length, when the request tells it
  std::vector<std::pair<std::string, std::string>> headers;  // stored metadata
  std::string storage_class = "STANDARD";
  meta::StringPairs tags;
};

// Which version of a key a request names.
struct VersionRef {
  enum class Kind { kLatest, kNull, kId };
  Kind kind = Kind::kLatest;
  std::string id;  // raw internal id, for kId

  static VersionRef Latest() { return {}; }
  bool latest() const { return kind == Kind::kLatest; }
};
// A versionId parameter: "null" or the 32 hex digits S3VersionId shows;
// InvalidArgument ("Invalid version id specified") otherwise.
Result<VersionRef> ParseVersionId(std::string_view s3_version_id);
// What S3 shows as a record's version id: "null" or 32 hex digits.
std::string S3VersionId(const meta::VersionRecord& record);

// Bucket versioning states as the bucket record stores them.
inline constexpr std::string_view kVersioningEnabled = "Enabled";
inline constexpr std::string_view kVersioningSuspended = "Suspended";
// The bucket config entry holding the lifecycle configuration (canonical XML).
inline constexpr std::string_view kBucketLifecycle = "lifecycle";

struct DeleteResult {
  bool delete_marker = false;  // a marker was made, or the removed version was one
  std::string version_id;      // S3 form; empty when the bucket was never versioned
};

struct ListVersionsArgs {
  std::string bucket, prefix, delimiter;
  std::string key_marker;
  VersionRef version_marker;  // with key_marker: resume after this version of it
  size_t max_keys = 1000;
};

struct ListedVersion {
  std::string key;
  meta::VersionRecord record;  // delete markers included
  bool is_latest = false;
};

struct ListVersionsResult {
  std::vector<ListedVersion> versions;
  std::vector<std::string> common_prefixes;  // in key order, among the versions
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_marker;  // S3 form; empty after a common prefix
};

struct ListArgs {
  std::string bucket, prefix, delimiter, start_after;
  size_t max_keys = 1000;
};

struct ListResult {
  std::vector<std::pair<std::string, meta::VersionRecord>> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_marker;  // the last key or prefix returned, when truncated
};

struct UploadArgs {
  std::string bucket, key;
  LockState lock;
  std::vector<std::pair<std::string, std::string>> headers;
  meta::StringPairs tags;
  std::string storage_class = "STANDARD";
  std::string checksum_algorithm;  // "" or e.g. "CRC32"
  std::string checksum_type;
};

struct CompletePart {
  uint32_t part_number = 0;
  std::string etag;  // unquoted hex
};

struct ListUploadsArgs {
  std::string bucket, prefix, key_marker, upload_id_marker;
  size_t max_uploads = 1000;
};

// What RemoveBelowQuorum found.
struct BelowQuorumReport {
  uint64_t keys_examined = 0;     // keys whose drives disagreed
  uint64_t versions_removed = 0;  // version records removed (per version, not per drive)
  uint64_t sets_skipped = 0;      // sets with too many drives offline to decide
};

// What healing did (docs/ARCHITECTURE.md, "Healing"). Counts are per drive
// for records and shards: one version healed onto two drives is two records.
struct HealReport {
  uint64_t objects_examined = 0;   // keys looked at (every key a walk passes)
  uint64_t versions_examined = 0;  // versions on at least k drives whose drives were compared
  uint64_t records_written = 0;    // version, bucket and config records written or updated
  uint64_t shards_rebuilt = 0;     // shard files (or inline shards) rebuilt and written
  uint64_t bytes_rebuilt = 0;      // shard bytes written by those rebuilds
  uint64_t bytes_verified = 0;     // shard bytes read and CRC-checked
  uint64_t corrupt_shards = 0;     // shards found missing, short or failing a CRC
  uint64_t sets_skipped = 0;       // sets with fewer than k drives online
  uint64_t failures = 0;           // repairs that could not be made (retried next time)

  HealReport& operator+=(const HealReport& other);
};

// How many keys the heal-on-read queue holds at most.
inline constexpr size_t kHealQueueMax = 10000;

// Called by a heal walk as it goes: after each key (keys = 1) and after each
// stripe it read (bytes = shard bytes read), so a caller can pace it.
using HealPace = std::function<Task<void>(uint64_t keys, uint64_t bytes)>;

struct HealScanArgs {
  std::optional<std::string> bucket;  // nullopt: every bucket
  // false: only keys whose drives disagree on their versions (missing or
  // stale records) are healed; true: every version's shards are read and
  // their CRCs verified too (the bitrot scan).
  bool deep = false;
  HealPace pace;                             // optional
  const std::atomic<bool>* stop = nullptr;   // optional; checked between keys
};

class ObjectLayer {
 public:
  static Result<std::unique_ptr<ObjectLayer>> Create(ObjectLayerOptions options);
  ~ObjectLayer();

  // Buckets live on every drive of every set.
  // With object_lock the bucket is versioned for good and takes retention.
  Task<Status> CreateBucket(std::string name, std::string region, bool object_lock = false);
  Task<Result<meta::BucketRecord>> GetBucket(std::string name);
  Task<Status> DeleteBucket(std::string name);
  Task<Result<std::vector<meta::BucketRecord>>> ListBuckets();
  // "", "Enabled" or "Suspended" (cached: cheap on the request path).
  Task<Result<std::string>> BucketVersioning(std::string name);
  // "Enabled" or "Suspended"; anything else is the caller's bug (kInvalidArgument).
  Task<Status> SetBucketVersioning(std::string name, std::string state);
  // Sets (or with nullopt erases) one configuration entry of the bucket, e.g.
  // "tagging". Field by field on every drive: concurrent changes of other
  // fields are kept.
  Task<Status> SetBucketConfig(std::string name, std::string entry,
                               std::optional<std::string> value);
  // Turns object lock on (for good) and sets or clears the config entry
  // `entry` (the default retention) in the same change.
  Task<Status> SetBucketObjectLock(std::string name, std::string entry,
                                   std::optional<std::string> value);

  Task<Result<meta::VersionRecord>> PutObject(PutObjectArgs args, BodySource& body,
                                              FinishWrite finish);
  // The version `ref` names. Latest: the newest version, which may be a
  // delete marker (record.delete_marker: the caller answers NoSuchKey, or
  // MethodNotAllowed for a marker named by id); kNoSuchKey when the key has
  // no version. kNoSuchVersion when a named version does not exist.
  Task<Result<meta::VersionRecord>> HeadObject(std::string bucket, std::string key,
                                               VersionRef ref = VersionRef::Latest());
  // Streams object bytes [offset, offset+length) of `record` (from HeadObject).
  Task<Status> ReadObject(std::string bucket, std::string key, meta::VersionRecord record,
                          uint64_t offset, uint64_t length, BodySink& sink);
  // As S3's DeleteObject: with a version, removes that version for good
  // (records and shards; OK when absent); without one, adds a delete marker
  // in a versioned bucket (a null one when Suspended) or removes the object
  // in a bucket that was never versioned.
  // The drives refuse to remove a locked version (kAccessDenied).
  Task<Result<DeleteResult>> DeleteObject(std::string bucket, std::string key,
                                          VersionRef ref = VersionRef::Latest(),
                                          bool bypass_governance = false);
  Task<Result<ListResult>> ListObjects(ListArgs args);
  Task<Result<ListVersionsResult>> ListObjectVersions(ListVersionsArgs args);
  // Replaces the tags of the version `ref` names (in place: no new version);
  // returns the updated record. MethodNotAllowed on a delete marker.
  Task<Result<meta::VersionRecord>> SetObjectTags(std::string bucket, std::string key,
                                                  VersionRef ref, meta::StringPairs tags);
  // Object lock per version, under the drives' rules (kAccessDenied when the
  // stored retention forbids the change).
  Task<Result<meta::VersionRecord>> SetObjectRetention(std::string bucket, std::string key,
                                                       VersionRef ref, std::string mode,
                                                       SysTime until, bool bypass_governance);
  Task<Result<meta::VersionRecord>> SetObjectLegalHold(std::string bucket, std::string key,
                                                       VersionRef ref, bool on);

  // Multipart uploads.
  Task<Result<std::string>> CreateUpload(UploadArgs args);
  Task<Result<meta::UploadRecord>> GetUpload(std::string bucket, std::string key,
                                             std::string upload_id);
  // `finish` fills the part's ETag/checksums in a scratch record (segment 0).
  Task<Result<meta::PartRecord>> PutPart(std::string bucket, std::string key,
                                         std::string upload_id, uint32_t part_number,
                                         std::optional<uint64_t> size, BodySource& body,
                                         FinishWrite finish);
  Task<Result<std::vector<meta::PartRecord>>> ListParts(std::string bucket, std::string key,
                                                        std::string upload_id);
  // Validates the list (InvalidPart, InvalidPartOrder, EntityTooSmall) and
  // commits the object. `finish` may adjust the record (checksums).
  Task<Result<meta::VersionRecord>> CompleteUpload(std::string bucket, std::string key,
                                                   std::string upload_id,
                                                   std::vector<CompletePart> parts);
  Task<Status> AbortUpload(std::string bucket, std::string key, std::string upload_id);
  Task<Result<std::vector<meta::UploadRecord>>> ListUploads(ListUploadsArgs args);

  // Removes versions that a crash during the commit left on fewer than k
  // drives of their set: never readable, so never acknowledged. Only versions
  // written before `written_before` are touched (a write in flight is not
  // debris), and a version is removed only when even the offline drives could
  // not lift it to k. Walks every bucket like a listing; checks `stop`
  // between keys. Safe to run beside foreground traffic.
  Task<Result<BelowQuorumReport>> RemoveBelowQuorum(SysTime written_before,
                                                    const std::atomic<bool>& stop);

  // Healing (gateway/object_heal*.cc; docs/ARCHITECTURE.md, "Healing").
  // Repairs every version of the key that k drives of its home set hold onto
  // the drives that lack it or hold a stale copy or a missing or corrupt
  // shard (every shard of every such version is read and verified), and the
  // version's object in another pool. Never writes a version fewer than k
  // drives hold, never replaces a record with an older one, rebuilds only
  // from CRC-verified frames, and writes shards before the record.
  Task<Result<HealReport>> HealObject(std::string bucket, std::string key);
  // Copies bucket records and cluster configuration records (users, tiers,
  // scanner cursors) that most drives hold to the drives that lack them or
  // hold an older copy.
  Task<Result<HealReport>> HealBuckets();
  // Walks every key of every bucket (or one) on every set, and the internal
  // objects of the other pools, healing as `args` says. kUnavailable when
  // the buckets cannot be listed.
  Task<Result<HealReport>> HealScan(HealScanArgs args);
  // Heal on read: queues (bucket, key) for the background healer. Bounded
  // and de-duplicated: false when it was queued already or the queue is full
  // (the background walk catches what is dropped). Thread-safe, never blocks.
  bool QueueHeal(std::string bucket, std::string key);
  // Takes up to `max` queued keys, oldest first.
  std::vector<std::pair<std::string, std::string>> TakeQueuedHeals(size_t max);
  size_t heal_queue_length() const;

  // Storage classes and tiers.
  // True when PUT may name `storage_class` (a class of the topology).
  bool KnownStorageClass(std::string_view storage_class) const;
  // True when lifecycle may transition to it (a class or a tier name).
  bool KnownTransitionTarget(std::string_view target) const;
  void SetTierResolver(TierResolver resolver);
  // Moves the data of version `version_id` (raw) of bucket/key to the pool
  // or tier `target` names, leaving everything a client sees as it was;
  // see ARCHITECTURE.md "Transitions". kPreconditionFailed when the version
  // changed meanwhile (deleted, moved); OK without work when it is there.
  Task<Status> Transition(std::string bucket, std::string key, std::string version_id,
                          std::string target);
  // The store of a location ("pool:cold", "tier:archive"); kNotFound.
  Result<std::shared_ptr<DataStore>> Store(std::string_view location) const;

  // Cluster configuration records (users, tiers), kept on every drive of
  // every set like bucket records. Needs a write quorum in every set; the
  // later `updated` wins on each drive.
  Task<Status> PutConfig(meta::ConfigRecord record);
  // The live records of `kind`, by name: per name the newest version (by
  // `updated`) whose holders plus the silent drives make a write quorum in
  // every set (a change that missed its quorum does not count; drives that
  // are down do not hide one that made it), dropped when it is a tombstone.
  // kUnavailable when no drive answered.
  Task<Result<std::vector<meta::ConfigRecord>>> ListConfig(std::string kind);

  const ObjectLayerStats& stats() const;
  // The topology, for status reports and metrics (immutable after Create).
  const std::vector<Pool>& pools() const;

  // Drives online / total, for readiness and start-up reports.
  size_t online_drives() const;
  size_t total_drives() const;
  // True when every erasure set has a write quorum of online drives.
  bool WriteQuorumEverywhere() const;

  struct Impl;

 private:
  explicit ObjectLayer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Minimum size of every part but the last (S3: 5 MiB).
constexpr uint64_t kMinPartSize = 5ull << 20;

}  // namespace strata::gw
