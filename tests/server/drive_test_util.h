// Test scaffolding for the server/ module: run drive coroutines to completion
// on the test thread, and own a real LocalDrive in a fresh temporary folder.
//
// TempDir: a mkdtemp folder, removed (recursively) at destruction.
// RunOn: co_spawns a Task on an io_context (io_uring-backed, since the build
//   defines BOOST_ASIO_HAS_IO_URING) and runs the context until it is done.
// DriveFixture: one temporary folder holding `root/` (the drive) and room
//   beside it for files a hostile input must not reach; an io_context as the
//   drive's I/O thread and a ONE-thread pool as its blocking executor. One
//   thread makes the pool FIFO, so FlushBlocking() (a no-op posted and waited
//   for) proves that every unlink the drive queued before it has run: tests
//   wait for deferred work without sleeping.
//
// Plus small builders (MakeVersion, MakePart, PutVersionTxn, List...) shared
// by the local_drive*_test.cc files; all records live in bucket kBucket.
//
// Ownership: the fixture owns the folder, the context, the pool and the
// drive; the drive is destroyed only after the pool has drained (the drive's
// queued unlinks refer to it). Thread safety: one test thread.
#pragma once

#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/encoding.h"
#include "metadata/records.h"
#include "server/drive.h"
#include "server/local_drive.h"

namespace strata::server::testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "strata-server-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

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

// Every regular file under `dir`, as paths relative to it, sorted.
inline std::set<std::string> FilesUnder(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) out.insert(fs::relative(it->path(), dir).string());
  }
  return out;
}

// Every entry (file, folder, link) under `dir`, relative, sorted.
inline std::set<std::string> EntriesUnder(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    out.insert(fs::relative(it->path(), dir).string());
  }
  return out;
}

// A fresh 32-hex-digit data id, as the object layer makes them.
inline std::string NewDataId() { return HexEncode(meta::NewVersionId(Clock::Real().Now())); }

// <root>/data/<last two hex digits>/<id>: where a committed shard lives.
inline fs::path ShardFile(const fs::path& root, const std::string& data_id) {
  return root / "data" / data_id.substr(data_id.size() - 2) / data_id;
}

// A version record of `size` bytes whose shard is the file `data_id`
// (or inline when data_id is empty).
inline meta::VersionRecord MakeVersion(const std::string& data_id, uint64_t size = 0) {
  meta::VersionRecord r;
  r.version_id = meta::NewVersionId(Clock::Real().Now());
  r.mtime = Clock::Real().Now();
  r.size = size;
  r.etag = "0123456789abcdef0123456789abcdef";
  r.k = 4;
  r.m = 2;
  r.storage_class = "STANDARD";
  r.inline_data = data_id.empty();
  meta::Segment seg;
  seg.size = size;
  seg.data_id = data_id;
  seg.block_size = 1 << 20;
  r.segments.push_back(seg);
  return r;
}

inline meta::VersionRecord MakeDeleteMarker() {
  meta::VersionRecord r;
  r.version_id = meta::NewVersionId(Clock::Real().Now());
  r.mtime = Clock::Real().Now();
  r.delete_marker = true;
  return r;
}

inline constexpr const char* kBucket = "bkt";

inline std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed * 2654435761u + static_cast<uint32_t>(n));
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

inline void WriteFile(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline DriveTxn PutVersionTxn(const std::string& key, const meta::VersionRecord& record,
                              std::string inline_shard = {}) {
  DriveTxn txn;
  txn.put_versions.push_back({kBucket, key, record, std::move(inline_shard)});
  return txn;
}

inline DriveTxn DeleteVersionTxn(const std::string& key, const meta::VersionRecord& record) {
  DriveTxn txn;
  txn.delete_versions.push_back({kBucket, key, record});
  return txn;
}

inline meta::BucketRecord MakeBucket(const std::string& name) {
  meta::BucketRecord b;
  b.name = name;
  b.created = Clock::Real().Now();
  b.region = "us-east-1";
  b.versioning = "Enabled";
  b.config["tagging"] = "<Tagging/>";
  return b;
}

inline meta::UploadRecord MakeUpload(const std::string& key, const std::string& upload_id) {
  meta::UploadRecord u;
  u.upload_id = upload_id;
  u.bucket = kBucket;
  u.key = key;
  u.initiated = Clock::Real().Now();
  u.storage_class = "STANDARD";
  u.k = 4;
  u.m = 2;
  return u;
}

inline meta::PartRecord MakePart(uint32_t number, const std::string& data_id, uint64_t size) {
  meta::PartRecord p;
  p.part_number = number;
  p.mtime = Clock::Real().Now();
  p.shard_index = 3;
  p.segment.part_number = number;
  p.segment.size = size;
  p.segment.etag = "etag" + std::to_string(number);
  p.segment.data_id = data_id;
  p.segment.block_size = 1 << 20;
  return p;
}

inline std::vector<std::string> Keys(const ListPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.entries) out.push_back(e.is_prefix ? "P:" + e.key : e.key);
  return out;
}

inline ListRequest List(std::string prefix, std::string delimiter = {},
                        std::string start_after = {}, size_t max_entries = 1000) {
  ListRequest r;
  r.bucket = kBucket;
  r.prefix = std::move(prefix);
  r.delimiter = std::move(delimiter);
  r.start_after = std::move(start_after);
  r.max_entries = max_entries;
  return r;
}

class DriveFixture {
 public:
  DriveFixture() : root_(dir_.path() / "root") {
    REQUIRE(fs::create_directory(root_));
    Open();
  }
  ~DriveFixture() { Close(); }
  DriveFixture(const DriveFixture&) = delete;
  DriveFixture& operator=(const DriveFixture&) = delete;

  // (Re)opens the drive on the same root; REQUIREs success.
  Drive& Open(SweepStats* stats = nullptr) {
    Close();
    auto drive = OpenLocalDrive(Options(), stats);
    REQUIRE(drive.ok());
    drive_ = std::move(*drive);
    return *drive_;
  }
  // Waits for the drive's deferred work, then destroys it.
  void Close() {
    if (!drive_) return;
    FlushBlocking();
    drive_.reset();
  }

  LocalDriveOptions Options() {
    LocalDriveOptions options{"test/drive1", root_.string(), blocking_.get_executor()};
    options.block_cache_bytes = 1 << 20;
    return options;
  }

  // Returns once every task posted to the blocking pool before it has run.
  void FlushBlocking() {
    std::promise<void> done;
    auto future = done.get_future();
    boost::asio::post(blocking_, [&done] { done.set_value(); });
    future.wait();
  }

  template <typename T>
  T Run(Task<T> task) {
    return RunOn(io_, std::move(task));
  }

  // Hands the drive over without waiting for its deferred work.
  std::unique_ptr<Drive> Release() { return std::move(drive_); }

  Drive& drive() { return *drive_; }
  boost::asio::thread_pool& blocking() { return blocking_; }
  // The folder that holds root/: hostile paths aim at it.
  const fs::path& outside() const { return dir_.path(); }
  const fs::path& root() const { return root_; }

  // Writes and commits one shard file; REQUIREs success.
  void WriteShard(const std::string& data_id, std::string_view bytes) {
    auto writer = Run(drive_->CreateShard(data_id));
    REQUIRE(writer.ok());
    REQUIRE(Run((*writer)->Append(AsBytes(bytes))).ok());
    REQUIRE(Run((*writer)->Commit()).ok());
  }

  // Reads up to `n` bytes at `offset`.
  Result<std::string> ReadShard(const std::string& data_id, uint64_t offset, size_t n) {
    std::string out(n, '\0');
    auto r = Run(drive_->ReadShard(data_id, offset,
                                   MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), n)));
    if (!r.ok()) return r.status();
    out.resize(*r);
    return out;
  }

  Status Apply(DriveTxn txn) { return Run(drive_->Apply(std::move(txn))); }

 private:
  TempDir dir_;
  fs::path root_;
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_{1};
  std::unique_ptr<Drive> drive_;
};

// Entries of the fixture's folder that are not inside the drive's root.
inline std::set<std::string> EntriesOutsideRoot(const DriveFixture& f) {
  std::set<std::string> out;
  for (const auto& e : EntriesUnder(f.outside())) {
    if (e != "root" && e.rfind("root/", 0) != 0) out.insert(e);
  }
  return out;
}

}  // namespace strata::server::testing
