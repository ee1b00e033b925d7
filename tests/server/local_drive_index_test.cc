// Contract tests of Drive's index over the real LocalDrive: version records,
// inline shards, deletes and the shard files they free, buckets, uploads and
// parts. See local_drive_test.cc for the setup.

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "tests/server/drive_test_util.h"

namespace strata::server {
namespace {

using namespace testing;  // NOLINT: test helpers only
namespace fs = std::filesystem;

// ---------------------------------------------------------------- versions

TEST_CASE("LocalDrive: versions come back newest first", "[local_drive][index]") {
  DriveFixture f;
  std::vector<meta::VersionRecord> v;
  for (int i = 0; i < 4; ++i) {
    v.push_back(MakeVersion(NewDataId(), 100 + i));
    v.back().headers = {{"content-type", "text/plain"}, {"x-amz-meta-i", std::to_string(i)}};
  }
  // Out of order, across two transactions, one holding two versions.
  REQUIRE(f.Apply(PutVersionTxn("dir/key", v[2])).ok());
  DriveTxn txn = PutVersionTxn("dir/key", v[0]);
  txn.put_versions.push_back({kBucket, "dir/key", v[3], ""});
  REQUIRE(f.Apply(std::move(txn)).ok());
  REQUIRE(f.Apply(PutVersionTxn("dir/key", v[1])).ok());
  // Another key and a key with the first one as prefix stay apart.
  REQUIRE(f.Apply(PutVersionTxn("dir/key2", MakeVersion(NewDataId(), 1))).ok());
  REQUIRE(f.Apply(PutVersionTxn("dir/ke", MakeVersion(NewDataId(), 1))).ok());

  auto got = f.Run(f.drive().GetVersions(kBucket, "dir/key"));
  REQUIRE(got.ok());
  REQUIRE(got->size() == 4);
  CHECK((*got)[0] == v[3]);
  CHECK((*got)[1] == v[2]);
  CHECK((*got)[2] == v[1]);
  CHECK((*got)[3] == v[0]);

  CHECK(f.Run(f.drive().GetVersions(kBucket, "dir/k")).value().empty());
  CHECK(f.Run(f.drive().GetVersions(kBucket, "")).value().empty());
  CHECK(f.Run(f.drive().GetVersions("other", "dir/key")).value().empty());
}

TEST_CASE("LocalDrive: inline shards are stored beside their record", "[local_drive][index]") {
  DriveFixture f;
  meta::VersionRecord v = MakeVersion("", 5);
  const std::string shard = Bytes(60000, 3);
  REQUIRE(f.Apply(PutVersionTxn("small", v, shard)).ok());
  CHECK(f.Run(f.drive().GetInline(kBucket, "small", v.version_id)).value() == shard);

  auto other =
      f.Run(f.drive().GetInline(kBucket, "small", meta::NewVersionId(Clock::Real().Now())));
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().code() == Code::kNotFound);
  CHECK(f.Run(f.drive().GetInline(kBucket, "absent", v.version_id)).status().code() ==
        Code::kNotFound);

  REQUIRE(f.Apply(DeleteVersionTxn("small", v)).ok());
  CHECK(f.Run(f.drive().GetInline(kBucket, "small", v.version_id)).status().code() ==
        Code::kNotFound);
  CHECK(f.Run(f.drive().GetVersions(kBucket, "small")).value().empty());
}

TEST_CASE("LocalDrive: DeleteVersion removes the record and then its shard file",
          "[local_drive][index]") {
  DriveFixture f;
  const std::string id1 = NewDataId(), id2 = NewDataId();
  f.WriteShard(id1, "one");
  f.WriteShard(id2, "two");
  meta::VersionRecord v1 = MakeVersion(id1, 3), v2 = MakeVersion(id2, 3);
  REQUIRE(f.Apply(PutVersionTxn("k", v1)).ok());
  REQUIRE(f.Apply(PutVersionTxn("k", v2)).ok());

  REQUIRE(f.Apply(DeleteVersionTxn("k", v1)).ok());
  f.FlushBlocking();
  auto left = f.Run(f.drive().GetVersions(kBucket, "k"));
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front() == v2);
  CHECK_FALSE(fs::exists(ShardFile(f.root(), id1)));
  CHECK_FALSE(f.ReadShard(id1, 0, 10).ok());
  // The other version's shard is untouched.
  CHECK(f.ReadShard(id2, 0, 10).value() == "two");

  REQUIRE(f.Apply(DeleteVersionTxn("k", v2)).ok());
  f.FlushBlocking();
  CHECK(f.Run(f.drive().GetVersions(kBucket, "k")).value().empty());
  CHECK(FilesUnder(f.root() / "data").empty());
}

TEST_CASE("LocalDrive: a version spanning several segments frees every file",
          "[local_drive][index]") {
  DriveFixture f;
  meta::VersionRecord v = MakeVersion(NewDataId(), 1);
  f.WriteShard(v.segments[0].data_id, "a");
  for (int i = 0; i < 3; ++i) {
    meta::Segment seg = v.segments[0];
    seg.part_number = static_cast<uint32_t>(i + 2);
    seg.data_id = NewDataId();
    f.WriteShard(seg.data_id, "b");
    v.segments.push_back(seg);
  }
  REQUIRE(f.Apply(PutVersionTxn("multi", v)).ok());
  CHECK(FilesUnder(f.root() / "data").size() == 4);
  REQUIRE(f.Apply(DeleteVersionTxn("multi", v)).ok());
  f.FlushBlocking();
  CHECK(FilesUnder(f.root() / "data").empty());
}

TEST_CASE("LocalDrive: remove_shards drops unreferenced shards and keeps referenced ones",
          "[local_drive][index]") {
  DriveFixture f;
  const std::string orphan = NewDataId(), used = NewDataId();
  f.WriteShard(orphan, "orphan");
  f.WriteShard(used, "used");
  REQUIRE(f.Apply(PutVersionTxn("k", MakeVersion(used, 4))).ok());
  DriveTxn txn;
  txn.remove_shards = {orphan, used, NewDataId() /* never written */};
  REQUIRE(f.Apply(std::move(txn)).ok());
  f.FlushBlocking();
  CHECK_FALSE(fs::exists(ShardFile(f.root(), orphan)));
  CHECK(f.ReadShard(used, 0, 10).value() == "used");
}

TEST_CASE("LocalDrive: names holding NUL are refused without writing anything",
          "[local_drive][index][hostile]") {
  DriveFixture f;
  const std::string nul_key("a\0b", 3), nul_bucket("b\0k", 3);
  meta::VersionRecord good = MakeVersion("", 1);
  DriveTxn txn = PutVersionTxn("fine", good, "x");
  txn.put_versions.push_back({kBucket, nul_key, MakeVersion("", 1), "y"});
  Status st = f.Apply(std::move(txn));
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalidArgument);
  // Atomic: the good half of the refused txn did not land either.
  CHECK(f.Run(f.drive().GetVersions(kBucket, "fine")).value().empty());

  DriveTxn bucket_txn;
  bucket_txn.put_buckets.push_back({MakeBucket(nul_bucket)});
  CHECK(f.Apply(std::move(bucket_txn)).code() == Code::kInvalidArgument);
  CHECK(f.Run(f.drive().ListBuckets()).value().empty());

  CHECK(f.Run(f.drive().GetVersions(kBucket, nul_key)).status().code() == Code::kInvalidArgument);
  CHECK(f.Run(f.drive().GetVersions(nul_bucket, "k")).status().code() == Code::kInvalidArgument);
  ListRequest req = List("");
  req.bucket = nul_bucket;
  auto page = f.Run(f.drive().ListLatest(req));
  CHECK((!page.ok() || page->entries.empty()));
}

// ---------------------------------------------------------------- buckets

TEST_CASE("LocalDrive: buckets are stored, listed by name and deleted", "[local_drive][index]") {
  DriveFixture f;
  DriveTxn txn;
  std::map<std::string, meta::BucketRecord> made;
  for (const char* name : {"zeta", "alpha", "mid", "alpha-2"}) {
    made[name] = MakeBucket(name);
    txn.put_buckets.push_back({made[name]});
  }
  REQUIRE(f.Apply(std::move(txn)).ok());

  auto all = f.Run(f.drive().ListBuckets());
  REQUIRE(all.ok());
  std::vector<std::string> names;
  for (const auto& b : *all) {
    names.push_back(b.name);
    CHECK(b == made[b.name]);
  }
  CHECK(names == std::vector<std::string>{"alpha", "alpha-2", "mid", "zeta"});

  auto mid = f.Run(f.drive().GetBucket("mid"));
  REQUIRE(mid.ok());
  CHECK(*mid == made["mid"]);

  auto missing = f.Run(f.drive().GetBucket("alph"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kNoSuchBucket);

  // Rewriting a bucket replaces its record.
  meta::BucketRecord changed = *mid;
  changed.versioning = "Suspended";
  DriveTxn update;
  update.put_buckets.push_back({changed});
  REQUIRE(f.Apply(std::move(update)).ok());
  CHECK(f.Run(f.drive().GetBucket("mid")).value() == changed);

  DriveTxn del;
  del.delete_buckets.push_back({"mid"});
  del.delete_buckets.push_back({"never-existed"});
  REQUIRE(f.Apply(std::move(del)).ok());
  CHECK(f.Run(f.drive().GetBucket("mid")).status().code() == Code::kNoSuchBucket);
  CHECK(f.Run(f.drive().ListBuckets()).value().size() == 3);
}

TEST_CASE("LocalDrive: BucketHasAnything sees versions, delete markers and uploads",
          "[local_drive][index]") {
  DriveFixture f;
  DriveTxn txn;
  txn.put_buckets.push_back({MakeBucket(kBucket)});
  txn.put_buckets.push_back({MakeBucket("bkt2")});
  REQUIRE(f.Apply(std::move(txn)).ok());
  CHECK_FALSE(f.Run(f.drive().BucketHasAnything(kBucket)).value());

  meta::VersionRecord v = MakeVersion("", 1);
  REQUIRE(f.Apply(PutVersionTxn("k", v, "x")).ok());
  CHECK(f.Run(f.drive().BucketHasAnything(kBucket)).value());
  // A neighbour whose name extends this one's sees nothing of it.
  CHECK_FALSE(f.Run(f.drive().BucketHasAnything("bkt2")).value());
  CHECK_FALSE(f.Run(f.drive().BucketHasAnything("bk")).value());

  REQUIRE(f.Apply(DeleteVersionTxn("k", v)).ok());
  CHECK_FALSE(f.Run(f.drive().BucketHasAnything(kBucket)).value());

  meta::VersionRecord marker = MakeDeleteMarker();
  REQUIRE(f.Apply(PutVersionTxn("gone", marker)).ok());
  CHECK(f.Run(f.drive().BucketHasAnything(kBucket)).value());
  REQUIRE(f.Apply(DeleteVersionTxn("gone", marker)).ok());
  CHECK_FALSE(f.Run(f.drive().BucketHasAnything(kBucket)).value());

  DriveTxn up;
  up.put_uploads.push_back({MakeUpload("k", "upload-1")});
  REQUIRE(f.Apply(std::move(up)).ok());
  CHECK(f.Run(f.drive().BucketHasAnything(kBucket)).value());
  DriveTxn abort;
  abort.delete_uploads.push_back({kBucket, "k", "upload-1"});
  REQUIRE(f.Apply(std::move(abort)).ok());
  CHECK_FALSE(f.Run(f.drive().BucketHasAnything(kBucket)).value());
}

// ---------------------------------------------------------------- uploads and parts

TEST_CASE("LocalDrive: uploads are listed in (key, upload id) order after the markers",
          "[local_drive][index][multipart]") {
  DriveFixture f;
  DriveTxn txn;
  // (key, upload id) pairs, inserted out of order.
  const std::vector<std::pair<std::string, std::string>> uploads = {
      {"photos/b", "u2"}, {"a", "u9"}, {"photos/b", "u1"}, {"photos/a", "u5"}, {"z", "u0"}};
  std::map<std::string, meta::UploadRecord> made;
  for (const auto& [key, id] : uploads) {
    made[id] = MakeUpload(key, id);
    made[id].headers = {{"content-type", "video/mp4"}};
    made[id].checksum_algorithm = "CRC32C";
    txn.put_uploads.push_back({made[id]});
  }
  REQUIRE(f.Apply(std::move(txn)).ok());

  auto ids = [&](std::string prefix, std::string key_marker, std::string id_marker, size_t limit) {
    auto r = f.Run(f.drive().ListUploads(kBucket, std::move(prefix), std::move(key_marker),
                                         std::move(id_marker), limit));
    REQUIRE(r.ok());
    std::vector<std::string> out;
    for (const auto& u : *r) out.push_back(u.key + "#" + u.upload_id);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(ids("", "", "", 1000) == V{"a#u9", "photos/a#u5", "photos/b#u1", "photos/b#u2", "z#u0"});
  CHECK(ids("", "", "", 2) == V{"a#u9", "photos/a#u5"});
  CHECK(ids("photos/", "", "", 1000) == V{"photos/a#u5", "photos/b#u1", "photos/b#u2"});
  CHECK(ids("", "photos/a", "", 1000) == V{"photos/b#u1", "photos/b#u2", "z#u0"});
  CHECK(ids("", "photos/b", "u1", 1000) == V{"photos/b#u2", "z#u0"});
  CHECK(ids("", "photos/b", "u2", 1000) == V{"z#u0"});
  CHECK(ids("", "z", "", 1000).empty());
  CHECK(ids("nothing", "", "", 1000).empty());
  CHECK(ids("", "", "", 0).empty());
  CHECK(f.Run(f.drive().ListUploads("other", "", "", "", 10)).value().empty());

  auto u = f.Run(f.drive().GetUpload(kBucket, "photos/b", "u1"));
  REQUIRE(u.ok());
  CHECK(*u == made["u1"]);
  // The id alone is not enough: bucket and key must match.
  CHECK(f.Run(f.drive().GetUpload(kBucket, "photos/a", "u1")).status().code() ==
        Code::kNoSuchUpload);
  CHECK(f.Run(f.drive().GetUpload("other", "photos/b", "u1")).status().code() ==
        Code::kNoSuchUpload);

  DriveTxn del;
  del.delete_uploads.push_back({kBucket, "photos/b", "u1"});
  REQUIRE(f.Apply(std::move(del)).ok());
  CHECK(f.Run(f.drive().GetUpload(kBucket, "photos/b", "u1")).status().code() ==
        Code::kNoSuchUpload);
  CHECK(ids("photos/b", "", "", 10) == V{"photos/b#u2"});
}

TEST_CASE("LocalDrive: parts are listed ascending and DeletePart frees or keeps their file",
          "[local_drive][index][multipart]") {
  DriveFixture f;
  const std::string upload = "upload-xyz";
  DriveTxn start;
  start.put_uploads.push_back({MakeUpload("big", upload)});
  REQUIRE(f.Apply(std::move(start)).ok());

  std::vector<std::string> ids;
  std::map<uint32_t, meta::PartRecord> made;
  DriveTxn parts;
  for (uint32_t n : {3u, 1u, 10000u, 2u}) {
    ids.push_back(NewDataId());
    f.WriteShard(ids.back(), "part" + std::to_string(n));
    made[n] = MakePart(n, ids.back(), 5);
    parts.put_parts.push_back({upload, made[n]});
  }
  REQUIRE(f.Apply(std::move(parts)).ok());
  // Another upload's parts do not show up.
  DriveTxn other;
  other.put_parts.push_back({"upload-xy", MakePart(7, "", 0)});
  REQUIRE(f.Apply(std::move(other)).ok());

  auto listed = f.Run(f.drive().ListParts(upload));
  REQUIRE(listed.ok());
  std::vector<uint32_t> numbers;
  for (const auto& p : *listed) {
    numbers.push_back(p.part_number);
    CHECK(p == made[p.part_number]);
  }
  CHECK(numbers == std::vector<uint32_t>{1, 2, 3, 10000});
  CHECK(f.Run(f.drive().ListParts("no-such-upload")).value().empty());

  SECTION("keep_data=false: the part and its file go") {
    DriveTxn del;
    del.delete_parts.push_back({upload, 3, ids[0], false});
    REQUIRE(f.Apply(std::move(del)).ok());
    f.FlushBlocking();
    CHECK(f.Run(f.drive().ListParts(upload)).value().size() == 3);
    CHECK_FALSE(fs::exists(ShardFile(f.root(), ids[0])));
    // And it stays gone across a reopen (no ref left behind either).
    SweepStats stats;
    f.Open(&stats);
    CHECK(stats.orphan_files_removed == 0);
    CHECK(FilesUnder(f.root() / "data").size() == 3);
  }
  SECTION("keep_data=true: completing the upload moves the files into the object") {
    meta::VersionRecord v = MakeVersion(ids[1], 20);
    v.segments.clear();
    DriveTxn complete;
    for (const auto& p : *listed) {
      v.segments.push_back(p.segment);
      complete.delete_parts.push_back({upload, p.part_number, p.segment.data_id, true});
    }
    complete.put_versions.push_back({kBucket, "big", v, ""});
    complete.delete_uploads.push_back({kBucket, "big", upload});
    REQUIRE(f.Apply(std::move(complete)).ok());
    f.FlushBlocking();
    CHECK(f.Run(f.drive().ListParts(upload)).value().empty());
    CHECK(f.Run(f.drive().GetUpload(kBucket, "big", upload)).status().code() ==
          Code::kNoSuchUpload);
    for (const auto& id : ids) CHECK(fs::exists(ShardFile(f.root(), id)));
    CHECK(f.ReadShard(ids[2], 0, 100).value() == "part10000");

    // The files are the object's now: a reopen keeps them, deleting the
    // object frees them.
    SweepStats stats;
    f.Open(&stats);
    CHECK(stats.orphan_files_removed == 0);
    CHECK(FilesUnder(f.root() / "data").size() == 4);
    REQUIRE(f.Apply(DeleteVersionTxn("big", v)).ok());
    f.FlushBlocking();
    CHECK(FilesUnder(f.root() / "data").empty());
  }
}

}  // namespace
}  // namespace strata::server
