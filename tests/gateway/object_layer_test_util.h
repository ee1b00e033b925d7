// Test scaffolding for the object layer over real drives.
//
// TestCluster builds, in a fresh scratch folder (see ScratchParent), one
// erasure set of six real LocalDrives (RocksDB index, shard files through
// io_uring), each wrapped in a FaultDrive, and an ObjectLayer over them
// (4 data + 2 parity). Coroutines run to completion on the test thread
// through Run(): the io_context is the drives' I/O thread, a small thread
// pool is their blocking executor.
// StringSource / StringSink are in-memory bodies; the source can fail at a
// chosen offset or call a hook there (to take drives away mid-write).
//
// Ownership: the cluster owns its folder (removed at destruction), the drives
// and the layer. Thread safety: one test thread; the drives' own threads stay
// inside the drives.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <latch>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>

#include "common/crypto.h"
#include "common/encoding.h"
#include "gateway/object_layer.h"
#include "server/local_drive.h"
#include "tests/gateway/fault_drive.h"

namespace strata::gw {

// Runs `task` on `io` until it completes; rethrows what escaped it.
template <typename T>
T RunOn(boost::asio::io_context& io, Task<T> task) {
  // co_spawn needs a default-constructible result; Result<T> is not.
  std::optional<T> out;
  std::exception_ptr error;
  auto wrapper = [](Task<T> t, std::optional<T>* slot) -> Task<void> {
    slot->emplace(co_await std::move(t));
  };
  boost::asio::co_spawn(io, wrapper(std::move(task), &out),
                        [&error](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  REQUIRE(out.has_value());
  return std::move(*out);
}

// Deterministic pseudo-random bytes: every size/seed gives different content.
inline std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed * 2654435761u + static_cast<uint32_t>(n));
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

inline std::string HexMd5Of(std::string_view data) { return HexEncode(Md5(data)); }

class StringSource final : public BodySource {
 public:
  // `max_read` caps each Read, to exercise short reads.
  explicit StringSource(std::string data,
                        size_t max_read = std::numeric_limits<size_t>::max())
      : data_(std::move(data)), max_read_(max_read) {}

  // Read fails with `status` once `offset` bytes have been handed out.
  void FailAt(uint64_t offset, Status status) {
    fail_at_ = offset;
    fail_status_ = std::move(status);
  }
  // `hook` runs once, as soon as at least `offset` bytes have been handed out.
  void OnOffset(uint64_t offset, std::function<void()> hook) {
    hook_at_ = offset;
    hook_ = std::move(hook);
  }
  uint64_t position() const { return pos_; }

  Task<Result<size_t>> Read(MutableByteSpan out) override {
    if (fail_at_ && pos_ >= *fail_at_) co_return fail_status_;
    size_t n = std::min({out.size(), data_.size() - pos_, max_read_});
    if (fail_at_) n = std::min<size_t>(n, *fail_at_ - pos_);
    std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    if (hook_ && pos_ >= hook_at_) std::exchange(hook_, nullptr)();
    co_return n;
  }

 private:
  std::string data_;
  size_t max_read_;
  size_t pos_ = 0;
  std::optional<uint64_t> fail_at_;
  Status fail_status_;
  uint64_t hook_at_ = 0;
  std::function<void()> hook_;
};

class StringSink final : public BodySink {
 public:
  // With `fail_after`, the write that would pass that many bytes fails.
  explicit StringSink(std::optional<uint64_t> fail_after = std::nullopt)
      : fail_after_(fail_after) {}

  Task<Status> Write(ByteSpan data) override {
    if (fail_after_ && data_.size() + data.size() > *fail_after_) {
      co_return Status(Code::kAborted, "client went away (injected)");
    }
    data_.append(AsChars(data));
    co_return Status();
  }
  const std::string& data() const { return data_; }

 private:
  std::optional<uint64_t> fail_after_;
  std::string data_;
};

// A FinishWrite as a handler would give it: checks the size, sets the ETag.
inline FinishWrite EtagOf(std::string expected) {
  return [expected = std::move(expected)](uint64_t size, meta::VersionRecord& record) {
    if (size != expected.size()) return Status(Code::kIncompleteBody, "size mismatch");
    record.etag = HexMd5Of(expected);
    return Status();
  };
}

class TestCluster {
 public:
  static constexpr int kK = 4, kM = 2, kN = kK + kM;
  static constexpr int kBlockingThreads = 4;
  static constexpr const char* kBucket = "bkt";

  // `pools` = 2 adds a pool "cold" (drives kN..2kN-1) that GLACIER maps to.
  explicit TestCluster(int pools = 1) {
    std::string pattern = (ScratchParent() / "strata-ol-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    ObjectLayerOptions options;
    for (int p = 0; p < pools; ++p) {
      ErasureSet set;
      set.k = kK;
      set.m = kM;
      for (int i = 0; i < kN; ++i) {
        const int index = p * kN + i;
        std::string dir = (root_ / ("drive" + std::to_string(index))).string();
        std::filesystem::create_directories(dir);
        server::LocalDriveOptions drive_options{"test/drive" + std::to_string(index), dir,
                                                blocking_.get_executor()};
        drive_options.block_cache_bytes = 1 << 20;
        auto drive = server::OpenLocalDrive(drive_options);
        REQUIRE(drive.ok());
        drives_.push_back(std::make_shared<FaultDrive>(std::shared_ptr<server::Drive>(
            std::move(*drive))));
        set.drives.push_back(drives_.back());
      }
      options.pools.push_back(Pool{p == 0 ? "hot" : "cold", {std::move(set)}});
    }
    if (pools > 1) options.storage_classes = {{"STANDARD", "hot"}, {"GLACIER", "cold"}};
    auto layer = ObjectLayer::Create(std::move(options));
    REQUIRE(layer.ok());
    layer_ = std::move(*layer);
    REQUIRE(Run(layer_->CreateBucket(kBucket, "us-east-1")).ok());
  }

  ~TestCluster() {
    layer_.reset();
    blocking_.join();  // unlinks queued by the drives refer to them
    drives_.clear();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // Where the drive folders go: $STRATA_TEST_DRIVE_DIR when set (to run on a
  // disk file system), else /dev/shm when present, else the temp directory.
  // On tmpfs fdatasync costs nothing, which keeps the suite fast; O_TMPFILE,
  // linkat, io_uring and RocksDB run just the same there.
  static std::filesystem::path ScratchParent() {
    if (const char* dir = std::getenv("STRATA_TEST_DRIVE_DIR"); dir && *dir) return dir;
    std::error_code ec;
    // Containers often give /dev/shm 64 MiB: use it only when roomy.
    auto space = std::filesystem::space("/dev/shm", ec);
    if (!ec && space.available >= (uint64_t{1} << 30)) return "/dev/shm";
    return std::filesystem::temp_directory_path();
  }

  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  ObjectLayer& layer() { return *layer_; }
  FaultDrive& drive(int i) { return *drives_.at(i); }
  const std::filesystem::path& root() const { return root_; }

  template <typename T>
  T Run(Task<T> task) {
    return RunOn(io_, std::move(task));
  }

  void ClearFaults() {
    for (auto& d : drives_) d->faults().Clear();
  }
  void SetOffline(const std::vector<int>& which, bool offline) {
    for (int i : which) drive(i).faults().offline = offline;
  }

  Result<meta::VersionRecord> Put(const std::string& key, const std::string& data,
                                  bool announce_size = true) {
    StringSource body(data);
    return PutFrom(key, body, data, announce_size ? std::optional<uint64_t>(data.size())
                                                  : std::nullopt);
  }
  Result<meta::VersionRecord> PutFrom(const std::string& key, BodySource& body,
                                      const std::string& expected,
                                      std::optional<uint64_t> announced) {
    PutObjectArgs args;
    args.bucket = kBucket;
    args.key = key;
    args.size = announced;
    args.headers = {{"content-type", "application/octet-stream"}};
    return Run(layer_->PutObject(std::move(args), body, EtagOf(expected)));
  }

  Result<meta::VersionRecord> Head(const std::string& key) {
    return Run(layer_->HeadObject(kBucket, key));
  }

  // Bytes [offset, offset + length) of `record`, or the read's error.
  Result<std::string> Read(const std::string& key, const meta::VersionRecord& record,
                           uint64_t offset, uint64_t length) {
    StringSink sink;
    Status st = Run(layer_->ReadObject(kBucket, key, record, offset, length, sink));
    if (!st.ok()) return st;
    return sink.data();
  }

  // HEAD, then the whole object.
  Result<std::string> Get(const std::string& key) {
    auto head = Head(key);
    if (!head.ok()) return head.status();
    return Read(key, *head, 0, head->size);
  }

  Result<ListResult> List(ListArgs args) {
    args.bucket = kBucket;
    return Run(layer_->ListObjects(std::move(args)));
  }

  // What drive `i` really stores for the key (bypassing the fault knobs).
  std::vector<meta::VersionRecord> Versions(int i, const std::string& key) {
    auto r = Run(drive(i).inner().GetVersions(kBucket, key));
    REQUIRE(r.ok());
    return std::move(*r);
  }

  // Drives that hold a data shard (index < k) of the key's newest version.
  std::vector<int> DataShardDrives(const std::string& key) {
    std::vector<int> out;
    for (int i = 0; i < kN; ++i) {
      auto v = Versions(i, key);
      if (!v.empty() && v.front().shard_index < kK) out.push_back(i);
    }
    return out;
  }
  std::vector<int> ParityShardDrives(const std::string& key) {
    std::vector<int> out;
    for (int i = 0; i < kN; ++i) {
      auto v = Versions(i, key);
      if (!v.empty() && v.front().shard_index >= kK) out.push_back(i);
    }
    return out;
  }

  // Waits until every task queued on the blocking pool so far has run (the
  // drives unlink shard files there without waiting): every pool thread is
  // parked at one latch at the same moment, so nothing older is still running.
  void DrainBlocking() {
    std::latch all_parked(kBlockingThreads);
    std::latch done(kBlockingThreads);
    for (int i = 0; i < kBlockingThreads; ++i) {
      boost::asio::post(blocking_, [&] {
        all_parked.arrive_and_wait();
        done.count_down();
      });
    }
    done.wait();
  }

  // Shard files on drive `i`, by data id, with their sizes.
  std::map<std::string, uint64_t> ShardFiles(int i) {
    DrainBlocking();
    std::map<std::string, uint64_t> out;
    auto data = root_ / ("drive" + std::to_string(i)) / "data";
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data)) {
      if (entry.is_regular_file()) out[entry.path().filename().string()] = entry.file_size();
    }
    return out;
  }
  // Shard files of one pool's drives (0 = hot, 1 = cold): data id -> drives.
  std::map<std::string, int> PoolShardFiles(int pool) {
    std::map<std::string, int> out;
    for (int i = pool * kN; i < (pool + 1) * kN; ++i) {
      for (const auto& [id, size] : ShardFiles(i)) out[id]++;
    }
    return out;
  }
  // Every shard file of every drive: data id -> number of drives holding it.
  std::map<std::string, int> AllShardFiles() {
    std::map<std::string, int> out;
    for (int i = 0; i < kN; ++i) {
      for (const auto& [id, size] : ShardFiles(i)) out[id]++;
    }
    return out;
  }

 private:
  std::filesystem::path root_;
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_{kBlockingThreads};
  std::vector<std::shared_ptr<FaultDrive>> drives_;
  std::unique_ptr<ObjectLayer> layer_;
};

}  // namespace strata::gw
