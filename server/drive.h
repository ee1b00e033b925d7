// Drive: the boundary between the S3 side and storage. Everything above it
// (gateway/, the object layer) reaches shard files and metadata records only
// through this interface; `LocalDrive` implements it over a folder on this
// machine, and a remote storage node will implement it over the internal API.
//
// A drive holds, for every object version whose shards it stores, the version
// record (metadata/records.h) and the shard: a shard file named by the
// version's data id, or the shard bytes inline beside the record.
//
// Mutations are grouped in a `DriveTxn`: a list of semantic operations that the
// drive applies atomically and durably (one synced RocksDB batch). Keeping the
// operations semantic (not raw key/values) is what lets the drive enforce rules
// itself (WORM retention in a later issue) and lets a remote node receive them.
//
// Thread safety: every method may be called from any I/O thread concurrently.
// Awaitables complete on the caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"
#include "common/status.h"
#include "metadata/records.h"

namespace strata::server {

template <typename T>
using Task = boost::asio::awaitable<T>;

// One atomic, durable change to a drive's index.
struct DriveTxn {
  struct PutVersion { std::string bucket, key; meta::VersionRecord record; std::string inline_shard; };
  // Removes the record, its inline shard, and (after the commit) its shard
  // files. The drive refuses (kAccessDenied, nothing of the transaction
  // happens) while the stored version is locked: legal hold, COMPLIANCE, or
  // GOVERNANCE retention without bypass_governance.
  struct DeleteVersion {
    std::string bucket, key;
    meta::VersionRecord record;
    bool bypass_governance = false;
  };
  struct PutBucket { meta::BucketRecord record; };
  struct DeleteBucket { std::string name; };
  struct PutUpload { meta::UploadRecord record; };
  struct DeleteUpload { std::string bucket, key, upload_id; };
  struct PutPart { std::string upload_id; meta::PartRecord record; };
  // keep_data: the part's shard file now belongs to a committed object.
  struct DeletePart { std::string upload_id; uint32_t part_number; std::string data_id; bool keep_data; };
  // Replaces a committed version's tags in place. The transaction fails with
  // kNotFound when the drive does not hold the version.
  struct SetTags {
    std::string bucket, key, version_id;
    meta::StringPairs tags;
    SysTime updated;
  };
  // Sets a committed version's retention (mode "" removes it), under the
  // drive's own rules (meta::CheckRetentionChange): kAccessDenied when the
  // stored retention forbids it, kNotFound when the drive lacks the version.
  struct SetRetention {
    std::string bucket, key, version_id;
    std::string mode;
    SysTime until;
    bool bypass_governance = false;
    SysTime updated;
  };
  struct SetLegalHold {
    std::string bucket, key, version_id;
    bool on = false;
    SysTime updated;
  };
  // Changes fields of a bucket record in place (kNoSuchBucket when absent):
  // the versioning state when set, and config entries (nullopt erases one).
  struct UpdateBucket {
    std::string name;
    std::optional<std::string> versioning;
    bool enable_object_lock = false;  // turns it on; nothing turns it off
    std::vector<std::pair<std::string, std::optional<std::string>>> config;
    SysTime updated;
  };

  std::vector<PutVersion> put_versions;
  std::vector<DeleteVersion> delete_versions;
  std::vector<PutBucket> put_buckets;
  std::vector<DeleteBucket> delete_buckets;
  std::vector<PutUpload> put_uploads;
  std::vector<DeleteUpload> delete_uploads;
  std::vector<PutPart> put_parts;
  std::vector<DeletePart> delete_parts;
  std::vector<SetTags> set_tags;
  std::vector<SetRetention> set_retentions;
  std::vector<SetLegalHold> set_legal_holds;
  std::vector<UpdateBucket> update_buckets;
  // Moves a committed version's bytes elsewhere (a transition): checks the
  // stored record still has `expect_location` and the shard files
  // `expect_data_ids` (kPreconditionFailed otherwise, nothing happens), then
  // sets the location, its key and the storage class, and drops the local
  // data (inline shard, refs; files unlinked after the commit). Allowed under
  // object lock: the bytes stay, only their place changes.
  struct SetLocation {
    std::string bucket, key, version_id;
    std::string expect_location;
    std::vector<std::string> expect_data_ids;
    std::string location, location_key, storage_class;
    SysTime updated;
  };
  std::vector<SetLocation> set_locations;
  // Cluster configuration (users, tiers); the later `updated` wins per name.
  struct PutConfig { meta::ConfigRecord record; };
  std::vector<PutConfig> put_configs;
  // Shard files of writes that never committed (refused or below quorum).
  std::vector<std::string> remove_shards;
};

// A shard file being written. Not thread-safe: one writer, one coroutine.
// Destroying it without Commit() discards everything written.
class ShardWriter {
 public:
  virtual ~ShardWriter() = default;
  // Appends at the end. `data` must stay valid until the awaitable completes.
  virtual Task<Status> Append(ByteSpan data) = 0;
  // Makes the file durable and visible under its data id. Only a committed
  // shard may be referenced by a version record. A shard file already there
  // under the same id is replaced atomically (healing rewrites a corrupt one;
  // new writes never collide, data ids are unique).
  virtual Task<Status> Commit() = 0;
};

// One entry of a drive-side listing page: a key with its newest version, or
// a common prefix when a delimiter rolled keys up.
struct ListEntry {
  std::string key;  // the key, or the common prefix
  bool is_prefix = false;
  meta::VersionRecord record;  // newest version of `key`; empty for prefixes
};

struct ListRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string start_after;  // exclusive
  // ListVersions only: with start_after, resume after this version of it
  // (raw id); empty resumes after every version of start_after.
  std::string start_version;
  size_t max_entries = 1000;
};

struct ListPage {
  std::vector<ListEntry> entries;
  bool truncated = false;  // more entries after the last one
};

struct DriveUsage {
  uint64_t capacity_bytes = 0;
  uint64_t free_bytes = 0;
};

// The drive's metadata index, for metrics. Counters only grow.
struct IndexStats {
  uint64_t commit_batches = 0;  // transactions committed
  uint64_t commit_groups = 0;   // synced index writes (one per group commit)
  uint64_t stall_micros = 0;    // time writes were delayed or stopped (RocksDB stalls)
  uint64_t compaction_read_bytes = 0;
  uint64_t compaction_write_bytes = 0;
  uint64_t pending_compaction_bytes = 0;  // gauge: estimated bytes compaction still owes
  uint64_t sst_bytes = 0;                 // gauge
  uint64_t memtable_bytes = 0;            // gauge
  uint64_t block_cache_bytes = 0;         // gauge
  uint64_t estimated_keys = 0;            // gauge
};

class Drive {
 public:
  virtual ~Drive() = default;

  // "hot/drive1": for logs and errors.
  virtual const std::string& name() const = 0;
  virtual bool online() const = 0;

  // Shards.
  virtual Task<Result<std::unique_ptr<ShardWriter>>> CreateShard(std::string data_id) = 0;
  // Reads up to out.size() bytes at offset; returns bytes read (short at EOF).
  virtual Task<Result<size_t>> ReadShard(std::string data_id, uint64_t offset,
                                         MutableByteSpan out) = 0;

  // Index.
  virtual Task<Status> Apply(DriveTxn txn) = 0;
  virtual Task<Result<meta::BucketRecord>> GetBucket(std::string name) = 0;
  virtual Task<Result<std::vector<meta::BucketRecord>>> ListBuckets() = 0;
  virtual Task<Result<bool>> BucketHasAnything(std::string bucket) = 0;
  // Newest first; empty when the key has none. limit 0 = all; a small limit
  // costs O(1) however many versions the key has.
  virtual Task<Result<std::vector<meta::VersionRecord>>> GetVersions(std::string bucket,
                                                                     std::string key,
                                                                     size_t limit = 0) = 0;
  // The key's null versions, newest first (point reads through an index).
  virtual Task<Result<std::vector<meta::VersionRecord>>> GetNullVersions(std::string bucket,
                                                                         std::string key) = 0;
  // One version by raw id; kNotFound when this drive does not hold it.
  virtual Task<Result<meta::VersionRecord>> GetVersion(std::string bucket, std::string key,
                                                       std::string version_id) = 0;
  virtual Task<Result<std::string>> GetInline(std::string bucket, std::string key,
                                              std::string version_id) = 0;
  virtual Task<Result<ListPage>> ListLatest(ListRequest request) = 0;
  // Every version (delete markers included), keys in order and each key's
  // versions newest first; a common prefix is one entry.
  virtual Task<Result<ListPage>> ListVersions(ListRequest request) = 0;
  virtual Task<Result<meta::UploadRecord>> GetUpload(std::string bucket, std::string key,
                                                     std::string upload_id) = 0;
  virtual Task<Result<std::vector<meta::PartRecord>>> ListParts(std::string upload_id) = 0;
  virtual Task<Result<std::vector<meta::UploadRecord>>> ListUploads(
      std::string bucket, std::string prefix, std::string key_marker,
      std::string upload_id_marker, size_t limit) = 0;

  // Every config record of `kind`, tombstones included.
  virtual Task<Result<std::vector<meta::ConfigRecord>>> ListConfig(std::string kind) = 0;

  virtual Result<DriveUsage> Usage() const = 0;
  virtual Result<IndexStats> IndexStatistics() const = 0;
};

}  // namespace strata::server
