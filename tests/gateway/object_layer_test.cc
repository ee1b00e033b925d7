// The object layer over six real LocalDrives (RocksDB, io_uring) in a 4 + 2
// erasure set, with faults injected through FaultDrive: round trips, degraded
// and corrupt reads, failed writes, overwrites, listing quorum and multipart.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/crypto.h"
#include "erasure/layout.h"
#include "metadata/records.h"
#include "server/parallel.h"
#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

constexpr uint64_t kStripe = 1 << 20;  // object bytes per stripe for k = 4 (checked below)
const uint64_t kInline = ObjectLayerOptions{}.inline_threshold;
constexpr const char* kBucket = TestCluster::kBucket;

// Compares without Catch printing megabytes on failure.
bool Same(const Result<std::string>& got, const std::string& want) {
  return got.ok() && got->size() == want.size() && *got == want;
}

// True when `got` could be the start of `want`: a failed read may stop early
// but must never have sent a wrong byte.
bool IsPrefixOf(const std::string& got, const std::string& want) {
  return got.size() <= want.size() && want.compare(0, got.size(), got) == 0;
}

void CheckAbsentEverywhere(TestCluster& c, const std::string& key) {
  for (int i = 0; i < TestCluster::kN; ++i) {
    CAPTURE(i);
    CHECK(c.Versions(i, key).empty());
  }
  CHECK(c.Head(key).status().code() == Code::kNoSuchKey);
}

int DrivesHolding(TestCluster& c, const std::string& key, const std::string& version_id) {
  int n = 0;
  for (int i = 0; i < TestCluster::kN; ++i) {
    for (const auto& v : c.Versions(i, key)) n += v.version_id == version_id ? 1 : 0;
  }
  return n;
}

std::map<std::string, int> FilesOf(const meta::VersionRecord& record) {
  std::map<std::string, int> out;
  for (const auto& seg : record.segments) {
    if (!seg.data_id.empty()) out[seg.data_id] = TestCluster::kN;
  }
  return out;
}

template <typename Map>
std::set<std::string> KeysOf(const Map& map) {
  std::set<std::string> out;
  for (const auto& [key, value] : map) out.insert(key);
  return out;
}

struct StatsSnapshot {
  uint64_t reconstructed, corrupt, missing, quorum;
  explicit StatsSnapshot(const ObjectLayerStats& s)
      : reconstructed(s.reconstructed_stripes), corrupt(s.corrupt_shards),
        missing(s.missing_shards), quorum(s.quorum_failures) {}
};

TEST_CASE("the test assumes 1 MiB stripes for 4 + 2", "[object_layer]") {
  auto layout = erasure::Layout::For(4, 2, 64 * kStripe);
  CHECK(layout.StripeDataBytes() == kStripe);
}

// ---- Round trips ---------------------------------------------------------------

TEST_CASE("objects of every size class round-trip through put, head and read",
          "[object_layer]") {
  TestCluster c;
  const std::vector<uint64_t> sizes = {0,          1,          kInline,        kInline + 1,
                                       kStripe - 1, kStripe,   kStripe + 1,    2 * kStripe + 1,
                                       5 * kStripe + 12345};
  std::map<std::string, int> expected_files;
  uint32_t seed = 0;
  for (bool announce : {true, false}) {
    for (uint64_t size : sizes) {
      ++seed;
      if (!announce && size > 2 * kStripe + 1) continue;  // the big one once is enough
      CAPTURE(size, announce);
      const std::string key = "obj/" + std::to_string(size) + (announce ? "/known" : "/unknown");
      const std::string data = RandomBytes(size, seed);
      auto put = c.Put(key, data, announce);
      REQUIRE(put.ok());
      CHECK(put->size == size);
      CHECK(put->etag == HexMd5Of(data));
      CHECK(put->inline_data == (size <= kInline));
      CHECK(put->k == 4);
      CHECK(put->m == 2);
      REQUIRE(put->segments.size() == 1);
      CHECK(put->segments[0].data_id.empty() == put->inline_data);

      auto head = c.Head(key);
      REQUIRE(head.ok());
      CHECK(head->version_id == put->version_id);
      CHECK(head->size == size);
      CHECK(head->etag == put->etag);
      CHECK(head->headers == put->headers);
      CHECK(head->segments[0].data_id == put->segments[0].data_id);
      CHECK(DrivesHolding(c, key, put->version_id) == TestCluster::kN);

      CHECK(Same(c.Read(key, *head, 0, size), data));
      std::vector<std::pair<uint64_t, uint64_t>> ranges = {
          {0, 1}, {size - 1, 1}, {size / 3, size / 3 + 1}, {1, size - 2},
          {kStripe - 1, 2}, {kStripe, kStripe}, {2 * kStripe - 7, kStripe + 14}};
      for (auto [offset, length] : ranges) {
        if (size < 3 || offset + length > size) continue;
        CAPTURE(offset, length);
        CHECK(Same(c.Read(key, *head, offset, length), data.substr(offset, length)));
      }
      CHECK(Same(c.Read(key, *head, size / 2, 0), ""));

      if (!put->inline_data) {
        // Every drive holds one shard file of exactly the layout's size.
        const auto& seg = put->segments[0];
        erasure::Layout layout{4, 2, seg.block_size};
        REQUIRE(layout.Validate().ok());
        for (int i = 0; i < TestCluster::kN; ++i) {
          auto files = c.ShardFiles(i);
          REQUIRE(files.count(seg.data_id) == 1);
          CHECK(files[seg.data_id] == layout.ShardFileSize(size));
        }
        expected_files[seg.data_id] = TestCluster::kN;
      }
    }
  }
  CHECK(c.AllShardFiles() == expected_files);
}

TEST_CASE("short reads from the body and lying length announcements still store the body",
          "[object_layer]") {
  TestCluster c;
  struct Case {
    uint64_t announced, actual;
    size_t max_read;
  };
  const std::vector<Case> cases = {
      {10, 3 * kStripe + 3, 4096},        // understated: the layout must grow
      {1000, kInline + 1, 1},              // understated just past the inline limit
      {5 * kStripe, 100, 7},               // overstated: ends up inline
      {2 * kStripe, kStripe + 1, 65537},   // overstated, two stripes
      {kStripe + 1, kStripe + 1, 333333},  // truthful, odd-sized reads
  };
  uint32_t seed = 100;
  for (const auto& tc : cases) {
    CAPTURE(tc.announced, tc.actual, tc.max_read);
    const std::string key = "lie/" + std::to_string(seed);
    const std::string data = RandomBytes(tc.actual, seed++);
    StringSource body(data, tc.max_read);
    auto put = c.PutFrom(key, body, data, tc.announced);
    REQUIRE(put.ok());
    CHECK(put->size == tc.actual);
    CHECK(put->inline_data == (tc.actual <= kInline));
    CHECK(Same(c.Get(key), data));
  }
}

TEST_CASE("a FinishWrite that refuses the body stores nothing", "[object_layer]") {
  TestCluster c;
  for (uint64_t size : {uint64_t{0}, uint64_t{10}, kInline + 1, kStripe + 1, 3 * kStripe}) {
    CAPTURE(size);
    const std::string key = "refused/" + std::to_string(size);
    const std::string data = RandomBytes(size, 9);
    StringSource body(data);
    PutObjectArgs args;
    args.bucket = kBucket;
    args.key = key;
    args.size = size;
    uint64_t seen_size = ~uint64_t{0};
    auto put = c.Run(c.layer().PutObject(
        std::move(args), body, [&seen_size](uint64_t n, meta::VersionRecord&) {
          seen_size = n;
          return Status(Code::kBadDigest, "digest mismatch (test)");
        }));
    CHECK(seen_size == size);
    CHECK(put.status().code() == Code::kBadDigest);
    CheckAbsentEverywhere(c, key);
  }
  CHECK(c.AllShardFiles().empty());
}

TEST_CASE("a key holding a NUL byte stores nothing", "[object_layer]") {
  TestCluster c;
  for (uint64_t size : {uint64_t{10}, kStripe + 1}) {
    CAPTURE(size);
    const std::string key("nul\0key", 7);
    auto put = c.Put(key, RandomBytes(size, 11));
    // The handlers refuse such keys first (kInvalidArgument); the layer only
    // learns it when every drive refuses the commit, and says kUnavailable.
    CHECK_FALSE(put.ok());
    CHECK(c.Head("nul").status().code() == Code::kNoSuchKey);
  }
  auto list = c.List(ListArgs{});
  REQUIRE(list.ok());
  CHECK(list->objects.empty());
  CHECK(c.AllShardFiles().empty());
}

TEST_CASE("a body that fails part-way stores nothing", "[object_layer]") {
  TestCluster c;
  const std::string data = RandomBytes(3 * kStripe + 17, 5);
  for (uint64_t fail_at : {uint64_t{0}, uint64_t{1000}, kInline, kInline + 1, kStripe + 5,
                           2 * kStripe + 7, uint64_t{data.size()} - 1}) {
    CAPTURE(fail_at);
    const std::string key = "broken/" + std::to_string(fail_at);
    StringSource body(data, 100000);
    body.FailAt(fail_at, Status(Code::kIncompleteBody, "client vanished (test)"));
    auto put = c.PutFrom(key, body, data, data.size());
    CHECK(put.status().code() == Code::kIncompleteBody);
    CheckAbsentEverywhere(c, key);
  }
  CHECK(c.AllShardFiles().empty());
}

TEST_CASE("a sink that fails stops the read with its error", "[object_layer]") {
  TestCluster c;
  const std::string data = RandomBytes(3 * kStripe, 8);
  auto put = c.Put("k", data);
  REQUIRE(put.ok());
  StringSink sink(kStripe + 10);
  Status st = c.Run(c.layer().ReadObject(kBucket, "k", *put, 0, data.size(), sink));
  CHECK(st.code() == Code::kAborted);
  CHECK(IsPrefixOf(sink.data(), data));
  CHECK(sink.data().size() <= kStripe + 10);
}

// ---- Degraded sets -------------------------------------------------------------

TEST_CASE("with any two drives offline put, head, read and list still work", "[object_layer]") {
  TestCluster c;
  const std::string before = RandomBytes(kStripe + 777, 7);
  auto before_put = c.Put("all6", before);
  REQUIRE(before_put.ok());
  std::map<std::string, std::pair<std::string, std::string>> written;  // key -> (version, bytes)
  for (int a = 0; a < TestCluster::kN; ++a) {
    for (int b = a + 1; b < TestCluster::kN; ++b) {
      CAPTURE(a, b);
      c.SetOffline({a, b}, true);
      const std::string tag = std::to_string(a) + std::to_string(b);
      const std::string big = RandomBytes(kStripe + 100 * a + b, 10 + a * 6 + b);
      const std::string small = RandomBytes(1000 + a + b, 50 + a * 6 + b);
      auto put_big = c.Put("deg/big" + tag, big);
      auto put_small = c.Put("deg/small" + tag, small);
      REQUIRE(put_big.ok());
      REQUIRE(put_small.ok());
      written["deg/big" + tag] = {put_big->version_id, big};
      written["deg/small" + tag] = {put_small->version_id, small};
      CHECK(Same(c.Get("deg/big" + tag), big));
      CHECK(Same(c.Get("deg/small" + tag), small));
      CHECK(Same(c.Get("all6"), before));
      auto head = c.Head("deg/big" + tag);
      REQUIRE(head.ok());
      CHECK(Same(c.Read("deg/big" + tag, *head, kStripe - 3, 6), big.substr(kStripe - 3, 6)));
      // Keys written while another pair was offline have only three shards
      // reachable now, so the listing must show the ones written now, may
      // leave those out, and must never show a wrong version.
      ListArgs args;
      args.prefix = "deg/";
      auto list = c.List(args);
      REQUIRE(list.ok());
      std::set<std::string> listed;
      for (const auto& [key, record] : list->objects) {
        CAPTURE(key);
        REQUIRE(written.count(key) == 1);
        CHECK(record.version_id == written[key].first);
        CHECK(listed.insert(key).second);
      }
      CHECK(listed.count("deg/big" + tag) == 1);
      CHECK(listed.count("deg/small" + tag) == 1);
      c.SetOffline({a, b}, false);
      // Written on the four online drives only.
      CHECK(DrivesHolding(c, "deg/big" + tag, put_big->version_id) == 4);
      CHECK(c.Versions(a, "deg/big" + tag).empty());
      CHECK(c.Versions(b, "deg/big" + tag).empty());
    }
  }
  // All back: everything reads, and the listing shows every key once.
  ListArgs args;
  args.prefix = "deg/";
  auto list = c.List(args);
  REQUIRE(list.ok());
  CHECK_FALSE(list->truncated);
  REQUIRE(list->objects.size() == written.size());
  for (const auto& [key, record] : list->objects) {
    CAPTURE(key);
    REQUIRE(written.count(key) == 1);
    CHECK(record.version_id == written[key].first);
    CHECK(Same(c.Get(key), written[key].second));
  }
}

// Written while drives 0 and 1 were offline, the object lives on 2..5. With
// drive 2 offline too, five drives answer but only three hold the version:
// it cannot be read now, yet drive 2 may come back, so it still exists.
// NoSuchKey would tell a client it is gone; S3 answers 503 for this.
TEST_CASE("an object with too few shards reachable is unavailable, not missing",
          "[object_layer]") {
  TestCluster c;
  c.SetOffline({0, 1}, true);
  auto put = c.Put("k", RandomBytes(2000, 1));
  REQUIRE(put.ok());
  c.SetOffline({0, 1}, false);
  c.SetOffline({2}, true);
  CHECK(c.Head("k").status().code() == Code::kUnavailable);
  c.SetOffline({2}, false);
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->version_id == put->version_id);
}

TEST_CASE("with three drives offline nothing is written or served, and nothing leaks",
          "[object_layer]") {
  TestCluster c;
  const std::string old_big = RandomBytes(kStripe + 5, 3);
  const std::string old_small = RandomBytes(2000, 4);
  auto big = c.Put("big", old_big);
  auto small = c.Put("small", old_small);
  REQUIRE(big.ok());
  REQUIRE(small.ok());
  const auto files_before = c.AllShardFiles();
  StatsSnapshot before(c.layer().stats());
  int triples = 0;
  for (int a = 0; a < TestCluster::kN; ++a) {
    for (int b = a + 1; b < TestCluster::kN; ++b) {
      for (int d = b + 1; d < TestCluster::kN; ++d) {
        CAPTURE(a, b, d);
        ++triples;
        c.SetOffline({a, b, d}, true);
        CHECK(c.Put("big", RandomBytes(kStripe + 9, 30)).status().code() == Code::kUnavailable);
        CHECK(c.Put("small", "new").status().code() == Code::kUnavailable);
        CHECK(c.Put("fresh", RandomBytes(2 * kStripe, 31)).status().code() ==
              Code::kUnavailable);
        CHECK(c.Head("big").status().code() == Code::kUnavailable);
        CHECK(c.Head("fresh").status().code() == Code::kUnavailable);
        StringSink sink;
        Status read = c.Run(c.layer().ReadObject(kBucket, "big", *big, 0, old_big.size(), sink));
        CHECK(read.code() == Code::kUnavailable);
        CHECK(IsPrefixOf(sink.data(), old_big));
        CHECK(c.List(ListArgs{}).status().code() == Code::kUnavailable);
        c.SetOffline({a, b, d}, false);
      }
    }
  }
  CHECK(triples == 20);
  // At least the three puts and two HEADs of every round counted a quorum miss.
  CHECK(StatsSnapshot(c.layer().stats()).quorum - before.quorum >= 5 * 20);
  CHECK(Same(c.Get("big"), old_big));
  CHECK(Same(c.Get("small"), old_small));
  CheckAbsentEverywhere(c, "fresh");
  for (int i = 0; i < TestCluster::kN; ++i) {
    CHECK(c.Versions(i, "big").size() == 1);
    CHECK(c.Versions(i, "small").size() == 1);
  }
  CHECK(c.AllShardFiles() == files_before);
}

TEST_CASE("drives lost in the middle of a write", "[object_layer]") {
  TestCluster c;
  const std::string data = RandomBytes(3 * kStripe + 11, 12);
  StringSource body(data, 256 << 10);

  SECTION("two: the write completes on the other four and reads back") {
    body.OnOffset(kStripe + 1, [&c] { c.SetOffline({1, 4}, true); });
    auto put = c.PutFrom("k", body, data, data.size());
    REQUIRE(put.ok());
    CHECK(Same(c.Get("k"), data));
    c.SetOffline({1, 4}, false);
    CHECK(Same(c.Get("k"), data));
    CHECK(DrivesHolding(c, "k", put->version_id) == 4);
    CHECK(c.Versions(1, "k").empty());
    CHECK(c.Versions(4, "k").empty());
    CHECK(c.ShardFiles(1).empty());
    CHECK(c.ShardFiles(4).empty());
    CHECK(c.AllShardFiles() == std::map<std::string, int>{{put->segments[0].data_id, 4}});
  }
  SECTION("three: the write fails and leaves nothing") {
    body.OnOffset(2 * kStripe + 1, [&c] { c.SetOffline({0, 2, 5}, true); });
    auto put = c.PutFrom("k", body, data, data.size());
    CHECK(put.status().code() == Code::kUnavailable);
    c.SetOffline({0, 2, 5}, false);
    CheckAbsentEverywhere(c, "k");
    CHECK(c.AllShardFiles().empty());
  }
}

// ---- Corruption and read errors ------------------------------------------------

TEST_CASE("corrupt or unreadable shards are rebuilt from parity, never served",
          "[object_layer]") {
  TestCluster c;
  const std::string big = RandomBytes(3 * kStripe - 5, 21);  // three stripes
  const std::string small = RandomBytes(5000, 22);           // inline
  auto big_put = c.Put("big", big);
  auto small_put = c.Put("small", small);
  REQUIRE(big_put.ok());
  REQUIRE(small_put.ok());
  const auto data_drives = c.DataShardDrives("big");
  const auto parity_drives = c.ParityShardDrives("big");
  REQUIRE(data_drives.size() == 4);
  REQUIRE(parity_drives.size() == 2);
  const auto small_data = c.DataShardDrives("small");
  REQUIRE(small_data.size() == 4);
  const ObjectLayerStats& stats = c.layer().stats();

  // Each scenario starts from healthy drives.
  auto corrupt = [&c](std::vector<int> which) {
    c.ClearFaults();
    for (int i : which) c.drive(i).faults().corrupt_reads = true;
  };
  // The whole object and a range over the first stripe boundary: 5 stripe reads.
  auto expect_rebuilt = [&] {
    StatsSnapshot before(stats);
    CHECK(Same(c.Get("big"), big));
    CHECK(Same(c.Read("big", *big_put, kStripe - 2, 4), big.substr(kStripe - 2, 4)));
    StatsSnapshot after(stats);
    CHECK(after.reconstructed - before.reconstructed >= 5);
    return after.corrupt - before.corrupt;
  };
  auto expect_refused = [&](const std::string& key, const meta::VersionRecord& record,
                            const std::string& want) {
    StringSink sink;
    Status st = c.Run(c.layer().ReadObject(kBucket, key, record, 0, want.size(), sink));
    CHECK(st.code() == Code::kUnavailable);
    CHECK(IsPrefixOf(sink.data(), want));
  };

  {
    INFO("one corrupt data shard");
    corrupt({data_drives[1]});
    CHECK(expect_rebuilt() >= 5);
  }
  {
    INFO("two corrupt data shards");
    corrupt({data_drives[0], data_drives[3]});
    CHECK(expect_rebuilt() >= 10);
  }
  {
    INFO("a corrupt data shard and a corrupt parity shard");
    corrupt({data_drives[2], parity_drives[0]});
    CHECK(expect_rebuilt() >= 10);
  }
  {
    INFO("two corrupt parity shards do not matter to a read");
    corrupt(parity_drives);
    CHECK(Same(c.Get("big"), big));
  }
  {
    INFO("three corrupt data shards: an error, never wrong bytes");
    corrupt({data_drives[0], data_drives[1], data_drives[2]});
    expect_refused("big", *big_put, big);
  }
  {
    INFO("a corrupt data shard and both parity shards: an error, never wrong bytes");
    corrupt({data_drives[3], parity_drives[0], parity_drives[1]});
    expect_refused("big", *big_put, big);
  }
  {
    INFO("inline object: two corrupt shards are rebuilt");
    corrupt({small_data[0], small_data[2]});
    StatsSnapshot before(stats);
    CHECK(Same(c.Get("small"), small));
    StatsSnapshot after(stats);
    CHECK(after.corrupt - before.corrupt >= 2);
    CHECK(after.reconstructed - before.reconstructed == 1);
  }
  {
    INFO("inline object: three corrupt shards are refused");
    corrupt({small_data[0], small_data[2], small_data[3]});
    expect_refused("small", *small_put, small);
  }
  {
    INFO("read errors on two drives are rebuilt");
    c.ClearFaults();
    c.drive(data_drives[0]).faults().fail_reads = true;
    c.drive(parity_drives[1]).faults().fail_reads = true;
    StatsSnapshot before(stats);
    CHECK(Same(c.Get("big"), big));
    CHECK(Same(c.Get("small"), small));
    StatsSnapshot after(stats);
    CHECK(after.reconstructed - before.reconstructed >= 3);
  }
  {
    INFO("read errors on three drives are refused");
    c.drive(data_drives[1]).faults().fail_reads = true;
    expect_refused("big", *big_put, big);
  }
  {
    INFO("a healthy set reads without rebuilding");
    c.ClearFaults();
    StatsSnapshot before(stats);
    CHECK(Same(c.Get("big"), big));
    CHECK(Same(c.Get("small"), small));
    StatsSnapshot after(stats);
    CHECK(after.reconstructed == before.reconstructed);
    CHECK(after.corrupt == before.corrupt);
  }
}

// The counters the metrics module exports must count each bad frame once.
TEST_CASE("one corrupt frame counts as one corrupt shard", "[object_layer]") {
  TestCluster c;
  const std::string data = RandomBytes(kStripe, 23);  // exactly one stripe
  auto put = c.Put("one", data);
  REQUIRE(put.ok());
  const auto data_drives = c.DataShardDrives("one");
  REQUIRE(data_drives.size() == 4);
  c.drive(data_drives[0]).faults().corrupt_reads = true;
  StatsSnapshot before(c.layer().stats());
  CHECK(Same(c.Read("one", *put, 0, data.size()), data));
  StatsSnapshot after(c.layer().stats());
  CHECK(after.reconstructed - before.reconstructed == 1);
  CHECK(after.corrupt - before.corrupt == 1);
}

TEST_CASE("an unreadable data shard counts as a missing shard", "[object_layer]") {
  TestCluster c;
  const std::string data = RandomBytes(kStripe, 24);  // exactly one stripe
  auto put = c.Put("one", data);
  REQUIRE(put.ok());
  const auto data_drives = c.DataShardDrives("one");
  REQUIRE(data_drives.size() == 4);
  c.drive(data_drives[2]).faults().fail_reads = true;
  StatsSnapshot before(c.layer().stats());
  CHECK(Same(c.Read("one", *put, 0, data.size()), data));
  StatsSnapshot after(c.layer().stats());
  CHECK(after.reconstructed - before.reconstructed == 1);
  CHECK(after.missing - before.missing == 1);
}

// ---- Write faults --------------------------------------------------------------

enum class WriteStep { kCreate, kAppend, kCommit };

void SetShardFault(TestCluster& c, const std::vector<int>& which, WriteStep step) {
  for (int i : which) {
    auto& f = c.drive(i).faults();
    (step == WriteStep::kCreate   ? f.fail_create_shard
     : step == WriteStep::kAppend ? f.fail_append
                                  : f.fail_commit) = true;
  }
}

void ShardFaultsOnTwoDrives(WriteStep step) {
  TestCluster c;
  const std::string data = RandomBytes(2 * kStripe + 3, 40);
  SetShardFault(c, {1, 3}, step);
  auto put = c.Put("k", data);
  REQUIRE(put.ok());
  CHECK(Same(c.Get("k"), data));
  c.ClearFaults();
  CHECK(Same(c.Get("k"), data));
  CHECK(DrivesHolding(c, "k", put->version_id) == 4);
  CHECK(c.Versions(1, "k").empty());
  CHECK(c.Versions(3, "k").empty());
  CHECK(c.AllShardFiles() == std::map<std::string, int>{{put->segments[0].data_id, 4}});
}

void ShardFaultsOnThreeDrives(WriteStep step) {
  TestCluster c;
  const std::string data = RandomBytes(2 * kStripe + 3, 41);
  SetShardFault(c, {0, 2, 5}, step);
  auto put = c.Put("k", data);
  CHECK(put.status().code() == Code::kUnavailable);
  c.ClearFaults();
  CheckAbsentEverywhere(c, "k");
  for (int i = 0; i < TestCluster::kN; ++i) {
    CAPTURE(i);
    CHECK(c.ShardFiles(i).empty());
  }
}

TEST_CASE("shard writes failing on two drives are tolerated", "[object_layer]") {
  SECTION("create") { ShardFaultsOnTwoDrives(WriteStep::kCreate); }
  SECTION("append") { ShardFaultsOnTwoDrives(WriteStep::kAppend); }
  SECTION("commit") { ShardFaultsOnTwoDrives(WriteStep::kCommit); }
}

TEST_CASE("shard writes failing on three drives fail the put and leave nothing",
          "[object_layer]") {
  SECTION("create") { ShardFaultsOnThreeDrives(WriteStep::kCreate); }
  SECTION("append") { ShardFaultsOnThreeDrives(WriteStep::kAppend); }
}

// When fewer than k shard commits succeed, the shards that did commit (linked
// on the healthy drives) are discarded at once, not left for the sweep.
TEST_CASE("shard commits failing on three drives fail the put and leave nothing",
          "[object_layer]") {
  ShardFaultsOnThreeDrives(WriteStep::kCommit);
}

TEST_CASE("a commit that fails on three drives leaves the old object in place",
          "[object_layer]") {
  const uint64_t size = GENERATE(uint64_t{1000}, kStripe + 9);
  const bool committed_anyway = GENERATE(false, true);  // apply_then_fail vs fail_apply
  CAPTURE(size, committed_anyway);
  TestCluster c;
  const std::string old_data = RandomBytes(size, 60);
  auto old_put = c.Put("k", old_data);
  REQUIRE(old_put.ok());
  const auto old_files = c.AllShardFiles();
  for (int i : {0, 2, 4}) {
    (committed_anyway ? c.drive(i).faults().apply_then_fail : c.drive(i).faults().fail_apply) =
        true;
  }
  auto put = c.Put("k", RandomBytes(size, 61));
  CHECK(put.status().code() == Code::kUnavailable);
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->version_id == old_put->version_id);
  CHECK(Same(c.Get("k"), old_data));
  c.ClearFaults();
  head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->version_id == old_put->version_id);
  CHECK(Same(c.Get("k"), old_data));
  CHECK(DrivesHolding(c, "k", old_put->version_id) == TestCluster::kN);
  if (!committed_anyway) {
    for (int i = 0; i < TestCluster::kN; ++i) CHECK(c.Versions(i, "k").size() == 1);
  }
  // A drive that refuses every Apply cannot be told to drop the failed
  // write's shard files either: those wait for the start-up sweep. The
  // healthy drives keep only the old object's.
  for (int i : {1, 3, 5}) CHECK(KeysOf(c.ShardFiles(i)) == KeysOf(old_files));

  // The next good write supersedes both and leaves only itself.
  const std::string newest = RandomBytes(size, 62);
  auto put2 = c.Put("k", newest);
  REQUIRE(put2.ok());
  for (int i = 0; i < TestCluster::kN; ++i) {
    auto versions = c.Versions(i, "k");
    REQUIRE(versions.size() == 1);
    CHECK(versions[0].version_id == put2->version_id);
  }
  if (committed_anyway) {
    CHECK(c.AllShardFiles() == FilesOf(*put2));
  } else {
    for (int i : {1, 3, 5}) CHECK(KeysOf(c.ShardFiles(i)) == KeysOf(FilesOf(*put2)));
  }
  CHECK(Same(c.Get("k"), newest));
}

// ---- Overwrites ----------------------------------------------------------------

TEST_CASE("overwriting a key leaves one version per drive and frees old shards",
          "[object_layer]") {
  TestCluster c;
  std::string last_version;
  uint32_t seed = 70;
  for (uint64_t size : {kStripe + 1, uint64_t{100}, 2 * kStripe, kInline + 1, uint64_t{0},
                        kStripe + 5, kStripe + 5}) {
    CAPTURE(size);
    const std::string data = RandomBytes(size, seed++);
    auto put = c.Put("same", data);
    REQUIRE(put.ok());
    CHECK(put->version_id > last_version);
    last_version = put->version_id;
    for (int i = 0; i < TestCluster::kN; ++i) {
      auto versions = c.Versions(i, "same");
      REQUIRE(versions.size() == 1);
      CHECK(versions[0].version_id == put->version_id);
    }
    CHECK(c.AllShardFiles() == FilesOf(*put));
    CHECK(Same(c.Get("same"), data));
  }
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "same")).ok());
  CheckAbsentEverywhere(c, "same");
  CHECK(c.AllShardFiles().empty());
}

TEST_CASE("two racing overwrites leave one version, the newer", "[object_layer]") {
  TestCluster c;
  REQUIRE(c.Put("race", RandomBytes(kStripe + 3, 75)).ok());
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    const std::string a = RandomBytes(kStripe + 10 + round, 76 + round);
    const std::string b = RandomBytes(2 * kStripe + round, 86 + round);
    StringSource body_a(a, 64 << 10), body_b(b, 64 << 10);
    std::optional<Result<meta::VersionRecord>> put_a, put_b;
    auto both = [&]() -> Task<int> {
      co_await server::ParallelEach(2, [&](size_t i) -> Task<void> {
        PutObjectArgs args;
        args.bucket = kBucket;
        args.key = "race";
        // Named, not a temporary: see server/async.h on GCC 12 and co_await.
        FinishWrite finish = EtagOf(i == 0 ? a : b);
        auto put = co_await c.layer().PutObject(std::move(args), i == 0 ? body_a : body_b,
                                                std::move(finish));
        (i == 0 ? put_a : put_b).emplace(std::move(put));
      });
      co_return 0;
    };
    c.Run(both());
    REQUIRE(put_a->ok());
    REQUIRE(put_b->ok());
    const bool a_newer = (*put_a)->version_id > (*put_b)->version_id;
    const meta::VersionRecord& winner = a_newer ? **put_a : **put_b;
    auto head = c.Head("race");
    REQUIRE(head.ok());
    CHECK(head->version_id == winner.version_id);
    CHECK(Same(c.Get("race"), a_newer ? a : b));
    for (int i = 0; i < TestCluster::kN; ++i) {
      CAPTURE(i);
      auto versions = c.Versions(i, "race");
      CHECK(versions.size() == 1);
      REQUIRE_FALSE(versions.empty());
      CHECK(versions[0].version_id == winner.version_id);
    }
    CHECK(c.AllShardFiles() == FilesOf(winner));
  }
}

// ---- Listing -------------------------------------------------------------------

struct Listed {
  std::vector<std::string> objects, prefixes;
};

Listed ListAll(TestCluster& c, ListArgs args) {
  auto r = c.List(args);
  REQUIRE(r.ok());
  CHECK_FALSE(r->truncated);
  Listed out;
  for (const auto& [key, record] : r->objects) out.objects.push_back(key);
  out.prefixes = r->common_prefixes;
  return out;
}

// Pages through with start_after = next_marker; every entry exactly once, in order.
Listed ListPaged(TestCluster& c, ListArgs args, size_t max_keys) {
  Listed out;
  std::string previous;
  args.max_keys = max_keys;
  for (int page = 0; page < 200; ++page) {
    auto r = c.List(args);
    REQUIRE(r.ok());
    CHECK(r->objects.size() + r->common_prefixes.size() <= max_keys);
    for (const auto& [key, record] : r->objects) {
      CHECK(key > args.start_after);
      out.objects.push_back(key);
    }
    for (const auto& p : r->common_prefixes) {
      CHECK(p > args.start_after);
      out.prefixes.push_back(p);
    }
    if (!r->truncated) return out;
    REQUIRE(r->next_marker > args.start_after);
    args.start_after = r->next_marker;
  }
  FAIL("listing did not end");
  return out;
}

TEST_CASE("listing: prefixes, delimiters and paging", "[object_layer]") {
  TestCluster c;
  std::vector<std::string> keys = {"a", "b/1", "b/2", "b/c/3", "b/c/4", "c", "d/x/1",
                                   "e", "f/", "f/g", "z", "~"};
  for (int i = 0; i < 20; ++i) keys.push_back("k" + std::to_string(100 + i));
  std::sort(keys.begin(), keys.end());
  std::map<std::string, std::string> versions;
  for (const auto& key : keys) {
    auto put = c.Put(key, "body of " + key);
    REQUIRE(put.ok());
    versions[key] = put->version_id;
  }

  auto all = c.List(ListArgs{});
  REQUIRE(all.ok());
  REQUIRE(all->objects.size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    CHECK(all->objects[i].first == keys[i]);
    CHECK(all->objects[i].second.version_id == versions[keys[i]]);
    CHECK(all->objects[i].second.etag == HexMd5Of("body of " + keys[i]));
  }
  CHECK(all->common_prefixes.empty());

  ListArgs delim;
  delim.delimiter = "/";
  Listed top = ListAll(c, delim);
  std::vector<std::string> top_objects = {"a", "c", "e"};
  for (int i = 0; i < 20; ++i) top_objects.push_back("k" + std::to_string(100 + i));
  top_objects.push_back("z");
  top_objects.push_back("~");
  CHECK(top.objects == top_objects);
  CHECK(top.prefixes == std::vector<std::string>{"b/", "d/", "f/"});

  ListArgs under_b;
  under_b.prefix = "b/";
  under_b.delimiter = "/";
  Listed b = ListAll(c, under_b);
  CHECK(b.objects == std::vector<std::string>{"b/1", "b/2"});
  CHECK(b.prefixes == std::vector<std::string>{"b/c/"});

  ListArgs under_f;
  under_f.prefix = "f/";
  under_f.delimiter = "/";
  Listed f = ListAll(c, under_f);
  CHECK(f.objects == std::vector<std::string>{"f/", "f/g"});
  CHECK(f.prefixes.empty());

  ListArgs none;
  none.prefix = "nothing-here";
  Listed empty = ListAll(c, none);
  CHECK(empty.objects.empty());
  CHECK(empty.prefixes.empty());

  ListArgs after;
  after.start_after = "k119";
  CHECK(ListAll(c, after).objects == std::vector<std::string>{"z", "~"});

  for (size_t max_keys : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{1000}}) {
    CAPTURE(max_keys);
    Listed paged = ListPaged(c, ListArgs{}, max_keys);
    CHECK(paged.objects == keys);
    CHECK(paged.prefixes.empty());
    Listed paged_delim = ListPaged(c, delim, max_keys);
    CHECK(paged_delim.objects == top.objects);
    CHECK(paged_delim.prefixes == top.prefixes);
    Listed paged_b = ListPaged(c, under_b, max_keys);
    CHECK(paged_b.objects == b.objects);
    CHECK(paged_b.prefixes == b.prefixes);
  }
}

TEST_CASE("a drive failing its list calls is replaced by another of its set",
          "[object_layer]") {
  TestCluster c;
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) {
    keys.push_back("key" + std::to_string(1000 + i));
    REQUIRE(c.Put(keys.back(), "body " + keys.back()).ok());
  }
  ListVersionsArgs versions;
  versions.bucket = std::string(kBucket);
  // L = max(k, m + 1) = 4 of 6 drives are listed: drives 0..3 first.
  for (int failing : {1, 2}) {
    CAPTURE(failing);
    for (int d = 0; d < failing; ++d) c.drive(d).faults().fail_lists = true;
    CHECK(ListAll(c, ListArgs{}).objects == keys);
    CHECK(ListPaged(c, ListArgs{}, 7).objects == keys);
    auto listed = c.Run(c.layer().ListObjectVersions(versions));
    REQUIRE(listed.ok());
    CHECK(listed->versions.size() == keys.size());
    c.ClearFaults();
  }
  // Three failing: one spare short of L in the set.
  for (int d = 0; d < 3; ++d) c.drive(d).faults().fail_lists = true;
  CHECK(c.List(ListArgs{}).status().code() == Code::kUnavailable);
  CHECK(c.Run(c.layer().ListObjectVersions(versions)).status().code() == Code::kUnavailable);
}

TEST_CASE("a key one drive missed is listed once with the right record", "[object_layer]") {
  TestCluster c;
  std::map<std::string, std::string> versions;
  for (int d = 0; d < TestCluster::kN; ++d) {
    const std::string key = "lack/" + std::to_string(d);
    c.SetOffline({d}, true);
    auto put = c.Put(key, "missed by drive " + std::to_string(d));
    c.SetOffline({d}, false);
    REQUIRE(put.ok());
    CHECK(c.Versions(d, key).empty());
    versions[key] = put->version_id;
  }
  auto put = c.Put("lack/none", "on all drives");
  REQUIRE(put.ok());
  versions["lack/none"] = put->version_id;

  for (size_t max_keys : {size_t{1}, size_t{3}, size_t{1000}}) {
    CAPTURE(max_keys);
    ListArgs args;
    args.prefix = "lack/";
    args.max_keys = max_keys;
    std::map<std::string, int> seen;
    for (int page = 0; page < 50; ++page) {
      auto r = c.List(args);
      REQUIRE(r.ok());
      for (const auto& [key, record] : r->objects) {
        CAPTURE(key);
        seen[key]++;
        REQUIRE(versions.count(key) == 1);
        CHECK(record.version_id == versions[key]);
        CHECK(record.etag == HexMd5Of(key == "lack/none" ? std::string("on all drives")
                                                         : "missed by drive " + key.substr(5)));
      }
      if (!r->truncated) break;
      args.start_after = r->next_marker;
    }
    CHECK(seen.size() == versions.size());
    for (const auto& [key, n] : seen) CHECK(n == 1);
  }
  ListArgs delim;
  delim.delimiter = "/";
  Listed top = ListAll(c, delim);
  CHECK(top.objects.empty());
  CHECK(top.prefixes == std::vector<std::string>{"lack/"});
}

// Commits a version of `key` straight to `drives` (inline, no shard files),
// as a PUT that crashed before reaching quorum would have left it.
meta::VersionRecord PutBelowQuorum(TestCluster& c, const std::string& key,
                                   const std::vector<int>& drives) {
  meta::VersionRecord record;
  record.version_id = meta::NewVersionId(Clock::Real().Now());
  record.null_version = true;
  record.mtime = Clock::Real().Now();
  record.size = 5;
  record.etag = HexMd5Of("ghost");
  record.k = 4;
  record.m = 2;
  record.inline_data = true;
  record.storage_class = "STANDARD";
  meta::Segment seg;
  seg.size = 5;
  seg.etag = record.etag;
  seg.block_size = 64;
  record.segments.push_back(seg);
  for (size_t j = 0; j < drives.size(); ++j) {
    server::DriveTxn txn;
    server::DriveTxn::PutVersion op{kBucket, key, record, std::string(8, 'g')};
    op.record.shard_index = static_cast<uint8_t>(j);
    txn.put_versions.push_back(std::move(op));
    REQUIRE(c.Run(c.drive(drives[j]).inner().Apply(std::move(txn))).ok());
  }
  return record;
}

TEST_CASE("a version on fewer than k drives is neither listed nor returned", "[object_layer]") {
  TestCluster c;
  auto real = c.Put("real", "committed");
  REQUIRE(real.ok());
  const std::vector<std::vector<int>> patterns = {{0, 1}, {0, 1, 2}, {1, 2, 3}, {3, 4, 5}};
  const std::vector<int> holders = patterns[GENERATE(0, 1, 2, 3)];
  CAPTURE(holders);
  PutBelowQuorum(c, "ghost", holders);
  PutBelowQuorum(c, "real", holders);  // newer than the committed one, on too few drives

  CHECK(c.Head("ghost").status().code() == Code::kNoSuchKey);
  auto head = c.Head("real");
  REQUIRE(head.ok());
  CHECK(head->version_id == real->version_id);
  CHECK(Same(c.Get("real"), "committed"));

  for (size_t max_keys : {size_t{1}, size_t{1000}}) {
    CAPTURE(max_keys);
    ListArgs args;
    args.max_keys = max_keys;
    std::vector<std::pair<std::string, std::string>> listed;  // key, version
    for (int page = 0; page < 10; ++page) {
      auto r = c.List(args);
      REQUIRE(r.ok());
      for (const auto& [key, record] : r->objects) listed.emplace_back(key, record.version_id);
      if (!r->truncated) break;
      args.start_after = r->next_marker;
    }
    CHECK(listed == std::vector<std::pair<std::string, std::string>>{{"real", real->version_id}});
  }
}

TEST_CASE("a common prefix that only a below-quorum key creates is not listed",
          "[object_layer]") {
  TestCluster c;
  REQUIRE(c.Put("a", "x").ok());
  REQUIRE(c.Put("real/y", "y").ok());
  const std::vector<std::vector<int>> patterns = {{0, 1}, {0, 1, 2}, {2, 3, 4}};
  const std::vector<int> holders = patterns[GENERATE(0, 1, 2)];
  CAPTURE(holders);
  PutBelowQuorum(c, "phantom/x", holders);
  PutBelowQuorum(c, "phantom/deeper/z", holders);

  ListArgs delim;
  delim.delimiter = "/";
  Listed top = ListAll(c, delim);
  CHECK(top.objects == std::vector<std::string>{"a"});
  CHECK(top.prefixes == std::vector<std::string>{"real/"});
  Listed paged = ListPaged(c, delim, 1);
  CHECK(paged.objects == top.objects);
  CHECK(paged.prefixes == top.prefixes);

  ListArgs under;
  under.prefix = "phantom/";
  under.delimiter = "/";
  Listed inside = ListAll(c, under);
  CHECK(inside.objects.empty());
  CHECK(inside.prefixes.empty());
}

// ---- Multipart -----------------------------------------------------------------

Result<meta::PartRecord> UploadPart(TestCluster& c, const std::string& key,
                                    const std::string& upload_id, uint32_t number,
                                    const std::string& data) {
  StringSource body(data, 300000);
  return c.Run(
      c.layer().PutPart(kBucket, key, upload_id, number, data.size(), body, EtagOf(data)));
}

std::string StartUpload(TestCluster& c, const std::string& key) {
  UploadArgs args;
  args.bucket = kBucket;
  args.key = key;
  args.headers = {{"content-type", "video/mp4"}};
  auto id = c.Run(c.layer().CreateUpload(std::move(args)));
  REQUIRE(id.ok());
  return *id;
}

Result<meta::VersionRecord> Complete(TestCluster& c, const std::string& key,
                                     const std::string& upload_id,
                                     std::vector<CompletePart> parts) {
  return c.Run(c.layer().CompleteUpload(kBucket, key, upload_id, std::move(parts)));
}

TEST_CASE("multipart: parts complete into one object with the S3 ETag", "[object_layer]") {
  TestCluster c;
  const std::string id = StartUpload(c, "mp");
  const std::string p1 = RandomBytes(kMinPartSize, 81);
  const std::string p2 = RandomBytes(kMinPartSize, 82);
  const std::string p3 = RandomBytes(1000, 83);
  const std::string p4 = RandomBytes(777, 84);
  auto r1 = UploadPart(c, "mp", id, 1, p1);
  auto r2 = UploadPart(c, "mp", id, 2, p2);
  auto r3 = UploadPart(c, "mp", id, 3, p3);
  auto r4 = UploadPart(c, "mp", id, 4, p4);
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  REQUIRE(r3.ok());
  REQUIRE(r4.ok());
  CHECK(r1->segment.etag == HexMd5Of(p1));
  CHECK(r3->segment.size == 1000);
  auto listed = c.Run(c.layer().ListParts(kBucket, "mp", id));
  REQUIRE(listed.ok());
  CHECK(listed->size() == 4);
  CHECK(c.Head("mp").status().code() == Code::kNoSuchKey);

  auto e1 = r1->segment.etag, e2 = r2->segment.etag, e3 = r3->segment.etag,
       e4 = r4->segment.etag;
  CHECK(Complete(c, "mp", id, {}).status().code() == Code::kMalformedXML);
  CHECK(Complete(c, "mp", id, {{2, e2}, {1, e1}}).status().code() == Code::kInvalidPartOrder);
  CHECK(Complete(c, "mp", id, {{1, e1}, {1, e1}}).status().code() == Code::kInvalidPartOrder);
  CHECK(Complete(c, "mp", id, {{1, e2}, {2, e2}}).status().code() == Code::kInvalidPart);
  CHECK(Complete(c, "mp", id, {{1, e1}, {9, e1}}).status().code() == Code::kInvalidPart);
  CHECK(Complete(c, "mp", id, {{1, "zz"}}).status().code() == Code::kInvalidPart);
  CHECK(Complete(c, "mp", id, {{1, e1}, {3, e3}, {4, e4}}).status().code() ==
        Code::kEntityTooSmall);
  CHECK(Complete(c, "mp", id, {{3, e3}, {4, e4}}).status().code() == Code::kEntityTooSmall);
  // None of that changed anything.
  CHECK(c.Head("mp").status().code() == Code::kNoSuchKey);
  REQUIRE(c.Run(c.layer().GetUpload(kBucket, "mp", id)).ok());
  CHECK(c.AllShardFiles().size() == 4);

  auto done = Complete(c, "mp", id, {{1, e1}, {2, e2}, {4, e4}});
  REQUIRE(done.ok());
  const std::string whole = p1 + p2 + p4;
  CHECK(done->size == whole.size());
  CHECK(done->etag == HexEncode(Md5(Md5(p1) + Md5(p2) + Md5(p4))) + "-3");
  CHECK(done->segments.size() == 3);
  auto head = c.Head("mp");
  REQUIRE(head.ok());
  CHECK(head->etag == done->etag);
  CHECK(head->headers == meta::StringPairs{{"content-type", "video/mp4"}});
  CHECK(Same(c.Get("mp"), whole));
  CHECK(Same(c.Read("mp", *head, kMinPartSize - 5, 10), whole.substr(kMinPartSize - 5, 10)));
  CHECK(Same(c.Read("mp", *head, 2 * kMinPartSize - 1, 778),
             whole.substr(2 * kMinPartSize - 1, 778)));
  CHECK(c.Run(c.layer().GetUpload(kBucket, "mp", id)).status().code() == Code::kNoSuchUpload);
  // The unused part 3 is gone; parts 1, 2 and 4 are the object now.
  CHECK(c.AllShardFiles() == FilesOf(*done));
  CHECK(Complete(c, "mp", id, {{1, e1}}).status().code() == Code::kNoSuchUpload);

  // Overwriting the object frees every part's shards.
  auto put = c.Put("mp", "small now");
  REQUIRE(put.ok());
  CHECK(c.AllShardFiles().empty());
}

TEST_CASE("multipart: a single small part completes", "[object_layer]") {
  TestCluster c;
  const std::string id = StartUpload(c, "one");
  const std::string p1 = RandomBytes(10, 90);
  auto r1 = UploadPart(c, "one", id, 1, p1);
  REQUIRE(r1.ok());
  auto done = Complete(c, "one", id, {{1, r1->segment.etag}});
  REQUIRE(done.ok());
  CHECK(done->etag == HexEncode(Md5(Md5(p1))) + "-1");
  CHECK(Same(c.Get("one"), p1));
}

TEST_CASE("multipart: abort removes the parts and their shard files", "[object_layer]") {
  TestCluster c;
  const std::string id = StartUpload(c, "gone");
  REQUIRE(UploadPart(c, "gone", id, 1, RandomBytes(3000, 91)).ok());
  REQUIRE(UploadPart(c, "gone", id, 2, RandomBytes(kStripe + 1, 92)).ok());
  auto again = UploadPart(c, "gone", id, 1, RandomBytes(4000, 93));  // replaces part 1
  REQUIRE(again.ok());
  auto files = c.AllShardFiles();
  CHECK(files.size() == 2);
  CHECK(files.count(again->segment.data_id) == 1);
  for (const auto& [data_id, drives] : files) CHECK(drives == TestCluster::kN);

  REQUIRE(c.Run(c.layer().AbortUpload(kBucket, "gone", id)).ok());
  CHECK(c.AllShardFiles().empty());
  CHECK(c.Run(c.layer().GetUpload(kBucket, "gone", id)).status().code() == Code::kNoSuchUpload);
  CHECK(c.Run(c.layer().AbortUpload(kBucket, "gone", id)).code() == Code::kNoSuchUpload);
  CHECK(UploadPart(c, "gone", id, 3, "late").status().code() == Code::kNoSuchUpload);
  ListUploadsArgs list;
  list.bucket = kBucket;
  auto uploads = c.Run(c.layer().ListUploads(list));
  REQUIRE(uploads.ok());
  CHECK(uploads->empty());
  CHECK(c.Head("gone").status().code() == Code::kNoSuchKey);
  CHECK(c.AllShardFiles().empty());
}

}  // namespace
}  // namespace strata::gw
