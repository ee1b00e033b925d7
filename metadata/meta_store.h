// MetaStore: one drive's metadata index, a RocksDB database (keys.h lays out
// the key spaces, records.h the values).
//
// Writes go through a Batch, committed atomically and durably by a group
// committer: one dedicated thread per store drains every queued batch, merges
// them into one RocksDB WriteBatch and writes it with a synced WAL, so one
// fdatasync serves every PUT that arrived meanwhile. A committed batch is the
// commit point of a write on this drive (ARCHITECTURE.md, "Versions, commits
// and crash safety"): after `done(OK)` it survives a crash; before, nothing
// of it is visible to readers.
//
// Values are small records, except inline shards ('i' keys) of up to about
// 64 KiB; RocksDB keeps values past a few KiB in blob files so that they do
// not inflate compaction of the small records.
//
// Reference records ('d' data_id): PutVersion/PutPart add one per shard file
// and DeleteVersion/DeletePart remove it; the start-up sweep unlinks shard
// files without one. They are not counted: a data id belongs to one record at
// a time (a part moving into an object keeps its ref via DeletePart(..., "")).
//
// Bucket names, keys and upload ids must not hold 0x00 (keys.h). A Batch
// given one is poisoned and its commit fails with kInvalidArgument; reads
// given one return kInvalidArgument.
//
// Ownership and threads: the store owns its RocksDB handle and the committer
// thread. Every method is thread-safe. Reads run inline on the caller's
// thread. Commit callbacks run on the committer thread and must be short (post
// to your own executor); a callback must not destroy the store. The
// destructor commits everything queued, then stops the thread; no Commit may
// race with it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "metadata/records.h"

namespace strata::meta {

class MetaStore {
 public:
  struct Options {
    // RocksDB folder; created (with its parents) if missing.
    std::string path;
    // LRU block cache for this store (index, filter and data blocks).
    size_t block_cache_bytes = 64 << 20;
    // The committer's "now" for object lock checks (tests pass a FakeClock).
    const Clock* clock = &Clock::Real();
  };

  // Group-commit counters, for metrics and tests.
  struct CommitStats {
    uint64_t batches = 0;  // batches whose done() was called
    uint64_t writes = 0;   // synced RocksDB writes (one per group)
  };

  // A set of changes applied atomically. Operations apply in call order, so
  // a later put of the same key wins over an earlier delete. Movable values;
  // not thread-safe.
  class Batch {
   public:
    // Also writes a 'd' ref for every segment with a data id and, for a null
    // version, adds it to the key's null index. The record's version_id must
    // not be empty. Refused when a locked record of the same id exists.
    void PutVersion(std::string_view bucket, std::string_view key, const VersionRecord& record);
    void PutInline(std::string_view bucket, std::string_view key, std::string_view version_id,
                   std::string_view shard_bytes);
    // Deletes the version, its inline shard, the 'd' refs of its segments and
    // its entry in the null index. Refused (kAccessDenied, the whole batch
    // fails) while the stored version is locked (CheckRemovable at commit
    // time); absent versions are fine.
    void DeleteVersion(std::string_view bucket, std::string_view key, const VersionRecord& record,
                       bool bypass_governance = false);
    void PutBucket(const BucketRecord& record);
    void DeleteBucket(std::string_view name);
    void PutUpload(const UploadRecord& record);
    void DeleteUpload(std::string_view bucket, std::string_view key, std::string_view upload_id);
    // Also writes the 'd' ref of the part's data id.
    void PutPart(std::string_view upload_id, const PartRecord& record);
    // Pass "" as data_id_to_unref to keep the ref (the part moved into an object).
    void DeletePart(std::string_view upload_id, uint32_t part_number,
                    std::string_view data_id_to_unref);
    void PutSys(std::string_view name, std::string_view value);
    // Stores `record` unless the drive holds one of the same kind and name
    // with a later `updated` (then this operation is a no-op: the later
    // change wins whatever order the drives see them in).
    void PutConfig(const ConfigRecord& record);

    // Read-modify-write, run by the committer against the record as it is at
    // commit time (earlier operations of the same group included), so updates
    // of one record never interleave. `fn` may refuse with a Status: then this
    // whole batch fails with it and nothing of it is written (other batches
    // of the group are not affected). kNotFound when the record is absent.
    // `fn` runs on the committer thread: keep it short and self-contained;
    // it gets the committer's clock reading.
    void UpdateVersion(std::string_view bucket, std::string_view key, std::string_view version_id,
                       std::function<Status(VersionRecord&, SysTime now)> fn);
    void UpdateBucket(std::string_view name, std::function<Status(BucketRecord&)> fn);
    // Drops a version's local data (its inline shard and the 'd' refs of
    // `data_ids`) after its bytes moved elsewhere. Pair it with an
    // UpdateVersion that checks the move in the same batch.
    void DropVersionData(std::string_view bucket, std::string_view key,
                         std::string_view version_id, const std::vector<std::string>& data_ids);

    bool empty() const { return ops_.empty() && error_.empty(); }

   private:
    friend class MetaStore;
    enum class Kind { kPut, kDelete, kUpdate };
    // kUpdate: `update` gets the current value (nullopt when absent) and
    // leaves the new one (nullopt deletes).
    using RawUpdate = std::function<Status(std::optional<std::string>&, SysTime now)>;
    struct Op {
      Kind kind = Kind::kPut;
      std::string key;
      std::string value;
      RawUpdate update;
    };
    void Put(std::string key, std::string value);
    void Delete(std::string key);
    void EditNullIndex(std::string_view bucket, std::string_view key,
                       std::string_view version_id, bool add);
    bool Check(std::string_view what, std::string_view s);

    std::vector<Op> ops_;
    std::string error_;  // first refused input; non-empty poisons the batch
  };

  static Result<std::unique_ptr<MetaStore>> Open(const Options& options);
  ~MetaStore();
  MetaStore(const MetaStore&) = delete;
  MetaStore& operator=(const MetaStore&) = delete;

  // Queues `batch`; `done` runs once, on the committer thread, when the batch
  // is durable or has failed. Batches apply in submission order.
  void Commit(Batch batch, std::function<void(Status)> done);
  // Blocks the caller until the batch is durable (tests, start-up).
  Status CommitSync(Batch batch);
  CommitStats commit_stats() const;

  // RocksDB figures that matter to operators. Counters only grow.
  struct DbStats {
    uint64_t stall_micros = 0;  // writes delayed or stopped
    uint64_t compaction_read_bytes = 0;
    uint64_t compaction_write_bytes = 0;
    uint64_t pending_compaction_bytes = 0;  // estimate
    uint64_t sst_bytes = 0;
    uint64_t memtable_bytes = 0;
    uint64_t block_cache_bytes = 0;
    uint64_t estimated_keys = 0;
  };
  DbStats db_stats() const;

  Result<BucketRecord> GetBucket(std::string_view name);    // kNoSuchBucket when absent
  Result<std::vector<BucketRecord>> ListBuckets();          // by name
  Result<bool> BucketHasAnything(std::string_view bucket);  // any version or upload
  // Newest first; empty when the key has none. limit 0 = all. The newest
  // versions come first in the index, so a small limit costs O(1) however
  // many versions (or tombstones of removed ones) the key has.
  Result<std::vector<VersionRecord>> GetVersions(std::string_view bucket, std::string_view key,
                                                 size_t limit = 0);
  Result<VersionRecord> GetVersion(std::string_view bucket, std::string_view key,
                                   std::string_view version_id);  // kNotFound
  // The key's null versions, newest first, through the null index: point
  // reads only, so the cost does not grow with the key's other versions or
  // with the tombstones that removed versions leave.
  Result<std::vector<VersionRecord>> GetNullVersions(std::string_view bucket,
                                                     std::string_view key);
  Result<std::string> GetInline(std::string_view bucket, std::string_view key,
                                std::string_view version_id);  // kNotFound
  Result<UploadRecord> GetUpload(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id);             // kNoSuchUpload
  Result<std::vector<PartRecord>> ListParts(std::string_view upload_id);  // ascending
  Result<std::optional<std::string>> GetSys(std::string_view name);
  // Every config record of `kind` by name, tombstones included.
  Result<std::vector<ConfigRecord>> ListConfig(std::string_view kind);
  // True also when the lookup fails: a caller deciding whether to unlink a
  // file must keep it when in doubt.
  bool HasDataRef(std::string_view data_id);

  // A cursor over one bucket's keys in byte order, yielding each key's newest
  // version (delete markers included; the caller decides). Reads one
  // snapshot, taken at creation. Moving to the next key costs O(1) seeks
  // however many versions a key has. Not thread-safe; one user at a time.
  class LatestCursor {
   public:
    virtual ~LatestCursor();
    virtual void Seek(std::string_view key) = 0;  // to the first key >= key
    virtual bool Valid() const = 0;
    virtual std::string_view key() const = 0;
    virtual const VersionRecord& record() const = 0;
    virtual void Next() = 0;
    // Not OK after an I/O error or a corrupt record; Valid() is then false.
    virtual Status status() const = 0;
  };
  // Unpositioned: call Seek first ("" for the first key).
  std::unique_ptr<LatestCursor> NewLatestCursor(std::string_view bucket);

  // A cursor over every version of one bucket: keys in byte order, each
  // key's versions newest first. One snapshot, taken at creation. Not
  // thread-safe.
  class VersionCursor {
   public:
    virtual ~VersionCursor();
    // To the newest version of the first key >= key.
    virtual void Seek(std::string_view key) = 0;
    // To the first version after (key, version_id) in listing order: an older
    // version of `key`, or the next key.
    virtual void SeekAfter(std::string_view key, std::string_view version_id) = 0;
    // To the first version of the first key that does not start with `prefix`
    // and sorts after it (skips a rolled-up common prefix).
    virtual void SkipPrefix(std::string_view prefix) = 0;
    virtual bool Valid() const = 0;
    virtual std::string_view key() const = 0;
    virtual const VersionRecord& record() const = 0;
    virtual void Next() = 0;
    virtual Status status() const = 0;
  };
  std::unique_ptr<VersionCursor> NewVersionCursor(std::string_view bucket);

  // Uploads of a bucket whose key starts with `prefix`, in (key, upload_id)
  // order, after (key_marker, upload_id_marker) as S3 defines it: with an
  // upload id marker, the key_marker's uploads after it and then later keys;
  // without one, keys after key_marker. At most `limit` records.
  Result<std::vector<UploadRecord>> ListUploads(std::string_view bucket, std::string_view prefix,
                                                std::string_view key_marker,
                                                std::string_view upload_id_marker, size_t limit);

  // Every version record of every bucket, in key order, for the start-up
  // sweeper; `fn` returns false to stop. Stops with kCorruption at the first
  // record or key that does not decode.
  Status ForEachVersion(const std::function<bool(std::string_view bucket, std::string_view key,
                                                 const VersionRecord& record)>& fn);

 private:
  struct Impl;
  explicit MetaStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::meta
