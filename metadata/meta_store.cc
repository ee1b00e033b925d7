#include "metadata/meta_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "metadata/keys.h"

namespace strata::meta {
namespace {

// Messages may reach clients: RocksDB's own text (which holds paths) stays out.
Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status();
  Code code = s.IsNotFound()     ? Code::kNotFound
              : s.IsCorruption() ? Code::kCorruption
              : s.IsIOError()    ? Code::kIoError
                                 : Code::kInternal;
  return Status(code, "metadata " + std::string(what) + " failed");
}

Status HasNulError(std::string_view what) {
  return Status(Code::kInvalidArgument, std::string(what) + " must not hold a NUL byte");
}

bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Decodes a version record and checks it belongs under the key it was read from.
Result<VersionRecord> DecodeVersionAt(std::string_view encoded_key, std::string_view value) {
  auto parsed = keys::ParseVersionKey(encoded_key);
  if (!parsed) return Status(Code::kCorruption, "malformed version key");
  STRATA_ASSIGN_OR_RETURN(VersionRecord record, DecodeVersion(value));
  if (record.version_id != parsed->version_id) {
    return Status(Code::kCorruption, "version record under another version's key");
  }
  return record;
}

rocksdb::Options MakeOptions(const MetaStore::Options& options) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_background_jobs = 2;
  o.compaction_style = rocksdb::kCompactionStyleLevel;
  o.level_compaction_dynamic_level_bytes = true;
  o.bytes_per_sync = 1 << 20;
  o.keep_log_file_num = 4;  // RocksDB's info LOG files, not the WAL
  o.max_log_file_size = 8 << 20;
  // Tickers only (stalls, compaction bytes) for metrics: per-core counters,
  // no timers or histograms on the write path.
  o.statistics = rocksdb::CreateDBStatistics();
  o.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);

  // Small records compress well; LZ4 is cheap enough for every level and
  // ZSTD pays off at the bottom, where most bytes live.
  auto supported = rocksdb::GetSupportedCompressions();
  auto has = [&](rocksdb::CompressionType t) {
    return std::find(supported.begin(), supported.end(), t) != supported.end();
  };
  o.compression = has(rocksdb::kLZ4Compression)      ? rocksdb::kLZ4Compression
                  : has(rocksdb::kSnappyCompression) ? rocksdb::kSnappyCompression
                                                     : rocksdb::kNoCompression;
  if (has(rocksdb::kZSTD)) o.bottommost_compression = rocksdb::kZSTD;

  // Inline shards (up to ~64 KiB) go to blob files: compactions then move
  // only the small records. Shard bytes rarely compress, so blobs are not.
  o.enable_blob_files = true;
  o.min_blob_size = 4096;
  o.enable_blob_garbage_collection = true;

  // Point reads (HEAD/GET of one version, data refs) are answered by the
  // bloom filter when the key is absent. No prefix extractor: listings seek
  // across whole key ranges in total order, and key spaces have no fixed
  // prefix length.
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.optimize_filters_for_memory = true;
  t.format_version = 5;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

// Iterator read options with an exclusive upper bound; the bound's storage
// must outlive the iterator.
struct BoundedRead {
  explicit BoundedRead(std::string upper_bound) : upper(std::move(upper_bound)), slice(upper) {
    if (!upper.empty()) options.iterate_upper_bound = &slice;
  }
  BoundedRead(const BoundedRead&) = delete;
  BoundedRead& operator=(const BoundedRead&) = delete;

  std::string upper;
  rocksdb::Slice slice;
  rocksdb::ReadOptions options;
};

}  // namespace

// ---------------------------------------------------------------- Batch

void MetaStore::Batch::Put(std::string key, std::string value) {
  ops_.push_back(Op{Kind::kPut, std::move(key), std::move(value), {}});
}

void MetaStore::Batch::Delete(std::string key) {
  ops_.push_back(Op{Kind::kDelete, std::move(key), {}, {}});
}

void MetaStore::Batch::UpdateVersion(std::string_view bucket, std::string_view key,
                                     std::string_view version_id,
                                     std::function<Status(VersionRecord&, SysTime)> fn) {
  if (!Check("bucket", bucket) || !Check("key", key)) return;
  std::string k = keys::VersionKey(bucket, key, version_id);
  RawUpdate raw = [k, fn = std::move(fn)](std::optional<std::string>& value, SysTime now) -> Status {
    if (!value) return Status(Code::kNotFound, "no such version");
    STRATA_ASSIGN_OR_RETURN(VersionRecord record, DecodeVersionAt(k, *value));
    STRATA_TRY(fn(record, now));
    value = Encode(record);
    return Status();
  };
  ops_.push_back(Op{Kind::kUpdate, std::move(k), {}, std::move(raw)});
}

void MetaStore::Batch::UpdateBucket(std::string_view name,
                                    std::function<Status(BucketRecord&)> fn) {
  if (!Check("bucket", name)) return;
  RawUpdate raw = [fn = std::move(fn)](std::optional<std::string>& value, SysTime) -> Status {
    if (!value) return Status(Code::kNoSuchBucket);
    STRATA_ASSIGN_OR_RETURN(BucketRecord record, DecodeBucket(*value));
    STRATA_TRY(fn(record));
    value = Encode(record);
    return Status();
  };
  ops_.push_back(Op{Kind::kUpdate, keys::BucketKey(name), {}, std::move(raw)});
}

bool MetaStore::Batch::Check(std::string_view what, std::string_view s) {
  if (!keys::HasNul(s)) return true;
  if (error_.empty()) error_ = std::string(what) + " must not hold a NUL byte";
  return false;
}

void MetaStore::Batch::PutVersion(std::string_view bucket, std::string_view key,
                                  const VersionRecord& record) {
  if (!Check("bucket", bucket) || !Check("key", key)) return;
  if (record.version_id.empty()) {
    if (error_.empty()) error_ = "version record without a version id";
    return;
  }
  std::string k = keys::VersionKey(bucket, key, record.version_id);
  // Ids are unique: a record already there is only replaced while unlocked.
  RawUpdate put = [k, encoded = Encode(record)](std::optional<std::string>& value,
                                                SysTime now) -> Status {
    if (value) {
      STRATA_ASSIGN_OR_RETURN(VersionRecord current, DecodeVersionAt(k, *value));
      STRATA_TRY(CheckRemovable(current, now, false));
    }
    value = encoded;
    return Status();
  };
  ops_.push_back(Op{Kind::kUpdate, std::move(k), {}, std::move(put)});
  for (const Segment& s : record.segments) {
    if (!s.data_id.empty()) Put(keys::DataRefKey(s.data_id), "");
  }
  if (record.null_version) EditNullIndex(bucket, key, record.version_id, true);
}

namespace {

// The null index value: version ids, newest first, each as [length byte][id].
std::vector<std::string> DecodeNullIndex(std::string_view value) {
  std::vector<std::string> ids;
  while (!value.empty()) {
    size_t n = static_cast<unsigned char>(value[0]);
    if (n + 1 > value.size()) break;  // truncated: keep what decodes
    ids.emplace_back(value.substr(1, n));
    value.remove_prefix(n + 1);
  }
  return ids;
}

}  // namespace

void MetaStore::Batch::EditNullIndex(std::string_view bucket, std::string_view key,
                                     std::string_view version_id, bool add) {
  if (version_id.size() > 255) {
    if (error_.empty()) error_ = "version id too long";
    return;
  }
  RawUpdate raw = [id = std::string(version_id), add](std::optional<std::string>& value, SysTime) {
    std::vector<std::string> ids = value ? DecodeNullIndex(*value) : std::vector<std::string>{};
    std::erase(ids, id);
    if (add) ids.push_back(id);
    std::sort(ids.begin(), ids.end(), std::greater<>());
    if (ids.empty()) {
      value.reset();
    } else {
      value.emplace();
      for (const auto& i : ids) {
        value->push_back(static_cast<char>(i.size()));
        *value += i;
      }
    }
    return Status();
  };
  ops_.push_back(Op{Kind::kUpdate, keys::NullIndexKey(bucket, key), {}, std::move(raw)});
}

void MetaStore::Batch::PutInline(std::string_view bucket, std::string_view key,
                                 std::string_view version_id, std::string_view shard_bytes) {
  if (!Check("bucket", bucket) || !Check("key", key)) return;
  Put(keys::VersionKey(bucket, key, version_id, keys::kInline), std::string(shard_bytes));
}

void MetaStore::Batch::DeleteVersion(std::string_view bucket, std::string_view key,
                                     const VersionRecord& record, bool bypass_governance) {
  if (!Check("bucket", bucket) || !Check("key", key)) return;
  // WORM: judged against the record as stored, whatever the caller believes.
  std::string k = keys::VersionKey(bucket, key, record.version_id);
  RawUpdate guarded = [k, bypass_governance](std::optional<std::string>& value,
                                             SysTime now) -> Status {
    if (!value) return Status();
    STRATA_ASSIGN_OR_RETURN(VersionRecord current, DecodeVersionAt(k, *value));
    STRATA_TRY(CheckRemovable(current, now, bypass_governance));
    value.reset();
    return Status();
  };
  ops_.push_back(Op{Kind::kUpdate, std::move(k), {}, std::move(guarded)});
  Delete(keys::VersionKey(bucket, key, record.version_id, keys::kInline));
  for (const Segment& s : record.segments) {
    if (!s.data_id.empty()) Delete(keys::DataRefKey(s.data_id));
  }
  if (record.null_version) EditNullIndex(bucket, key, record.version_id, false);
}

void MetaStore::Batch::PutBucket(const BucketRecord& record) {
  if (!Check("bucket", record.name)) return;
  Put(keys::BucketKey(record.name), Encode(record));
}

void MetaStore::Batch::DeleteBucket(std::string_view name) {
  if (!Check("bucket", name)) return;
  Delete(keys::BucketKey(name));
}

void MetaStore::Batch::PutUpload(const UploadRecord& record) {
  if (!Check("bucket", record.bucket) || !Check("key", record.key) ||
      !Check("upload id", record.upload_id)) {
    return;
  }
  Put(keys::UploadKey(record.bucket, record.key, record.upload_id), Encode(record));
}

void MetaStore::Batch::DeleteUpload(std::string_view bucket, std::string_view key,
                                    std::string_view upload_id) {
  if (!Check("bucket", bucket) || !Check("key", key) || !Check("upload id", upload_id)) return;
  Delete(keys::UploadKey(bucket, key, upload_id));
}

void MetaStore::Batch::PutPart(std::string_view upload_id, const PartRecord& record) {
  if (!Check("upload id", upload_id)) return;
  Put(keys::PartKey(upload_id, record.part_number), Encode(record));
  if (!record.segment.data_id.empty()) Put(keys::DataRefKey(record.segment.data_id), "");
}

void MetaStore::Batch::DeletePart(std::string_view upload_id, uint32_t part_number,
                                  std::string_view data_id_to_unref) {
  if (!Check("upload id", upload_id)) return;
  Delete(keys::PartKey(upload_id, part_number));
  if (!data_id_to_unref.empty()) Delete(keys::DataRefKey(data_id_to_unref));
}

void MetaStore::Batch::PutSys(std::string_view name, std::string_view value) {
  Put(keys::SysKey(name), std::string(value));
}

void MetaStore::Batch::DropVersionData(std::string_view bucket, std::string_view key,
                                       std::string_view version_id,
                                       const std::vector<std::string>& data_ids) {
  if (!Check("bucket", bucket) || !Check("key", key)) return;
  Delete(keys::VersionKey(bucket, key, version_id, keys::kInline));
  for (const auto& id : data_ids) {
    if (!id.empty()) Delete(keys::DataRefKey(id));
  }
}

void MetaStore::Batch::PutConfig(const ConfigRecord& record) {
  if (!Check("config kind", record.kind) || !Check("config name", record.name)) return;
  RawUpdate put = [encoded = Encode(record), updated = record.updated](
                      std::optional<std::string>& value, SysTime) -> Status {
    if (value) {
      STRATA_ASSIGN_OR_RETURN(ConfigRecord current, DecodeConfig(*value));
      if (current.updated > updated) return Status();  // a later change is there
    }
    value = encoded;
    return Status();
  };
  ops_.push_back(Op{Kind::kUpdate, keys::ConfigKey(record.kind, record.name), {}, std::move(put)});
}

// ---------------------------------------------------------------- Impl

struct MetaStore::Impl {
  struct Pending {
    Batch batch;
    std::function<void(Status)> done;
  };

  std::unique_ptr<rocksdb::DB> db;
  const Clock* clock = &Clock::Real();

  std::mutex mu;
  std::condition_variable wake;
  std::deque<Pending> queue;  // guarded by mu
  bool stopping = false;      // guarded by mu
  std::thread committer;

  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> writes{0};

  // The committer: takes everything queued, writes it as one synced batch,
  // then reports to every submitter. Exits once stopping and drained.
  // Updates read through the group's pending writes (the index of
  // `merged`), and a batch that fails rolls back to its save point.
  void Run() {
    std::deque<Pending> group;
    std::vector<Status> verdicts;
    for (;;) {
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        group.swap(queue);
      }
      rocksdb::WriteBatchWithIndex merged(rocksdb::BytewiseComparator(), 0,
                                          /*overwrite_key=*/true);
      verdicts.assign(group.size(), Status());
      for (size_t i = 0; i < group.size(); ++i) {
        const Batch& batch = group[i].batch;
        if (!batch.error_.empty()) {
          verdicts[i] = Status(Code::kInvalidArgument, batch.error_);
          continue;
        }
        merged.SetSavePoint();
        verdicts[i] = ApplyOps(batch, merged);
        if (verdicts[i].ok()) {
          merged.PopSavePoint().PermitUncheckedError();
        } else {
          merged.RollbackToSavePoint().PermitUncheckedError();
        }
      }
      Status status;
      if (merged.GetWriteBatch()->Count() > 0) {
        rocksdb::WriteOptions wo;
        wo.sync = true;
        status = FromRocks(db->Write(wo, merged.GetWriteBatch()), "write");
        writes.fetch_add(1, std::memory_order_relaxed);
      }
      for (size_t i = 0; i < group.size(); ++i) {
        // Counted first: a caller woken by done() must see its batch counted.
        batches.fetch_add(1, std::memory_order_relaxed);
        group[i].done(verdicts[i].ok() ? status : verdicts[i]);
      }
      group.clear();
    }
  }

  Status ApplyOps(const Batch& batch, rocksdb::WriteBatchWithIndex& merged) {
    for (const Batch::Op& op : batch.ops_) {
      rocksdb::Status s;
      switch (op.kind) {
        case Batch::Kind::kPut:
          s = merged.Put(op.key, op.value);
          break;
        case Batch::Kind::kDelete:
          s = merged.Delete(op.key);
          break;
        case Batch::Kind::kUpdate: {
          std::string current;
          s = merged.GetFromBatchAndDB(db.get(), rocksdb::ReadOptions(), op.key, &current);
          if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read for update");
          std::optional<std::string> value;
          if (s.ok()) value = std::move(current);
          STRATA_TRY(op.update(value, clock->Now()));
          s = value ? merged.Put(op.key, *value) : merged.Delete(op.key);
          break;
        }
      }
      if (!s.ok()) return FromRocks(s, "write");
    }
    return Status();
  }

  Result<std::string> Get(const std::string& key, std::string_view what) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
    if (!s.ok()) return FromRocks(s, what);
    return value;
  }

  // Calls fn(key, value) for every key starting with `prefix`, from `start`
  // (which must sort at or after `prefix`); fn returns false to stop.
  template <typename Fn>
  Status Scan(const std::string& prefix, std::string_view start, Fn&& fn) {
    BoundedRead read(keys::PrefixSuccessor(prefix));
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read.options));
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
      if (!StartsWith(it->key(), prefix)) break;
      Status st;
      if (!fn(View(it->key()), View(it->value()), &st)) return st;
    }
    return FromRocks(it->status(), "scan");
  }
  template <typename Fn>
  Status Scan(const std::string& prefix, Fn&& fn) {
    return Scan(prefix, prefix, std::forward<Fn>(fn));
  }

  // Every record under `prefix`, each decoded by decode(key, value).
  template <typename T, typename Decode>
  Result<std::vector<T>> Collect(const std::string& prefix, Decode&& decode) {
    std::vector<T> out;
    STRATA_TRY(Scan(prefix, [&](std::string_view k, std::string_view v, Status* st) {
      Result<T> record = decode(k, v);
      if (!record.ok()) {
        *st = record.status();
        return false;
      }
      out.push_back(std::move(*record));
      return true;
    }));
    return out;
  }

  Result<bool> AnyWithPrefix(const std::string& prefix) {
    bool any = false;
    STRATA_TRY(Scan(prefix, [&](std::string_view, std::string_view, Status*) {
      any = true;
      return false;
    }));
    return any;
  }
};

// ---------------------------------------------------------------- Cursors

MetaStore::LatestCursor::~LatestCursor() = default;
MetaStore::VersionCursor::~VersionCursor() = default;

namespace {

class LatestCursorImpl final : public MetaStore::LatestCursor {
 public:
  LatestCursorImpl(rocksdb::DB* db, std::string_view bucket)
      : prefix_(keys::VersionBucketPrefix(bucket)), read_(keys::PrefixSuccessor(prefix_)) {
    it_.reset(db->NewIterator(read_.options));
  }

  void Seek(std::string_view key) override {
    std::string target = prefix_;
    size_t nul = key.find('\0');
    if (nul == std::string_view::npos) {
      target += key;
    } else {
      // No stored key holds a NUL, so the first key >= "a\0..." is the first
      // key after "a".
      target += key.substr(0, nul);
      target.push_back('\x01');
    }
    it_->Seek(target);
    Load();
  }

  bool Valid() const override { return valid_; }
  std::string_view key() const override { return key_; }
  const VersionRecord& record() const override { return record_; }

  void Next() override {
    if (!valid_) return;
    // The next entry is usually another key already; only a key with older
    // versions needs the skip seek.
    std::string versions = prefix_ + key_;
    versions.push_back('\0');
    it_->Next();
    if (it_->Valid() && StartsWith(it_->key(), versions)) {
      versions.back() = '\x01';
      it_->Seek(versions);
    }
    Load();
  }

  Status status() const override { return status_; }

 private:
  void Load() {
    valid_ = false;
    if (!it_->Valid()) {
      status_ = FromRocks(it_->status(), "list");
      return;
    }
    std::string_view encoded = View(it_->key());
    auto record = DecodeVersionAt(encoded, View(it_->value()));
    if (!record.ok() || !StartsWith(it_->key(), prefix_)) {
      status_ = record.ok() ? Status(Code::kCorruption, "version key outside its bucket")
                            : record.status();
      return;
    }
    key_ = std::string(keys::ParseVersionKey(encoded)->key);
    record_ = std::move(*record);
    valid_ = true;
  }

  std::string prefix_;
  BoundedRead read_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool valid_ = false;
  std::string key_;
  VersionRecord record_;
  Status status_;
};

// Never valid: the bucket name was refused.
class RefusedCursor final : public MetaStore::LatestCursor {
 public:
  void Seek(std::string_view) override {}
  bool Valid() const override { return false; }
  std::string_view key() const override { return {}; }
  const VersionRecord& record() const override { return record_; }
  void Next() override {}
  Status status() const override { return HasNulError("bucket"); }

 private:
  VersionRecord record_;
};

// Every version of a bucket, in index order.
class VersionCursorImpl final : public MetaStore::VersionCursor {
 public:
  VersionCursorImpl(rocksdb::DB* db, std::string_view bucket)
      : bucket_(bucket),
        prefix_(keys::VersionBucketPrefix(bucket)),
        read_(keys::PrefixSuccessor(prefix_)) {
    it_.reset(db->NewIterator(read_.options));
  }

  void Seek(std::string_view key) override {
    size_t nul = key.find('\0');
    std::string target = prefix_;
    target += key.substr(0, nul);
    // No stored key holds a NUL: the first key >= "a\0..." follows "a".
    if (nul != std::string_view::npos) target.push_back('\x01');
    it_->Seek(target);
    Load();
  }

  void SeekAfter(std::string_view key, std::string_view version_id) override {
    if (keys::HasNul(key)) return Seek(key);
    std::string target = keys::VersionKey(bucket_, key, version_id);
    it_->Seek(target);
    if (it_->Valid() && View(it_->key()) == target) it_->Next();
    Load();
  }

  void SkipPrefix(std::string_view prefix) override {
    std::string next = keys::PrefixSuccessor(prefix_ + std::string(prefix));
    if (next.empty()) {
      valid_ = false;
      return;
    }
    it_->Seek(next);
    Load();
  }

  bool Valid() const override { return valid_; }
  std::string_view key() const override { return key_; }
  const VersionRecord& record() const override { return record_; }
  void Next() override {
    if (!valid_) return;
    it_->Next();
    Load();
  }
  Status status() const override { return status_; }

 private:
  void Load() {
    valid_ = false;
    if (!it_->Valid()) {
      status_ = FromRocks(it_->status(), "list");
      return;
    }
    std::string_view encoded = View(it_->key());
    auto record = DecodeVersionAt(encoded, View(it_->value()));
    if (!record.ok() || !StartsWith(it_->key(), prefix_)) {
      status_ = record.ok() ? Status(Code::kCorruption, "version key outside its bucket")
                            : record.status();
      return;
    }
    key_ = std::string(keys::ParseVersionKey(encoded)->key);
    record_ = std::move(*record);
    valid_ = true;
  }

  std::string bucket_;
  std::string prefix_;
  BoundedRead read_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool valid_ = false;
  std::string key_;
  VersionRecord record_;
  Status status_;
};

class RefusedVersionCursor final : public MetaStore::VersionCursor {
 public:
  void Seek(std::string_view) override {}
  void SeekAfter(std::string_view, std::string_view) override {}
  void SkipPrefix(std::string_view) override {}
  bool Valid() const override { return false; }
  std::string_view key() const override { return {}; }
  const VersionRecord& record() const override { return record_; }
  void Next() override {}
  Status status() const override { return HasNulError("bucket"); }

 private:
  VersionRecord record_;
};

}  // namespace

// ---------------------------------------------------------------- MetaStore

MetaStore::MetaStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetaStore::~MetaStore() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_one();
  impl_->committer.join();
  impl_->db->Close().PermitUncheckedError();
}

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const Options& options) {
  if (options.path.empty()) return Status(Code::kInvalidArgument, "metadata path is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status(Code::kIoError, "create " + options.path + ": " + ec.message());

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(MakeOptions(options), options.path, &raw);
  if (!s.ok()) {
    // Start-up only, read by the operator: RocksDB's text says what is wrong.
    Code code = s.IsCorruption() ? Code::kCorruption : Code::kIoError;
    return Status(code, "open metadata " + options.path + ": " + s.ToString());
  }
  auto impl = std::make_unique<Impl>();
  impl->db.reset(raw);
  impl->clock = options.clock;
  Impl* p = impl.get();
  impl->committer = std::thread([p] { p->Run(); });
  return std::unique_ptr<MetaStore>(new MetaStore(std::move(impl)));
}

void MetaStore::Commit(Batch batch, std::function<void(Status)> done) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->queue.push_back(Impl::Pending{std::move(batch), std::move(done)});
  }
  impl_->wake.notify_one();
}

Status MetaStore::CommitSync(Batch batch) {
  std::promise<Status> promise;
  std::future<Status> result = promise.get_future();
  Commit(std::move(batch), [&promise](Status s) { promise.set_value(std::move(s)); });
  return result.get();
}

MetaStore::CommitStats MetaStore::commit_stats() const {
  return CommitStats{impl_->batches.load(std::memory_order_relaxed),
                     impl_->writes.load(std::memory_order_relaxed)};
}

MetaStore::DbStats MetaStore::db_stats() const {
  DbStats out;
  rocksdb::DB& db = *impl_->db;
  if (auto* stats = db.GetOptions().statistics.get()) {
    out.stall_micros = stats->getTickerCount(rocksdb::STALL_MICROS);
    out.compaction_read_bytes = stats->getTickerCount(rocksdb::COMPACT_READ_BYTES);
    out.compaction_write_bytes = stats->getTickerCount(rocksdb::COMPACT_WRITE_BYTES);
  }
  auto prop = [&db](const std::string& name) {
    uint64_t v = 0;
    return db.GetIntProperty(name, &v) ? v : 0;
  };
  out.pending_compaction_bytes = prop(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  out.sst_bytes = prop(rocksdb::DB::Properties::kTotalSstFilesSize);
  out.memtable_bytes = prop(rocksdb::DB::Properties::kCurSizeAllMemTables);
  out.block_cache_bytes = prop(rocksdb::DB::Properties::kBlockCacheUsage);
  out.estimated_keys = prop(rocksdb::DB::Properties::kEstimateNumKeys);
  return out;
}

Result<BucketRecord> MetaStore::GetBucket(std::string_view name) {
  if (keys::HasNul(name)) return HasNulError("bucket");
  auto value = impl_->Get(keys::BucketKey(name), "read");
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) return Status(Code::kNoSuchBucket);
    return value.status();
  }
  return DecodeBucket(*value);
}

Result<std::vector<BucketRecord>> MetaStore::ListBuckets() {
  return impl_->Collect<BucketRecord>(
      keys::BucketSpace(), [](std::string_view, std::string_view v) { return DecodeBucket(v); });
}

Result<std::vector<ConfigRecord>> MetaStore::ListConfig(std::string_view kind) {
  if (keys::HasNul(kind)) return HasNulError("config kind");
  return impl_->Collect<ConfigRecord>(
      keys::ConfigKindPrefix(kind),
      [](std::string_view, std::string_view v) { return DecodeConfig(v); });
}

Result<bool> MetaStore::BucketHasAnything(std::string_view bucket) {
  if (keys::HasNul(bucket)) return HasNulError("bucket");
  STRATA_ASSIGN_OR_RETURN(bool versions, impl_->AnyWithPrefix(keys::VersionBucketPrefix(bucket)));
  if (versions) return true;
  return impl_->AnyWithPrefix(keys::UploadBucketPrefix(bucket));
}

Result<std::vector<VersionRecord>> MetaStore::GetVersions(std::string_view bucket,
                                                          std::string_view key, size_t limit) {
  if (keys::HasNul(bucket) || keys::HasNul(key)) return HasNulError("bucket or key");
  std::vector<VersionRecord> out;
  STRATA_TRY(impl_->Scan(keys::VersionKeyPrefix(bucket, key),
                         [&](std::string_view k, std::string_view v, Status* st) {
                           auto record = DecodeVersionAt(k, v);
                           if (!record.ok()) {
                             *st = record.status();
                             return false;
                           }
                           out.push_back(std::move(*record));
                           return limit == 0 || out.size() < limit;
                         }));
  return out;
}

Result<VersionRecord> MetaStore::GetVersion(std::string_view bucket, std::string_view key,
                                            std::string_view version_id) {
  if (keys::HasNul(bucket) || keys::HasNul(key)) return HasNulError("bucket or key");
  std::string k = keys::VersionKey(bucket, key, version_id);
  STRATA_ASSIGN_OR_RETURN(std::string value, impl_->Get(k, "read"));
  return DecodeVersionAt(k, value);
}

Result<std::vector<VersionRecord>> MetaStore::GetNullVersions(std::string_view bucket,
                                                              std::string_view key) {
  if (keys::HasNul(bucket) || keys::HasNul(key)) return HasNulError("bucket or key");
  std::vector<VersionRecord> out;
  auto index = impl_->Get(keys::NullIndexKey(bucket, key), "read");
  if (!index.ok()) {
    if (index.status().code() == Code::kNotFound) return out;
    return index.status();
  }
  for (const std::string& id : DecodeNullIndex(*index)) {
    auto record = GetVersion(bucket, key, id);
    if (record.ok()) {
      out.push_back(std::move(*record));
    } else if (record.status().code() != Code::kNotFound) {
      return record.status();
    }
  }
  return out;
}

Result<std::string> MetaStore::GetInline(std::string_view bucket, std::string_view key,
                                         std::string_view version_id) {
  if (keys::HasNul(bucket) || keys::HasNul(key)) return HasNulError("bucket or key");
  return impl_->Get(keys::VersionKey(bucket, key, version_id, keys::kInline), "read");
}

Result<UploadRecord> MetaStore::GetUpload(std::string_view bucket, std::string_view key,
                                          std::string_view upload_id) {
  if (keys::HasNul(bucket) || keys::HasNul(key) || keys::HasNul(upload_id)) {
    return Status(Code::kNoSuchUpload);
  }
  auto value = impl_->Get(keys::UploadKey(bucket, key, upload_id), "read");
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) return Status(Code::kNoSuchUpload);
    return value.status();
  }
  return DecodeUpload(*value);
}

Result<std::vector<PartRecord>> MetaStore::ListParts(std::string_view upload_id) {
  if (keys::HasNul(upload_id)) return HasNulError("upload id");
  return impl_->Collect<PartRecord>(
      keys::PartPrefix(upload_id),
      [](std::string_view, std::string_view v) { return DecodePart(v); });
}

Result<std::optional<std::string>> MetaStore::GetSys(std::string_view name) {
  auto value = impl_->Get(keys::SysKey(name), "read");
  if (value.ok()) return std::optional<std::string>(std::move(*value));
  if (value.status().code() == Code::kNotFound) return std::optional<std::string>();
  return value.status();
}

bool MetaStore::HasDataRef(std::string_view data_id) {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), keys::DataRefKey(data_id), &value);
  return !s.IsNotFound();
}

std::unique_ptr<MetaStore::LatestCursor> MetaStore::NewLatestCursor(std::string_view bucket) {
  if (keys::HasNul(bucket)) return std::make_unique<RefusedCursor>();
  return std::make_unique<LatestCursorImpl>(impl_->db.get(), bucket);
}

std::unique_ptr<MetaStore::VersionCursor> MetaStore::NewVersionCursor(std::string_view bucket) {
  if (keys::HasNul(bucket)) return std::make_unique<RefusedVersionCursor>();
  return std::make_unique<VersionCursorImpl>(impl_->db.get(), bucket);
}

Result<std::vector<UploadRecord>> MetaStore::ListUploads(std::string_view bucket,
                                                         std::string_view prefix,
                                                         std::string_view key_marker,
                                                         std::string_view upload_id_marker,
                                                         size_t limit) {
  if (keys::HasNul(bucket) || keys::HasNul(prefix) || keys::HasNul(key_marker) ||
      keys::HasNul(upload_id_marker)) {
    return HasNulError("bucket, prefix or marker");
  }
  std::vector<UploadRecord> out;
  if (limit == 0) return out;
  std::string range = keys::UploadBucketPrefix(bucket);
  range += prefix;
  std::string start = range;
  if (!key_marker.empty()) {
    std::string after;
    if (upload_id_marker.empty()) {
      after = keys::UploadKeyPrefix(bucket, key_marker);
      after.back() = '\x01';  // past every upload of key_marker
    } else {
      after = keys::UploadKey(bucket, key_marker, upload_id_marker);
      after.push_back('\0');  // the smallest key after the marker's own
    }
    start = std::max(start, after);
  }
  STRATA_TRY(impl_->Scan(range, start, [&](std::string_view k, std::string_view v, Status* st) {
    auto record = DecodeUpload(v);
    if (!keys::ParseUploadKey(k) || !record.ok()) {
      *st = record.ok() ? Status(Code::kCorruption, "malformed upload key") : record.status();
      return false;
    }
    out.push_back(std::move(*record));
    return out.size() < limit;
  }));
  return out;
}

Status MetaStore::ForEachVersion(
    const std::function<bool(std::string_view, std::string_view, const VersionRecord&)>& fn) {
  return impl_->Scan(std::string(1, keys::kVersion),
                     [&](std::string_view k, std::string_view v, Status* st) {
                       auto record = DecodeVersionAt(k, v);
                       if (!record.ok()) {
                         *st = record.status();
                         return false;
                       }
                       auto parsed = keys::ParseVersionKey(k);
                       return fn(parsed->bucket, parsed->key, *record);
                     });
}

}  // namespace strata::meta
