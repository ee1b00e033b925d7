// Contract tests of Drive over the real LocalDrive (RocksDB on real files,
// shard files through Asio's io_uring support, a fresh temporary folder per
// test): shard files, hostile data ids, reopen and the open-time sweep.
// local_drive_index_test.cc covers the index, local_drive_list_test.cc
// ListLatest.

#include <algorithm>
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "server/parallel.h"
#include "tests/server/drive_test_util.h"

namespace strata::server {
namespace {

using namespace testing;  // NOLINT: test helpers only
namespace fs = std::filesystem;

// ---------------------------------------------------------------- shards

TEST_CASE("LocalDrive: a committed shard reads back at every offset", "[local_drive][shard]") {
  DriveFixture f;
  CHECK(f.drive().name() == "test/drive1");
  CHECK(f.drive().online());

  const std::string data = Bytes(200000, 1);
  const std::string id = NewDataId();
  auto writer = f.Run(f.drive().CreateShard(id));
  REQUIRE(writer.ok());
  // Uneven appends: one byte, a 64 KiB block, the rest.
  REQUIRE(f.Run((*writer)->Append(AsBytes(std::string_view(data).substr(0, 1)))).ok());
  REQUIRE(f.Run((*writer)->Append(AsBytes(std::string_view(data).substr(1, 65536)))).ok());
  REQUIRE(f.Run((*writer)->Append(AsBytes(std::string_view(data).substr(65537)))).ok());
  REQUIRE(f.Run((*writer)->Commit()).ok());
  writer->reset();

  CHECK(fs::file_size(ShardFile(f.root(), id)) == data.size());
  CHECK(f.ReadShard(id, 0, data.size()).value() == data);
  CHECK(f.ReadShard(id, 12345, 1000).value() == data.substr(12345, 1000));
  CHECK(f.ReadShard(id, data.size() - 1, 1).value() == data.substr(data.size() - 1));

  SECTION("a read across EOF is short") {
    auto r = f.ReadShard(id, data.size() - 10, 100);
    REQUIRE(r.ok());
    CHECK(*r == data.substr(data.size() - 10));
  }
  SECTION("a read at or past EOF returns zero bytes, not an error") {
    CHECK(f.ReadShard(id, data.size(), 100).value().empty());
    CHECK(f.ReadShard(id, data.size() + 4096, 100).value().empty());
    CHECK(f.ReadShard(id, uint64_t{1} << 62, 100).value().empty());
  }
  SECTION("an empty buffer reads nothing") { CHECK(f.ReadShard(id, 7, 0).value().empty()); }
}

TEST_CASE("LocalDrive: an empty shard commits and reads back empty", "[local_drive][shard]") {
  DriveFixture f;
  const std::string id = NewDataId();
  auto writer = f.Run(f.drive().CreateShard(id));
  REQUIRE(writer.ok());
  REQUIRE(f.Run((*writer)->Commit()).ok());
  CHECK(fs::exists(ShardFile(f.root(), id)));
  CHECK(f.ReadShard(id, 0, 16).value().empty());
}

TEST_CASE("LocalDrive: an uncommitted writer leaves no file behind", "[local_drive][shard]") {
  DriveFixture f;
  const std::string id = NewDataId();
  {
    auto writer = f.Run(f.drive().CreateShard(id));
    REQUIRE(writer.ok());
    const std::string data = Bytes(100000, 2);
    REQUIRE(f.Run((*writer)->Append(AsBytes(data))).ok());
    // Written but not committed: not visible under its name, nor any other.
    CHECK(FilesUnder(f.root() / "data").empty());
    CHECK_FALSE(f.ReadShard(id, 0, 10).ok());
  }
  f.FlushBlocking();
  CHECK(FilesUnder(f.root() / "data").empty());
  CHECK_FALSE(f.ReadShard(id, 0, 10).ok());
  // A later writer of the same id is not disturbed by the abandoned one.
  f.WriteShard(id, "second");
  CHECK(f.ReadShard(id, 0, 100).value() == "second");
  CHECK(FilesUnder(f.root() / "data").size() == 1);
}

TEST_CASE("LocalDrive: committing over an existing data id replaces it whole (healing)",
          "[local_drive][shard]") {
  DriveFixture f;
  const std::string id = NewDataId();
  f.WriteShard(id, "first");
  auto writer = f.Run(f.drive().CreateShard(id));
  REQUIRE(writer.ok());
  REQUIRE(f.Run((*writer)->Append(AsBytes("second, longer"))).ok());
  // Until the commit, readers see the old file.
  CHECK(f.ReadShard(id, 0, 100).value() == "first");
  REQUIRE(f.Run((*writer)->Commit()).ok());
  writer->reset();
  CHECK(f.ReadShard(id, 0, 100).value() == "second, longer");
  // No side file is left behind.
  CHECK(FilesUnder(f.root() / "data").size() == 1);
}

TEST_CASE("LocalDrive: reading an unknown shard fails cleanly", "[local_drive][shard]") {
  DriveFixture f;
  auto r = f.ReadShard(NewDataId(), 0, 100);
  REQUIRE_FALSE(r.ok());
  CHECK((r.status().code() == Code::kNotFound || r.status().code() == Code::kIoError));
  // Messages may reach clients: no local paths in them.
  CHECK(std::string(r.status().message()).find(f.root().string()) == std::string::npos);
}

TEST_CASE("LocalDrive: reading an unknown shard says kNotFound", "[local_drive][shard]") {
  // A missing shard is a lost shard to heal, not a failing disk.
  DriveFixture f;
  auto r = f.ReadShard(NewDataId(), 0, 100);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kNotFound);
}

TEST_CASE("LocalDrive: hostile data ids are refused and reach nothing outside the root",
          "[local_drive][shard][hostile]") {
  DriveFixture f;
  // Targets a path traversal would reach.
  WriteFile(f.outside() / "secret" / "ab", "top secret");
  WriteFile(f.root() / "data" / "secret", "not a shard");
  const std::set<std::string> outside_before = EntriesOutsideRoot(f);
  const std::vector<std::string> ids = {
      "",
      "a",
      "ab/../../cd",
      "../x",
      "..",
      "../ab",
      "../../../secret/ab",
      "../secret",
      "a/b",
      "/etc/passwd",
      "/tmp/abcd",
      std::string(65, 'a'),
      std::string(4096, 'a'),
      std::string(1 << 20, '0'),
      "not-hex-at-all",
      "zz",
      "0g",
      "ABCDEF0123",
      "abc def",
      std::string("ab\0cd", 5),
      std::string("\xff\xfe", 2),
      "%2e%2e%2fab",
      "ab\n",
  };
  for (const auto& id : ids) {
    CAPTURE(id.size(), id.substr(0, 40));
    auto writer = f.Run(f.drive().CreateShard(id));
    if (!writer.ok()) {
      CHECK(writer.status().code() == Code::kInvalidArgument);
    } else {
      // Accepted: then it must behave as an ordinary shard inside data/.
      REQUIRE(f.Run((*writer)->Append(AsBytes("payload"))).ok());
      Status st = f.Run((*writer)->Commit());
      INFO(st.ToString());
    }
    auto read = f.ReadShard(id, 0, 100);
    if (read.ok()) CHECK(*read != "top secret");
    if (read.ok()) CHECK(*read != "not a shard");
    if (!read.ok()) CHECK(read.status().code() == Code::kInvalidArgument);
  }
  f.FlushBlocking();
  CHECK(EntriesOutsideRoot(f) == outside_before);
  CHECK(ReadFile(f.outside() / "secret" / "ab") == "top secret");
  // Nothing but the planted file landed in data/ (no shard named after a
  // hostile id, no folder made for one).
  CHECK(FilesUnder(f.root() / "data") == std::set<std::string>{"secret"});
  for (const auto& e : fs::directory_iterator(f.root() / "data")) {
    std::string name = e.path().filename().string();
    if (name == "secret") continue;
    CHECK(name.size() == 2);
    CHECK(e.is_directory());
  }
}

TEST_CASE("LocalDrive: remove_shards with hostile ids is harmless",
          "[local_drive][shard][hostile]") {
  DriveFixture f;
  WriteFile(f.outside() / "victim" / "ab", "keep me");
  DriveTxn txn;
  txn.remove_shards = {"../../../victim/ab", "", "..", "/etc/passwd", std::string(300, 'f')};
  REQUIRE(f.Apply(std::move(txn)).ok());
  f.FlushBlocking();
  CHECK(ReadFile(f.outside() / "victim" / "ab") == "keep me");
}

TEST_CASE(
    "LocalDrive: hostile data ids inside version and part records delete nothing outside "
    "the root",
    "[local_drive][shard][hostile]") {
  // The drive validates data ids given to CreateShard/ReadShard/remove_shards
  // but not those inside records: DeleteVersion unlinks every segment's
  // data_id and DeletePart(keep_data=false) its data_id, joined to
  // <root>/data/<last two chars>/ as they are. "../../../victim/ab" then
  // resolves to <root>/../victim/ab. A remote node receives these txns off
  // the network, so the drive must refuse (or ignore) such ids itself.
  DriveFixture f;
  WriteFile(f.outside() / "victim" / "ab", "keep me");
  const std::string evil = "../../../victim/ab";
  Status st;
  SECTION("DeleteVersion of a version put with that id") {
    meta::VersionRecord v = MakeVersion(evil, 7);
    Status put = f.Apply(PutVersionTxn("k", v));
    if (put.ok()) st = f.Apply(DeleteVersionTxn("k", v));
  }
  SECTION("DeleteVersion naming a record that was never put") {
    st = f.Apply(DeleteVersionTxn("k", MakeVersion(evil, 7)));
  }
  SECTION("DeletePart with keep_data=false") {
    DriveTxn txn;
    txn.delete_parts.push_back({"upload1", 1, evil, /*keep_data=*/false});
    st = f.Apply(std::move(txn));
  }
  f.FlushBlocking();
  INFO("apply: " << st.ToString());
  CHECK(fs::exists(f.outside() / "victim" / "ab"));
}

TEST_CASE("LocalDrive: many shards written concurrently all read back", "[local_drive][shard]") {
  DriveFixture f;
  constexpr size_t kShards = 24;
  std::vector<std::string> ids(kShards), data(kShards);
  for (size_t i = 0; i < kShards; ++i) {
    ids[i] = NewDataId();
    data[i] = Bytes(1000 + i * 7919, static_cast<uint32_t>(i));
  }
  std::vector<Status> results(kShards);
  Drive* drive = &f.drive();
  auto body = [&](size_t i) -> Task<void> {
    auto w = co_await drive->CreateShard(ids[i]);
    if (!w.ok()) {
      results[i] = w.status();
      co_return;
    }
    for (size_t off = 0; off < data[i].size(); off += 4096) {
      size_t n = std::min<size_t>(4096, data[i].size() - off);
      Status st = co_await (*w)->Append(AsBytes(std::string_view(data[i]).substr(off, n)));
      if (!st.ok()) {
        results[i] = st;
        co_return;
      }
    }
    results[i] = co_await (*w)->Commit();
  };
  auto all = [&]() -> Task<bool> {
    co_await ParallelEach(kShards, body);
    co_return true;
  };
  REQUIRE(f.Run(all()));
  for (size_t i = 0; i < kShards; ++i) {
    CAPTURE(i);
    CHECK(results[i].ok());
    CHECK(f.ReadShard(ids[i], 0, data[i].size() + 1).value() == data[i]);
  }
  CHECK(FilesUnder(f.root() / "data").size() == kShards);
}

// ---------------------------------------------------------------- reopen and sweep

TEST_CASE("LocalDrive: everything committed survives a reopen", "[local_drive][durability]") {
  DriveFixture f;
  const std::string shard_id = NewDataId(), part_id = NewDataId();
  const std::string shard = Bytes(70000, 9);
  f.WriteShard(shard_id, shard);
  f.WriteShard(part_id, "part one");
  const meta::BucketRecord bucket = MakeBucket(kBucket);
  const meta::VersionRecord big = MakeVersion(shard_id, shard.size());
  const meta::VersionRecord small = MakeVersion("", 3);
  const meta::VersionRecord marker = MakeDeleteMarker();
  const meta::UploadRecord upload = MakeUpload("mp", "u1");
  const meta::PartRecord part = MakePart(1, part_id, 8);
  DriveTxn txn;
  txn.put_buckets.push_back({bucket});
  txn.put_versions.push_back({kBucket, "big", big, ""});
  txn.put_versions.push_back({kBucket, "small", small, "abc"});
  txn.put_versions.push_back({kBucket, "gone", marker, ""});
  txn.put_uploads.push_back({upload});
  txn.put_parts.push_back({"u1", part});
  REQUIRE(f.Apply(std::move(txn)).ok());

  SweepStats stats;
  stats.orphan_files_removed = 99;
  f.Open(&stats);
  CHECK(stats.orphan_files_removed == 0);
  CHECK(f.Run(f.drive().GetBucket(kBucket)).value() == bucket);
  CHECK(f.Run(f.drive().GetVersions(kBucket, "big")).value() ==
        std::vector<meta::VersionRecord>{big});
  CHECK(f.Run(f.drive().GetVersions(kBucket, "gone")).value() ==
        std::vector<meta::VersionRecord>{marker});
  CHECK(f.Run(f.drive().GetInline(kBucket, "small", small.version_id)).value() == "abc");
  CHECK(f.ReadShard(shard_id, 0, shard.size()).value() == shard);
  CHECK(f.ReadShard(part_id, 0, 100).value() == "part one");
  CHECK(f.Run(f.drive().GetUpload(kBucket, "mp", "u1")).value() == upload);
  CHECK(f.Run(f.drive().ListParts("u1")).value() == std::vector<meta::PartRecord>{part});
  auto page = f.Run(f.drive().ListLatest(List("")));
  REQUIRE(page.ok());
  CHECK(Keys(*page) == std::vector<std::string>{"big", "small"});
  CHECK(f.Run(f.drive().BucketHasAnything(kBucket)).value());

  // And a second reopen changes nothing.
  f.Open(&stats);
  CHECK(stats.orphan_files_removed == 0);
  CHECK(FilesUnder(f.root() / "data").size() == 2);
}

TEST_CASE("LocalDrive: the open-time sweep removes unreferenced shard files only",
          "[local_drive][durability]") {
  DriveFixture f;
  const std::string version_id = NewDataId(), part_id = NewDataId(), loose_id = NewDataId();
  f.WriteShard(version_id, "version");
  f.WriteShard(part_id, "part");
  // Linked but never committed: the crash between link and commit.
  f.WriteShard(loose_id, "loose");
  DriveTxn txn;
  txn.put_versions.push_back({kBucket, "k", MakeVersion(version_id, 7), ""});
  txn.put_parts.push_back({"u1", MakePart(1, part_id, 4)});
  REQUIRE(f.Apply(std::move(txn)).ok());
  f.Close();

  // Files dropped in by hand: a valid-looking id, junk names, an empty file.
  const std::string planted = NewDataId();
  WriteFile(ShardFile(f.root(), planted), "planted");
  WriteFile(f.root() / "data" / "00" / "not-a-data-id", "junk");
  WriteFile(f.root() / "data" / "ff" / ".hidden", "");
  // Not shard folders: left alone.
  WriteFile(f.root() / "data" / "README", "outside the fan-out folders");
  WriteFile(f.outside() / "beside-root", "not the drive's");

  SweepStats stats;
  f.Open(&stats);
  CHECK(stats.orphan_files_removed == 4);
  CHECK_FALSE(fs::exists(ShardFile(f.root(), loose_id)));
  CHECK_FALSE(fs::exists(ShardFile(f.root(), planted)));
  CHECK_FALSE(fs::exists(f.root() / "data" / "00" / "not-a-data-id"));
  CHECK_FALSE(fs::exists(f.root() / "data" / "ff" / ".hidden"));
  CHECK(fs::exists(f.root() / "data" / "README"));
  CHECK(fs::exists(f.outside() / "beside-root"));
  CHECK(f.ReadShard(version_id, 0, 100).value() == "version");
  CHECK(f.ReadShard(part_id, 0, 100).value() == "part");

  f.Open(&stats);
  CHECK(stats.orphan_files_removed == 0);
}

TEST_CASE("LocalDrive: the sweep counts only what it removed",
          "[local_drive][durability]") {
  // A folder inside data/<xx>/ cannot be removed by fs::remove when it holds
  // a file; the sweep ignores the error but still counts it as removed.
  DriveFixture f;
  f.Close();
  WriteFile(f.root() / "data" / "ab" / "dir" / "inner", "x");
  SweepStats stats;
  f.Open(&stats);
  CHECK(stats.orphan_files_removed == (fs::exists(f.root() / "data" / "ab" / "dir") ? 0u : 1u));
}

TEST_CASE("LocalDrive: a missing root is an offline drive and is not created",
          "[local_drive][durability]") {
  TempDir dir;
  boost::asio::thread_pool pool(1);
  LocalDriveOptions options{"test/missing", "", pool.get_executor()};

  SECTION("missing folder") {
    options.root = (dir.path() / "no-such-drive").string();
    auto drive = OpenLocalDrive(options);
    REQUIRE_FALSE(drive.ok());
    CHECK(drive.status().code() == Code::kUnavailable);
    CHECK_FALSE(fs::exists(options.root));
  }
  SECTION("missing parent") {
    options.root = (dir.path() / "a" / "b" / "c").string();
    CHECK_FALSE(OpenLocalDrive(options).ok());
    CHECK_FALSE(fs::exists(dir.path() / "a"));
  }
  SECTION("a regular file, not a folder") {
    WriteFile(dir.path() / "file", "x");
    options.root = (dir.path() / "file").string();
    CHECK_FALSE(OpenLocalDrive(options).ok());
    CHECK(ReadFile(dir.path() / "file") == "x");
  }
  SECTION("empty root") {
    options.root = "";
    CHECK_FALSE(OpenLocalDrive(options).ok());
  }
  CHECK(EntriesUnder(dir.path()).size() <= 1);  // at most the planted file
}

TEST_CASE("LocalDrive: a drive opens twice in a row on the same root, not at once",
          "[local_drive][durability]") {
  DriveFixture f;
  // RocksDB holds a lock on meta/: a second drive on a live root must fail
  // rather than share the index.
  auto second = OpenLocalDrive(f.Options());
  CHECK_FALSE(second.ok());
  // The first one still works.
  f.WriteShard(NewDataId(), "still fine");
}

TEST_CASE("LocalDrive: destroying a drive while its unlinks are queued is safe",
          "[local_drive][durability]") {
  // Apply queues the unlinks of freed shard files on the blocking pool and
  // does not wait; the queued work must not refer to the drive (ASan catches
  // it in the sanitizer build), and the file must still go.
  DriveFixture f;
  const std::string id = NewDataId();
  f.WriteShard(id, "x");
  meta::VersionRecord v = MakeVersion(id, 1);
  REQUIRE(f.Apply(PutVersionTxn("k", v)).ok());
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  boost::asio::post(f.blocking(), [gate] { gate.wait(); });  // holds the pool's one thread
  REQUIRE(f.Apply(DeleteVersionTxn("k", v)).ok());
  f.Release().reset();
  release.set_value();
  f.FlushBlocking();
  CHECK_FALSE(std::filesystem::exists(ShardFile(f.root(), id)));
}

TEST_CASE("LocalDrive: Usage reports the filesystem's space", "[local_drive]") {
  DriveFixture f;
  auto usage = f.drive().Usage();
  REQUIRE(usage.ok());
  CHECK(usage->capacity_bytes > 0);
  CHECK(usage->free_bytes <= usage->capacity_bytes);
}

}  // namespace
}  // namespace strata::server
