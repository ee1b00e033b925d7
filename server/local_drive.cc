#include "server/local_drive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_at.hpp>
#include <boost/asio/random_access_file.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write_at.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "metadata/meta_store.h"

namespace strata::server {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::use_awaitable;

constexpr int kFanout = 256;

Status Errno(std::string_view what, int err) {
  return Status(Code::kIoError, std::string(what) + ": " + std::strerror(err));
}

// "ab" from a hex data id: its last two digits (the random part).
std::string_view FanoutDir(std::string_view data_id) {
  return data_id.size() >= 2 ? data_id.substr(data_id.size() - 2) : std::string_view("00");
}

bool ValidDataId(std::string_view id) {
  if (id.size() < 2 || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string PrefixSuccessor(std::string s) {
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    if (c != 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;  // empty: no successor
}

class LocalDrive;

class LocalShardWriter final : public ShardWriter {
 public:
  LocalShardWriter(LocalDrive* drive, std::string data_id, asio::random_access_file file)
      : drive_(drive), data_id_(std::move(data_id)), file_(std::move(file)) {}

  Task<Status> Append(ByteSpan data) override {
    auto [ec, n] = co_await asio::async_write_at(
        file_, offset_, asio::buffer(data.data(), data.size()), asio::as_tuple(use_awaitable));
    if (ec) co_return Status(Code::kIoError, "shard write: " + ec.message());
    offset_ += n;
    co_return Status();
  }

  Task<Status> Commit() override;

 private:
  LocalDrive* drive_;
  std::string data_id_;
  asio::random_access_file file_;
  uint64_t offset_ = 0;
};

class LocalDrive final : public Drive {
 public:
  LocalDrive(const LocalDriveOptions& options, std::unique_ptr<meta::MetaStore> store,
             std::array<int, kFanout> dir_fds)
      : name_(options.name),
        data_dir_(options.root + "/data"),
        root_(options.root),
        blocking_(options.blocking),
        store_(std::move(store)),
        dir_fds_(dir_fds) {}

  ~LocalDrive() override {
    for (int fd : dir_fds_) {
      if (fd >= 0) ::close(fd);
    }
  }

  const std::string& name() const override { return name_; }
  bool online() const override { return true; }

  Task<Result<std::unique_ptr<ShardWriter>>> CreateShard(std::string data_id) override {
    if (!ValidDataId(data_id)) co_return Status(Code::kInvalidArgument, "bad data id");
    int fd = ::open(data_dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
    if (fd < 0) co_return Errno("create shard", errno);
    asio::random_access_file file(co_await asio::this_coro::executor);
    boost::system::error_code ec;
    file.assign(fd, ec);
    if (ec) {
      ::close(fd);
      co_return Status(Code::kIoError, "assign shard: " + ec.message());
    }
    co_return std::unique_ptr<ShardWriter>(
        new LocalShardWriter(this, std::move(data_id), std::move(file)));
  }

  Task<Result<size_t>> ReadShard(std::string data_id, uint64_t offset,
                                 MutableByteSpan out) override {
    if (!ValidDataId(data_id)) co_return Status(Code::kInvalidArgument, "bad data id");
    std::string path = ShardPath(data_id);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) co_return Status(Code::kNotFound, "no such shard");
    if (fd < 0) co_return Errno("open shard", errno);
    asio::random_access_file file(co_await asio::this_coro::executor);
    boost::system::error_code ec;
    file.assign(fd, ec);
    if (ec) {
      ::close(fd);
      co_return Status(Code::kIoError, "assign shard: " + ec.message());
    }
    auto [rec, n] = co_await asio::async_read_at(
        file, offset, asio::buffer(out.data(), out.size()), asio::as_tuple(use_awaitable));
    if (rec && rec != asio::error::eof) co_return Status(Code::kIoError, "shard read: " + rec.message());
    co_return n;
  }

  Task<Status> Apply(DriveTxn txn) override {
    // Data ids name files: one that is not a plain hex id could reach
    // outside the drive (a remote node receives these from the network).
    STRATA_CO_TRY(CheckDataIds(txn));
    meta::MetaStore::Batch batch;
    std::vector<std::string> unlink_ids;
    for (auto& op : txn.delete_versions) {
      batch.DeleteVersion(op.bucket, op.key, op.record, op.bypass_governance);
      for (const auto& seg : op.record.segments) {
        if (!seg.data_id.empty()) unlink_ids.push_back(seg.data_id);
      }
    }
    for (auto& op : txn.put_versions) {
      batch.PutVersion(op.bucket, op.key, op.record);
      if (op.record.inline_data) {
        batch.PutInline(op.bucket, op.key, op.record.version_id, op.inline_shard);
      }
    }
    for (auto& op : txn.delete_parts) {
      batch.DeletePart(op.upload_id, op.part_number, op.keep_data ? "" : op.data_id);
      if (!op.keep_data && !op.data_id.empty()) unlink_ids.push_back(op.data_id);
    }
    for (auto& op : txn.put_parts) batch.PutPart(op.upload_id, op.record);
    for (auto& op : txn.delete_uploads) batch.DeleteUpload(op.bucket, op.key, op.upload_id);
    for (auto& op : txn.put_uploads) batch.PutUpload(op.record);
    for (auto& op : txn.delete_buckets) batch.DeleteBucket(op.name);
    for (auto& op : txn.put_buckets) batch.PutBucket(op.record);
    for (const auto& op : txn.set_tags) {
      batch.UpdateVersion(op.bucket, op.key, op.version_id,
                          [tags = op.tags, updated = op.updated](
                              meta::VersionRecord& record, SysTime) {
                            record.tags = tags;
                            record.updated = updated;
                            return Status();
                          });
    }
    for (const auto& op : txn.set_retentions) {
      batch.UpdateVersion(op.bucket, op.key, op.version_id,
                          [op](meta::VersionRecord& record, SysTime now) -> Status {
                            STRATA_TRY(meta::CheckRetentionChange(record, op.mode, op.until, now,
                                                                  op.bypass_governance));
                            record.retention_mode = op.mode;
                            record.retain_until = op.mode.empty() ? SysTime{} : op.until;
                            record.updated = op.updated;
                            return Status();
                          });
    }
    for (const auto& op : txn.set_legal_holds) {
      batch.UpdateVersion(op.bucket, op.key, op.version_id,
                          [op](meta::VersionRecord& record, SysTime) {
                            record.legal_hold = op.on;
                            record.updated = op.updated;
                            return Status();
                          });
    }
    for (auto& op : txn.update_buckets) {
      const std::string name = op.name;  // before the lambda takes `op`
      batch.UpdateBucket(name, [op = std::move(op)](meta::BucketRecord& record) {
        if (op.versioning) record.versioning = *op.versioning;
        if (op.enable_object_lock) record.object_lock = true;
        // A locked bucket stays versioned, whatever a caller asks.
        if (record.object_lock) record.versioning = "Enabled";
        for (const auto& [name, value] : op.config) {
          if (value) {
            record.config.insert_or_assign(name, *value);
          } else {
            record.config.erase(name);
          }
        }
        record.updated = op.updated;
        return Status();
      });
    }

    for (const auto& op : txn.put_configs) batch.PutConfig(op.record);
    for (const auto& op : txn.set_locations) {
      batch.UpdateVersion(op.bucket, op.key, op.version_id,
                          [op](meta::VersionRecord& record, SysTime) -> Status {
                            std::vector<std::string> ids;
                            for (const auto& seg : record.segments) {
                              if (!seg.data_id.empty()) ids.push_back(seg.data_id);
                            }
                            if (record.location != op.expect_location ||
                                ids != op.expect_data_ids) {
                              return Status(Code::kPreconditionFailed,
                                            "the version's data moved meanwhile");
                            }
                            record.location = op.location;
                            record.location_key = op.location_key;
                            record.storage_class = op.storage_class;
                            record.inline_data = false;
                            for (auto& seg : record.segments) seg.data_id.clear();
                            record.updated = op.updated;
                            return Status();
                          });
      batch.DropVersionData(op.bucket, op.key, op.version_id, op.expect_data_ids);
      for (const auto& id : op.expect_data_ids) unlink_ids.push_back(id);
    }

    for (auto& id : txn.remove_shards) {
      if (ValidDataId(id) && !store_->HasDataRef(id)) unlink_ids.push_back(id);
    }
    meta::MetaStore* store = store_.get();
    if (batch.empty()) {
      if (!unlink_ids.empty()) UnlinkLater(unlink_ids);
      co_return Status();
    }
    Status st = co_await AwaitCallback([store, &batch](std::function<void(Status)> done) {
      store->Commit(std::move(batch), std::move(done));
    });
    if (!st.ok()) co_return st;
    if (!unlink_ids.empty()) UnlinkLater(unlink_ids);
    co_return Status();
  }

  static Status CheckDataIds(const DriveTxn& txn) {
    auto ok = [](const std::string& id) { return id.empty() || ValidDataId(id); };
    auto segments_ok = [&](const meta::VersionRecord& r) {
      return std::all_of(r.segments.begin(), r.segments.end(),
                         [&](const meta::Segment& seg) { return ok(seg.data_id); });
    };
    bool good = true;
    for (const auto& op : txn.put_versions) good = good && segments_ok(op.record);
    for (const auto& op : txn.delete_versions) good = good && segments_ok(op.record);
    for (const auto& op : txn.put_parts) good = good && ok(op.record.segment.data_id);
    for (const auto& op : txn.delete_parts) good = good && ok(op.data_id);
    for (const auto& op : txn.set_locations)
      for (const auto& id : op.expect_data_ids) good = good && ok(id);
    if (!good) return Status(Code::kInvalidArgument, "bad data id in transaction");
    return Status();
  }

  // The records are gone: the files are garbage now. Unlink off the I/O
  // thread and do not wait; a crash before this leaves orphans for the sweep.
  // The task holds paths, not the drive, so it may outlive the drive.
  void UnlinkLater(const std::vector<std::string>& ids) {
    std::vector<std::string> paths;
    paths.reserve(ids.size());
    for (const auto& id : ids) paths.push_back(ShardPath(id));
    asio::post(blocking_, [paths = std::move(paths)] {
      for (const auto& path : paths) ::unlink(path.c_str());
    });
  }

  Task<Result<meta::BucketRecord>> GetBucket(std::string name) override {
    co_return store_->GetBucket(name);
  }
  Task<Result<std::vector<meta::BucketRecord>>> ListBuckets() override {
    co_return store_->ListBuckets();
  }
  Task<Result<bool>> BucketHasAnything(std::string bucket) override {
    co_return store_->BucketHasAnything(bucket);
  }
  Task<Result<std::vector<meta::ConfigRecord>>> ListConfig(std::string kind) override {
    co_return store_->ListConfig(kind);
  }
  Task<Result<std::vector<meta::VersionRecord>>> GetVersions(std::string bucket, std::string key,
                                                             size_t limit) override {
    co_return store_->GetVersions(bucket, key, limit);
  }
  Task<Result<std::vector<meta::VersionRecord>>> GetNullVersions(std::string bucket,
                                                                 std::string key) override {
    co_return store_->GetNullVersions(bucket, key);
  }
  Task<Result<meta::VersionRecord>> GetVersion(std::string bucket, std::string key,
                                               std::string version_id) override {
    co_return store_->GetVersion(bucket, key, version_id);
  }
  Task<Result<std::string>> GetInline(std::string bucket, std::string key,
                                      std::string version_id) override {
    co_return store_->GetInline(bucket, key, version_id);
  }
  Task<Result<ListPage>> ListLatest(ListRequest req) override { co_return ListLatestSync(req); }
  Task<Result<ListPage>> ListVersions(ListRequest req) override {
    co_return ListVersionsSync(req);
  }
  Task<Result<meta::UploadRecord>> GetUpload(std::string bucket, std::string key,
                                             std::string upload_id) override {
    co_return store_->GetUpload(bucket, key, upload_id);
  }
  Task<Result<std::vector<meta::PartRecord>>> ListParts(std::string upload_id) override {
    co_return store_->ListParts(upload_id);
  }
  Task<Result<std::vector<meta::UploadRecord>>> ListUploads(std::string bucket, std::string prefix,
                                                            std::string key_marker,
                                                            std::string upload_id_marker,
                                                            size_t limit) override {
    co_return store_->ListUploads(bucket, prefix, key_marker, upload_id_marker, limit);
  }

  Result<DriveUsage> Usage() const override {
    struct statvfs sv;
    if (::statvfs(root_.c_str(), &sv) != 0) return Errno("statvfs", errno);
    return DriveUsage{uint64_t(sv.f_blocks) * sv.f_frsize, uint64_t(sv.f_bavail) * sv.f_frsize};
  }

  Result<IndexStats> IndexStatistics() const override {
    IndexStats out;
    auto commits = store_->commit_stats();
    out.commit_batches = commits.batches;
    out.commit_groups = commits.writes;
    auto db = store_->db_stats();
    out.stall_micros = db.stall_micros;
    out.compaction_read_bytes = db.compaction_read_bytes;
    out.compaction_write_bytes = db.compaction_write_bytes;
    out.pending_compaction_bytes = db.pending_compaction_bytes;
    out.sst_bytes = db.sst_bytes;
    out.memtable_bytes = db.memtable_bytes;
    out.block_cache_bytes = db.block_cache_bytes;
    out.estimated_keys = db.estimated_keys;
    return out;
  }

  std::string ShardPath(std::string_view data_id) const {
    std::string p = data_dir_;
    p += '/';
    p += FanoutDir(data_id);
    p += '/';
    p += data_id;
    return p;
  }
  int DirFd(std::string_view data_id) const {
    return dir_fds_[std::stoi(std::string(FanoutDir(data_id)), nullptr, 16)];
  }
  BlockingExecutor blocking() const { return blocking_; }

 private:
  Result<ListPage> ListLatestSync(const ListRequest& req) {
    ListPage page;
    auto cursor = store_->NewLatestCursor(req.bucket);
    const std::string& prefix = req.prefix;
    cursor->Seek(std::max(prefix, req.start_after));
    while (cursor->Valid()) {
      std::string_view key = cursor->key();
      if (key.substr(0, prefix.size()) != prefix) break;
      if (key <= req.start_after || cursor->record().delete_marker) {
        cursor->Next();
        continue;
      }
      // Full only when something listable follows (not just delete markers).
      if (page.entries.size() >= req.max_entries) {
        page.truncated = true;
        break;
      }
      if (!req.delimiter.empty()) {
        size_t pos = key.find(req.delimiter, prefix.size());
        if (pos != std::string_view::npos) {
          std::string common(key.substr(0, pos + req.delimiter.size()));
          if (common > req.start_after) page.entries.push_back(ListEntry{common, true, {}});
          std::string next = PrefixSuccessor(common);
          if (next.empty()) break;
          cursor->Seek(next);
          continue;
        }
      }
      page.entries.push_back(ListEntry{std::string(key), false, cursor->record()});
      cursor->Next();
    }
    STRATA_TRY(cursor->status());
    return page;
  }

  Result<ListPage> ListVersionsSync(const ListRequest& req) {
    ListPage page;
    auto cursor = store_->NewVersionCursor(req.bucket);
    const std::string& prefix = req.prefix;
    const bool resume = !req.start_after.empty();
    if (resume && !req.start_version.empty() && req.start_after >= prefix) {
      cursor->SeekAfter(req.start_after, req.start_version);
    } else {
      cursor->Seek(std::max(prefix, req.start_after));
    }
    while (cursor->Valid()) {
      std::string_view key = cursor->key();
      if (key.substr(0, prefix.size()) != prefix) break;
      // Without a version, every version of start_after is behind us.
      if (resume && (key < req.start_after ||
                     (key == req.start_after && req.start_version.empty()))) {
        cursor->Next();
        continue;
      }
      if (page.entries.size() >= req.max_entries) {
        page.truncated = true;
        break;
      }
      if (!req.delimiter.empty()) {
        size_t pos = key.find(req.delimiter, prefix.size());
        if (pos != std::string_view::npos) {
          std::string common(key.substr(0, pos + req.delimiter.size()));
          if (common > req.start_after) page.entries.push_back(ListEntry{common, true, {}});
          cursor->SkipPrefix(common);
          continue;
        }
      }
      page.entries.push_back(ListEntry{std::string(key), false, cursor->record()});
      cursor->Next();
    }
    STRATA_TRY(cursor->status());
    return page;
  }

  std::string name_;
  std::string data_dir_;
  std::string root_;
  BlockingExecutor blocking_;
  std::unique_ptr<meta::MetaStore> store_;
  std::array<int, kFanout> dir_fds_;
};

Task<Status> LocalShardWriter::Commit() {
  int fd = file_.native_handle();
  std::string path = drive_->ShardPath(data_id_);
  int dir_fd = drive_->DirFd(data_id_);
  auto durable = [fd, path, dir_fd]() -> Status {
    if (::fdatasync(fd) != 0) return Errno("fdatasync shard", errno);
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno != EEXIST) return Errno("link shard", errno);
      // Healing rewrites a corrupt or short shard under its own id: link the
      // new file beside it, then rename over it, so a reader sees the old
      // file or the new one, never neither. (New writes never get here: data
      // ids are unique.) A crash in between leaves the side name, which has
      // no reference and goes in the start-up sweep.
      static std::atomic<uint64_t> counter{0};
      std::string side = path + ".heal" + std::to_string(::getpid()) + "-" +
                         std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, side.c_str(), AT_SYMLINK_FOLLOW) != 0) {
        return Errno("link shard", errno);
      }
      if (::rename(side.c_str(), path.c_str()) != 0) {
        Status st = Errno("replace shard", errno);
        ::unlink(side.c_str());
        return st;
      }
    }
    if (::fsync(dir_fd) != 0) return Errno("fsync shard dir", errno);
    return Status();
  };
  Status st = co_await RunBlocking<Status>(drive_->blocking(), std::move(durable));
  co_return st;
}

std::string HexByte(int i) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[i >> 4], kHex[i & 15]};
}

}  // namespace

Result<std::unique_ptr<Drive>> OpenLocalDrive(const LocalDriveOptions& options,
                                              SweepStats* sweep_stats) {
  std::error_code ec;
  if (!fs::is_directory(options.root, ec)) {
    return Status(Code::kUnavailable, "drive folder missing: " + options.root);
  }
  std::string data_dir = options.root + "/data";
  std::array<int, kFanout> dir_fds;
  dir_fds.fill(-1);
  auto close_all = [&] {
    for (int fd : dir_fds) {
      if (fd >= 0) ::close(fd);
    }
  };
  for (int i = 0; i < kFanout; ++i) {
    std::string dir = data_dir + "/" + HexByte(i);
    fs::create_directories(dir, ec);
    if (ec) {
      close_all();
      return Status(Code::kIoError, "create " + dir + ": " + ec.message());
    }
    dir_fds[i] = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fds[i] < 0) {
      Status st = Errno("open " + dir, errno);
      close_all();
      return st;
    }
  }
  meta::MetaStore::Options mo;
  mo.path = options.root + "/meta";
  mo.block_cache_bytes = options.block_cache_bytes;
  mo.clock = options.clock;
  auto store = meta::MetaStore::Open(mo);
  if (!store.ok()) {
    close_all();
    return store.status();
  }
  // Sweep: shard files that no committed record references are leftovers of
  // writes that crashed between linking and committing.
  SweepStats stats;
  for (int i = 0; i < kFanout; ++i) {
    std::string dir = data_dir + "/" + HexByte(i);
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string id = entry.path().filename().string();
      if (!(*store)->HasDataRef(id) && fs::remove(entry.path(), ec)) {
        ++stats.orphan_files_removed;
      }
    }
  }
  if (sweep_stats) *sweep_stats = stats;
  return std::unique_ptr<Drive>(new LocalDrive(options, std::move(*store), dir_fds));
}

}  // namespace strata::server
