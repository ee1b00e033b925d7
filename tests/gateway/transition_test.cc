// Data outside the home set: PUTs with a cold class, transitions between
// pools, and their crash and failure paths, over two pools of real drives
// (hot: drives 0-5, cold: drives 6-11) behind fault-injecting decorators.
#include <catch2/catch.hpp>

#include "gateway/data_store.h"
#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

constexpr const char* kBucket = TestCluster::kBucket;

Result<meta::VersionRecord> PutClass(TestCluster& c, const std::string& key,
                                     const std::string& data, const std::string& cls) {
  StringSource body(data);
  PutObjectArgs args;
  args.bucket = kBucket;
  args.key = key;
  args.size = data.size();
  args.storage_class = cls;
  args.tags = {{"team", "vision"}};
  return c.Run(c.layer().PutObject(std::move(args), body, EtagOf(data)));
}

VersionRef Id(const meta::VersionRecord& r) { return VersionRef{VersionRef::Kind::kId, r.version_id}; }

TEST_CASE("a PUT with a cold class stores its bytes in the cold pool", "[transition]") {
  TestCluster c(2);
  const std::string data = RandomBytes(3 << 20, 1);
  auto put = PutClass(c, "k", data, "GLACIER");
  REQUIRE(put.ok());
  CHECK(put->location == "pool:cold");
  CHECK(put->location_key == StoreKey(kBucket, "k", put->version_id));
  CHECK(c.PoolShardFiles(0).empty());
  CHECK(c.PoolShardFiles(1).size() == 1);
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->storage_class == "GLACIER");
  CHECK(head->etag == HexMd5Of(data));
  CHECK(c.Get("k").value() == data);
  CHECK(c.Read("k", *head, 12345, 2 << 20).value() == data.substr(12345, 2 << 20));
  // The home drives hold the record, not the data.
  for (int i = 0; i < TestCluster::kN; ++i) {
    auto v = c.Versions(i, "k");
    REQUIRE(v.size() == 1);
    CHECK(v[0].location == "pool:cold");
  }
  // Unknown classes are refused before anything is written.
  CHECK(PutClass(c, "x", "abc", "DEEP_ARCHIVE").status().code() == Code::kInvalidStorageClass);
  CHECK(c.Head("x").status().code() == Code::kNoSuchKey);
}

TEST_CASE("overwriting and deleting a cold object frees its cold data", "[transition]") {
  TestCluster c(2);
  REQUIRE(PutClass(c, "k", RandomBytes(1 << 20, 2), "GLACIER").ok());
  REQUIRE(c.PoolShardFiles(1).size() == 1);
  REQUIRE(PutClass(c, "k", RandomBytes(1 << 20, 3), "STANDARD").ok());  // null version replaced
  CHECK(c.PoolShardFiles(1).empty());
  CHECK(c.PoolShardFiles(0).size() == 1);
  REQUIRE(PutClass(c, "k2", RandomBytes(1 << 20, 4), "GLACIER").ok());
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "k2")).ok());
  CHECK(c.PoolShardFiles(1).empty());
  // A small cold object lives inline in the cold pool's records.
  REQUIRE(PutClass(c, "tiny", "tiny bytes", "GLACIER").ok());
  CHECK(c.Get("tiny").value() == "tiny bytes");
  auto listed = c.Run(c.layer().Store("pool:cold").value()->List("", "", 10));
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().key.starts_with(std::string(kBucket) + "/tiny/"));
}

TEST_CASE("a transition moves the bytes and keeps everything a client sees", "[transition]") {
  TestCluster c(2);
  const std::string data = RandomBytes((5 << 20) + 17, 5);
  auto put = PutClass(c, "k", data, "STANDARD");
  REQUIRE(put.ok());
  auto before = c.PoolShardFiles(0);
  REQUIRE(before.size() == 1);
  REQUIRE(c.Run(c.layer().Transition(kBucket, "k", put->version_id, "GLACIER")).ok());
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->version_id == put->version_id);
  CHECK(head->etag == put->etag);
  CHECK(head->size == put->size);
  CHECK(head->tags == put->tags);
  CHECK(head->headers == put->headers);
  CHECK(head->storage_class == "GLACIER");
  CHECK(head->location == "pool:cold");
  CHECK(c.Get("k").value() == data);
  CHECK(c.PoolShardFiles(0).empty());  // the hot shards went with the switch
  CHECK(c.PoolShardFiles(1).size() == 1);
  // Again to the same place: nothing to do.
  REQUIRE(c.Run(c.layer().Transition(kBucket, "k", put->version_id, "GLACIER")).ok());
  CHECK(c.PoolShardFiles(1).size() == 1);
  // Back into the home pool is not a lifecycle move.
  CHECK(c.Run(c.layer().Transition(kBucket, "k", put->version_id, "STANDARD")).code() ==
        Code::kNotImplemented);
  CHECK(c.Run(c.layer().Transition(kBucket, "k", put->version_id, "NOPE")).code() ==
        Code::kInvalidStorageClass);
}

TEST_CASE("a locked version may move, and stays undeletable where it went", "[transition]") {
  TestCluster c(2);
  const std::string data = RandomBytes(2 << 20, 6);
  StringSource body(data);
  PutObjectArgs args;
  args.bucket = kBucket;
  args.key = "worm";
  args.size = data.size();
  args.lock = LockState{"COMPLIANCE", Clock::Real().Now() + std::chrono::hours(24), false};
  auto put = c.Run(c.layer().PutObject(std::move(args), body, EtagOf(data)));
  REQUIRE(put.ok());
  REQUIRE(c.Run(c.layer().Transition(kBucket, "worm", put->version_id, "GLACIER")).ok());
  CHECK(c.Run(c.layer().DeleteObject(kBucket, "worm", Id(*put))).status().code() ==
        Code::kAccessDenied);
  // The refusal kept the cold bytes.
  CHECK(c.PoolShardFiles(1).size() == 1);
  CHECK(c.Get("worm").value() == data);
}

TEST_CASE("a transition that cannot write its target changes nothing", "[transition]") {
  TestCluster c(2);
  const std::string data = RandomBytes(2 << 20, 7);
  auto put = PutClass(c, "k", data, "STANDARD");
  REQUIRE(put.ok());
  for (int i = 6; i < 9; ++i) c.drive(i).faults().offline = true;  // cold loses its quorum
  CHECK(c.Run(c.layer().Transition(kBucket, "k", put->version_id, "GLACIER")).code() ==
        Code::kUnavailable);
  c.ClearFaults();
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->location.empty());
  CHECK(head->storage_class == "STANDARD");
  CHECK(c.Get("k").value() == data);
  CHECK(c.PoolShardFiles(0).size() == 1);
  CHECK(c.PoolShardFiles(1).empty());
}

TEST_CASE("a transition whose switch reaches no drive leaves no copy behind", "[transition]") {
  TestCluster c(2);
  const std::string data = RandomBytes(2 << 20, 8);
  auto put = PutClass(c, "k", data, "STANDARD");
  REQUIRE(put.ok());
  for (int i = 0; i < TestCluster::kN; ++i) c.drive(i).faults().fail_apply = true;
  CHECK(c.Run(c.layer().Transition(kBucket, "k", put->version_id, "GLACIER")).code() ==
        Code::kUnavailable);
  c.ClearFaults();
  CHECK(c.Head("k")->location.empty());
  CHECK(c.Get("k").value() == data);
  CHECK(c.PoolShardFiles(1).empty());  // the new copy was taken back
}

TEST_CASE("a version deleted during its transition stays deleted", "[transition]") {
  TestCluster c(2);
  auto put = PutClass(c, "k", RandomBytes(2 << 20, 9), "STANDARD");
  REQUIRE(put.ok());
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "k")).ok());
  auto st = c.Run(c.layer().Transition(kBucket, "k", put->version_id, "GLACIER"));
  CHECK((st.code() == Code::kNoSuchVersion || st.code() == Code::kNoSuchKey));
  CHECK(c.PoolShardFiles(1).empty());
}

TEST_CASE("the drive refuses a switch from a location it does not hold", "[transition]") {
  TestCluster c(2);
  auto put = PutClass(c, "k", RandomBytes(1 << 20, 10), "STANDARD");
  REQUIRE(put.ok());
  server::DriveTxn txn;
  server::DriveTxn::SetLocation op{kBucket,     "k",         put->version_id, "pool:elsewhere",
                                   {},          "pool:cold", "x",             "GLACIER",
                                   Clock::Real().Now()};
  txn.set_locations.push_back(op);
  CHECK(c.Run(c.drive(0).inner().Apply(std::move(txn))).code() == Code::kPreconditionFailed);
  auto v = c.Versions(0, "k");
  REQUIRE(v.size() == 1);
  CHECK(v[0].location.empty());
  CHECK_FALSE(v[0].segments[0].data_id.empty());
}

TEST_CASE("a multipart upload with a cold class writes its parts to the cold pool",
          "[transition]") {
  TestCluster c(2);
  UploadArgs args;
  args.bucket = kBucket;
  args.key = "mp";
  args.storage_class = "GLACIER";
  auto upload = c.Run(c.layer().CreateUpload(args));
  REQUIRE(upload.ok());
  const std::string p1 = RandomBytes(5 << 20, 12), p2 = RandomBytes(1 << 20, 13);
  std::vector<CompletePart> parts;
  uint32_t number = 0;
  for (const std::string* data : {&p1, &p2}) {
    StringSource body(*data);
    auto part = c.Run(c.layer().PutPart(kBucket, "mp", *upload, ++number, data->size(), body,
                                        EtagOf(*data)));
    REQUIRE(part.ok());
    parts.push_back({number, part->segment.etag});
  }
  CHECK(c.PoolShardFiles(0).empty());
  CHECK(c.PoolShardFiles(1).size() == 2);
  ListUploadsArgs list;
  list.bucket = kBucket;
  CHECK(c.Run(c.layer().ListUploads(list))->size() == 1);
  auto done = c.Run(c.layer().CompleteUpload(kBucket, "mp", *upload, parts));
  REQUIRE(done.ok());
  CHECK(done->location == "pool:cold");
  auto head = c.Head("mp");
  REQUIRE(head.ok());
  CHECK(head->storage_class == "GLACIER");
  CHECK(head->etag.ends_with("-2"));
  CHECK(c.Get("mp").value() == p1 + p2);
  CHECK(c.Run(c.layer().ListUploads(list))->empty());
  CHECK(c.PoolShardFiles(0).empty());
  CHECK(c.PoolShardFiles(1).size() == 2);  // the parts' files became the object's
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "mp")).ok());
  CHECK(c.PoolShardFiles(1).empty());

  // An aborted cold upload leaves nothing in either pool.
  auto other = c.Run(c.layer().CreateUpload(args));
  REQUIRE(other.ok());
  StringSource body(p2);
  REQUIRE(c.Run(c.layer().PutPart(kBucket, "mp", *other, 1, p2.size(), body, EtagOf(p2))).ok());
  REQUIRE(c.Run(c.layer().AbortUpload(kBucket, "mp", *other)).ok());
  CHECK(c.Run(c.layer().ListUploads(list))->empty());
  CHECK(c.PoolShardFiles(1).empty());
}

}  // namespace
}  // namespace strata::gw
