// RemoveBelowQuorum over six real drives: what a crash mid-commit leaves on
// fewer than k drives goes, everything readable stays, and nothing is removed
// that offline drives might still lift to quorum.
#include <catch2/catch.hpp>

#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

constexpr int kK = TestCluster::kK;

// Leaves `key`'s newest version only on `keep` (as a crash after committing
// there would): the record is removed from every other drive, behind the
// layer's back, so its shard files stay where the record stays.
void StrandOn(TestCluster& c, const std::string& key, const std::vector<int>& keep) {
  for (int i = 0; i < TestCluster::kN; ++i) {
    if (std::find(keep.begin(), keep.end(), i) != keep.end()) continue;
    auto versions = c.Versions(i, key);
    REQUIRE_FALSE(versions.empty());
    server::DriveTxn txn;
    txn.delete_versions.push_back({TestCluster::kBucket, key, versions.front()});
    REQUIRE(c.Run(c.drive(i).inner().Apply(std::move(txn))).ok());
  }
}

Result<BelowQuorumReport> Sweep(TestCluster& c, SysTime written_before) {
  static const std::atomic<bool> kNoStop{false};
  return c.Run(c.layer().RemoveBelowQuorum(written_before, kNoStop));
}

SysTime Later() { return Clock::Real().Now() + std::chrono::hours(1); }

size_t DrivesHolding(TestCluster& c, const std::string& key) {
  size_t n = 0;
  for (int i = 0; i < TestCluster::kN; ++i) n += c.Versions(i, key).empty() ? 0 : 1;
  return n;
}

TEST_CASE("a version stranded on fewer than k drives is removed with its shards",
          "[object_layer][repair]") {
  TestCluster c;
  const std::string kept = RandomBytes(300 << 10, 1);
  REQUIRE(c.Put("keep/me", kept).ok());
  REQUIRE(c.Put("stray/big", RandomBytes(600 << 10, 2)).ok());  // shard files
  REQUIRE(c.Put("stray/small", "inline bytes").ok());
  StrandOn(c, "stray/big", {0, 3, 5});  // k - 1 drives: the worst a crash can leave
  StrandOn(c, "stray/small", {2});
  const auto files_before = c.AllShardFiles();

  auto report = Sweep(c, Later());
  REQUIRE(report.ok());
  CHECK(report->versions_removed == 2);
  CHECK(report->keys_examined == 2);
  CHECK(report->sets_skipped == 0);
  CHECK(DrivesHolding(c, "stray/big") == 0);
  CHECK(DrivesHolding(c, "stray/small") == 0);
  CHECK(DrivesHolding(c, "keep/me") == TestCluster::kN);
  // Only the kept object's shard files remain, on every drive.
  const auto files_after = c.AllShardFiles();
  CHECK(files_after.size() == 1);
  CHECK(files_before.size() == 2);
  for (const auto& [id, drives] : files_after) CHECK(drives == TestCluster::kN);
  auto got = c.Get("keep/me");
  REQUIRE(got.ok());
  CHECK(*got == kept);
}

TEST_CASE("a below-quorum version over an older readable one goes, the older stays",
          "[object_layer][repair]") {
  TestCluster c;
  REQUIRE(c.Put("k", "the committed bytes").ok());  // inline: the shard sits in the record
  const std::string committed = c.Versions(0, "k").front().version_id;
  // A newer write that committed on k - 1 drives only, as a crash leaves it.
  const std::string newer = meta::NewVersionId(Clock::Real().Now() + std::chrono::seconds(1));
  for (int i : {1, 2, 4}) {
    meta::VersionRecord record = c.Versions(i, "k").front();
    record.version_id = newer;
    auto shard = c.Run(c.drive(i).inner().GetInline(TestCluster::kBucket, "k", committed));
    REQUIRE(shard.ok());
    server::DriveTxn txn;
    txn.put_versions.push_back({TestCluster::kBucket, "k", record, *shard});
    REQUIRE(c.Run(c.drive(i).inner().Apply(std::move(txn))).ok());
  }
  REQUIRE(c.Versions(1, "k").size() == 2);
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->version_id == committed);  // the stray is invisible already

  auto report = Sweep(c, Later());
  REQUIRE(report.ok());
  CHECK(report->versions_removed == 1);
  for (int i = 0; i < TestCluster::kN; ++i) {
    auto versions = c.Versions(i, "k");
    REQUIRE(versions.size() == 1);
    CHECK(versions.front().version_id == committed);
  }
  auto got = c.Get("k");
  REQUIRE(got.ok());
  CHECK(*got == "the committed bytes");
}

TEST_CASE("versions written after the cut-off are never removed", "[object_layer][repair]") {
  TestCluster c;
  REQUIRE(c.Put("in-flight", "a write still committing").ok());
  StrandOn(c, "in-flight", {0});
  auto report = Sweep(c, Clock::Real().Now() - std::chrono::hours(1));
  REQUIRE(report.ok());
  CHECK(report->keys_examined == 1);
  CHECK(report->versions_removed == 0);
  CHECK(DrivesHolding(c, "in-flight") == 1);
}

TEST_CASE("offline drives count as possible holders", "[object_layer][repair]") {
  TestCluster c;
  REQUIRE(c.Put("on-one", "x").ok());
  REQUIRE(c.Put("on-two", "y").ok());
  StrandOn(c, "on-one", {0});
  StrandOn(c, "on-two", {0, 1});
  c.SetOffline({4, 5}, true);
  // on-one: 1 holder + 2 unknown < k: provably never committed.
  // on-two: 2 holders + 2 unknown could be k: kept.
  auto report = Sweep(c, Later());
  REQUIRE(report.ok());
  CHECK(report->versions_removed == 1);
  c.ClearFaults();
  CHECK(DrivesHolding(c, "on-one") == 0);
  CHECK(DrivesHolding(c, "on-two") == 2);
}

TEST_CASE("a set with k - 1 drives offline is skipped whole", "[object_layer][repair]") {
  TestCluster c;
  REQUIRE(c.Put("on-one", "x").ok());
  StrandOn(c, "on-one", {0});
  c.SetOffline({3, 4, 5}, true);
  auto report = Sweep(c, Later());
  REQUIRE(report.ok());
  CHECK(report->sets_skipped == 1);
  CHECK(report->versions_removed == 0);
  c.ClearFaults();
  CHECK(DrivesHolding(c, "on-one") == 1);
}

TEST_CASE("agreeing keys are not examined and a stop request ends the walk",
          "[object_layer][repair]") {
  TestCluster c;
  for (int i = 0; i < 30; ++i) REQUIRE(c.Put("k" + std::to_string(i), "v").ok());
  auto report = Sweep(c, Later());
  REQUIRE(report.ok());
  CHECK(report->keys_examined == 0);
  CHECK(report->versions_removed == 0);

  StrandOn(c, "k7", {0});
  const std::atomic<bool> stop{true};
  auto stopped = c.Run(c.layer().RemoveBelowQuorum(Later(), stop));
  REQUIRE(stopped.ok());
  CHECK(stopped->keys_examined == 0);
  CHECK(DrivesHolding(c, "k7") == 1);
}

TEST_CASE("listing hides a below-quorum key and the prefix only it makes",
          "[object_layer][repair][list]") {
  TestCluster c;
  REQUIRE(c.Put("real/a", "a").ok());
  REQUIRE(c.Put("ghost/b", "b").ok());
  REQUIRE(c.Put("top", "t").ok());
  // On k - 1 drives, all of which the listing reads first.
  StrandOn(c, "ghost/b", {0, 1, 2});
  ListArgs flat;
  auto all = c.List(flat);
  REQUIRE(all.ok());
  std::vector<std::string> keys;
  for (const auto& [key, record] : all->objects) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"real/a", "top"});

  ListArgs folders;
  folders.delimiter = "/";
  auto rolled = c.List(folders);
  REQUIRE(rolled.ok());
  CHECK(rolled->common_prefixes == std::vector<std::string>{"real/"});
  REQUIRE(rolled->objects.size() == 1);
  CHECK(rolled->objects.front().first == "top");
}

TEST_CASE("in a versioned bucket a stranded version below newer good ones goes too",
          "[object_layer][repair]") {
  TestCluster c;
  REQUIRE(c.Run(c.layer().SetBucketVersioning(TestCluster::kBucket, "Enabled")).ok());
  REQUIRE(c.Put("k", RandomBytes(300 << 10, 7)).ok());
  StrandOn(c, "k", {1, 4});  // the first version crashed below quorum
  const std::string stray = c.Versions(1, "k").front().version_id;
  // Newer versions pile on top: the stray is no longer anyone's newest.
  const std::string second = RandomBytes(200 << 10, 8);
  REQUIRE(c.Put("k", second).ok());
  REQUIRE(c.Put("k", "third, inline").ok());
  REQUIRE(c.Versions(1, "k").size() == 3);

  auto report = Sweep(c, Later());
  REQUIRE(report.ok());
  CHECK(report->versions_removed == 1);
  for (int i = 0; i < TestCluster::kN; ++i) {
    auto versions = c.Versions(i, "k");
    CHECK(versions.size() == 2);
    for (const auto& v : versions) CHECK(v.version_id != stray);
  }
  auto listed = c.Run(c.layer().ListObjectVersions(ListVersionsArgs{TestCluster::kBucket}));
  REQUIRE(listed.ok());
  CHECK(listed->versions.size() == 2);
  auto got = c.Get("k");
  REQUIRE(got.ok());
  CHECK(*got == "third, inline");
}

}  // namespace
}  // namespace strata::gw
