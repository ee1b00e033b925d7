// Healing over six real drives (and a cold pool of six more): what a drive
// missed while offline, lost, or let rot is put back from the others, and
// nothing is put back that should not be (deleted or below-quorum versions,
// older metadata over newer).
#include <catch2/catch.hpp>
#include <fstream>

#include "gateway/cluster_lease.h"
#include "gateway/data_store.h"
#include "gateway/healer.h"
#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

constexpr const char* kBucket = TestCluster::kBucket;
constexpr int kN = TestCluster::kN;

Result<HealReport> Heal(TestCluster& c, const std::string& key) {
  return c.Run(c.layer().HealObject(kBucket, key));
}

Result<HealReport> Scan(TestCluster& c, bool deep = false) {
  HealScanArgs args;
  args.deep = deep;
  return c.Run(c.layer().HealScan(std::move(args)));
}

// Byte strings of megabytes: compared without Catch printing them.
bool Same(const std::string& a, const std::string& b) { return a == b; }

// Every pair of drives other than `keep` (within drives [from, from + kN)).
std::vector<std::pair<int, int>> OtherPairs(int keep, int from = 0) {
  std::vector<std::pair<int, int>> out;
  for (int a = from; a < from + kN; ++a)
    for (int b = a + 1; b < from + kN; ++b)
      if (a != keep && b != keep) out.emplace_back(a, b);
  return out;
}

// The object reads back whole with every pair of drives but `keep` away:
// the healed drive's shard is really there and really good.
void CheckReadsWithoutOthers(TestCluster& c, const std::string& key, const std::string& data,
                             int keep, int from = 0) {
  for (auto [a, b] : OtherPairs(keep, from)) {
    INFO("drives " << a << " and " << b << " offline");
    c.SetOffline({a, b}, true);
    auto got = c.Get(key);
    c.SetOffline({a, b}, false);
    REQUIRE(got.ok());
    CHECK(Same(*got, data));
  }
}

std::filesystem::path ShardPath(TestCluster& c, int drive, const std::string& data_id) {
  return c.root() / ("drive" + std::to_string(drive)) / "data" / data_id.substr(data_id.size() - 2) /
         data_id;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void FlipByte(const std::filesystem::path& p, uint64_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

// The drive (of the first pool) whose record of `key` names shard `shard`.
int DriveOfShard(TestCluster& c, const std::string& key, int shard, int from = 0) {
  for (int i = from; i < from + kN; ++i) {
    auto v = c.Run(c.drive(i).inner().GetVersions(kBucket, key));
    if (v.ok() && !v->empty() && v->front().shard_index == shard) return i;
  }
  FAIL("no drive holds shard " << shard);
  return -1;
}

// A FakeClock that moves only when the healer sleeps.
struct FakeTime {
  FakeClock clock{Clock::Real().Now()};
  std::chrono::microseconds slept{0};
  int sleeps = 0;
  std::function<void()> on_sleep;
  SleepFn Sleep() {
    return [this](std::chrono::microseconds d) -> Task<void> {
      clock.Advance(d);
      slept += d;
      ++sleeps;
      if (on_sleep) on_sleep();
      co_return;
    };
  }
};

// Run() as a task with a value (RunOn needs one).
Task<bool> RunUntilStopped(Healer& healer, const std::atomic<bool>& stop) {
  co_await healer.Run(stop);
  co_return true;
}

// Claims the healer's lease for `holder` (another gateway holding it).
Task<bool> ClusterLeaseOf(TestCluster& c, FakeTime& time, std::string holder) {
  ClusterLease lease(&c.layer(), &time.clock, "healer", std::move(holder),
                     std::chrono::hours(24));
  co_return co_await lease.Acquire();
}

HealerOptions FakeOptions(TestCluster& c, FakeTime& time) {
  HealerOptions o;
  o.objects = &c.layer();
  o.clock = &time.clock;
  o.sleep = time.Sleep();
  o.objects_per_second = 0;
  o.bitrot_bytes_per_second = 0;
  return o;
}

TEST_CASE("a version written while a drive was offline is healed onto it", "[heal]") {
  TestCluster c;
  const std::string big = RandomBytes((3 << 20) + 77, 1);
  const std::string small = RandomBytes(1000, 2);
  c.SetOffline({2}, true);
  auto put_big = c.Put("big", big);
  REQUIRE(c.Put("small", small).ok());
  c.SetOffline({2}, false);
  REQUIRE(put_big.ok());
  REQUIRE(c.Versions(2, "big").empty());
  REQUIRE(c.ShardFiles(2).empty());

  auto healed = Heal(c, "big");
  REQUIRE(healed.ok());
  CHECK(healed->objects_examined == 1);
  CHECK(healed->versions_examined == 1);
  CHECK(healed->records_written == 1);
  CHECK(healed->shards_rebuilt == 1);
  CHECK(healed->bytes_rebuilt == c.ShardFiles(0).begin()->second);
  CHECK(healed->failures == 0);
  auto on_two = c.Versions(2, "big");
  REQUIRE(on_two.size() == 1);
  CHECK(on_two[0].version_id == put_big->version_id);
  const int shard = on_two[0].shard_index;
  CHECK(c.Versions(0, "big")[0].shard_index != shard);
  // The rebuilt file is byte for byte what the PUT would have written.
  CHECK(c.ShardFiles(2).size() == 1);
  CHECK(c.ShardFiles(2).count(put_big->segments[0].data_id) == 1);
  CheckReadsWithoutOthers(c, "big", big, 2);

  auto small_healed = Heal(c, "small");
  REQUIRE(small_healed.ok());
  CHECK(small_healed->records_written == 1);
  CHECK(small_healed->shards_rebuilt == 1);  // the inline shard, in the record
  CHECK(c.Versions(2, "small").size() == 1);
  CheckReadsWithoutOthers(c, "small", small, 2);

  // Healed is healed: a second look writes nothing.
  auto again = Heal(c, "big");
  REQUIRE(again.ok());
  CHECK(again->records_written == 0);
  CHECK(again->shards_rebuilt == 0);
  CHECK(again->corrupt_shards == 0);
}

TEST_CASE("an overwrite missed while offline: the healed drive drops the old null version",
          "[heal]") {
  TestCluster c;
  auto old_put = c.Put("k", RandomBytes(700 << 10, 16));
  REQUIRE(old_put.ok());
  c.SetOffline({1}, true);
  const std::string data = RandomBytes(800 << 10, 17);
  auto new_put = c.Put("k", data);
  REQUIRE(new_put.ok());
  c.SetOffline({1}, false);
  REQUIRE(c.Versions(1, "k").front().version_id == old_put->version_id);
  auto report = Heal(c, "k");
  REQUIRE(report.ok());
  CHECK(report->records_written == 1);
  auto versions = c.Versions(1, "k");
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].version_id == new_put->version_id);
  const auto files = c.ShardFiles(1);
  CHECK(files.size() == 1);
  CHECK(files.count(new_put->segments[0].data_id) == 1);
  CheckReadsWithoutOthers(c, "k", data, 1);
}

TEST_CASE("a drive that lost everything gets objects, buckets and users back", "[heal]") {
  TestCluster c;
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 6; ++i) {
    objects["obj/" + std::to_string(i)] = RandomBytes(i % 2 ? 700 << 10 : 3000, 10 + i);
  }
  for (const auto& [key, data] : objects) REQUIRE(c.Put(key, data).ok());
  REQUIRE(c.Run(c.layer().CreateBucket("second", "us-east-1")).ok());
  REQUIRE(c.Run(c.layer().SetBucketVersioning("second", "Enabled")).ok());
  // Drive 3 loses everything behind the layer's back (records, shard files,
  // bucket records), and misses a user added and one removed meanwhile.
  auto& inner = c.drive(3).inner();
  for (const auto& [key, data] : objects) {
    server::DriveTxn txn;
    txn.delete_versions.push_back({kBucket, key, c.Versions(3, key).front()});
    REQUIRE(c.Run(inner.Apply(std::move(txn))).ok());
  }
  server::DriveTxn drop_buckets;
  drop_buckets.delete_buckets = {{kBucket}, {"second"}};
  REQUIRE(c.Run(inner.Apply(std::move(drop_buckets))).ok());
  const SysTime now = Clock::Real().Now();
  REQUIRE(c.Run(c.layer().PutConfig({"user", "gone", "{}", now, false})).ok());
  c.SetOffline({3}, true);
  REQUIRE(c.Run(c.layer().PutConfig({"user", "alice", "{}", now, false})).ok());
  REQUIRE(c.Run(c.layer().PutConfig({"user", "gone", "", now + std::chrono::seconds(1), true}))
              .ok());
  c.SetOffline({3}, false);
  REQUIRE(c.ShardFiles(3).empty());
  REQUIRE_FALSE(c.Run(inner.GetBucket(kBucket)).ok());

  FakeTime time;
  Healer healer(FakeOptions(c, time));
  auto report = c.Run(healer.HealNow(std::nullopt));
  REQUIRE(report.ok());
  CHECK(report->objects_examined == objects.size());
  // 6 objects + 2 buckets + alice + the tombstone of "gone".
  CHECK(report->records_written == objects.size() + 4);
  CHECK(report->shards_rebuilt == objects.size());
  CHECK(report->failures == 0);
  CHECK(c.ShardFiles(3).size() == 3);
  auto second = c.Run(inner.GetBucket("second"));
  REQUIRE(second.ok());
  CHECK(second->versioning == "Enabled");
  auto users = c.Run(inner.ListConfig("user"));
  REQUIRE(users.ok());
  REQUIRE(users->size() == 2);
  CHECK(users->at(0).name == "alice");
  CHECK(users->at(1).name == "gone");
  CHECK(users->at(1).deleted);  // a removal reaches the drive that missed it
  for (const auto& [key, data] : objects) CheckReadsWithoutOthers(c, key, data, 3);
  CHECK(healer.status().passes == 1);
  CHECK(healer.status().totals.records_written == report->records_written);
}

TEST_CASE("a corrupt shard file is found by the bitrot scan and rebuilt", "[heal]") {
  TestCluster c;
  metrics::Registry registry;
  const std::string data = RandomBytes((5 << 20) + 3, 3);
  auto put = c.Put("rot", data);
  REQUIRE(put.ok());
  const std::string id = put->segments[0].data_id;
  const int victim = DriveOfShard(c, "rot", 1);
  const auto path = ShardPath(c, victim, id);
  const std::string good = ReadFile(path);
  FlipByte(path, good.size() / 2);
  REQUIRE_FALSE(Same(ReadFile(path), good));

  FakeTime time;
  HealerOptions options = FakeOptions(c, time);
  options.registry = &registry;
  options.bitrot_bytes_per_second = 64 << 20;
  Healer healer(options);
  const std::atomic<bool> no_stop{false};
  // A shallow pass sees drives that agree and reads no shard.
  auto pass = c.Run(healer.PassOnce(no_stop));
  REQUIRE(pass.ok());
  CHECK(pass->bytes_verified == 0);
  CHECK(pass->shards_rebuilt == 0);
  CHECK_FALSE(Same(ReadFile(path), good));

  auto scan = c.Run(healer.BitrotScanOnce(no_stop));
  REQUIRE(scan.ok());
  CHECK(scan->corrupt_shards == 1);
  CHECK(scan->shards_rebuilt == 1);
  CHECK(scan->records_written == 0);
  CHECK(scan->bytes_verified >= data.size());
  CHECK(Same(ReadFile(path), good));
  CHECK(Same(c.Get("rot").value(), data));
  const std::string text = registry.Render();
  CHECK(text.find("strata_bitrot_corrupt_shards_total 1") != std::string::npos);
  CHECK(text.find("strata_heal_shards_rebuilt_total 1") != std::string::npos);
  CheckReadsWithoutOthers(c, "rot", data, victim);

  // A shard file gone altogether counts the same way.
  c.DrainBlocking();
  std::filesystem::remove(path);
  auto missing = c.Run(healer.BitrotScanOnce(no_stop));
  REQUIRE(missing.ok());
  CHECK(missing->corrupt_shards == 1);
  CHECK(Same(ReadFile(path), good));
}

TEST_CASE("a read that needed parity queues the object; the healer repairs it", "[heal]") {
  TestCluster c;
  const std::string data = RandomBytes((2 << 20) + 5, 4);
  auto put = c.Put("k", data);
  REQUIRE(put.ok());
  const int victim = DriveOfShard(c, "k", 0);  // a data shard: reads need it
  const auto path = ShardPath(c, victim, put->segments[0].data_id);
  const std::string good = ReadFile(path);
  FlipByte(path, 10);
  for (int i = 0; i < 3; ++i) CHECK(Same(c.Get("k").value(), data));
  CHECK(c.layer().heal_queue_length() == 1);  // once, however often it was read

  FakeTime time;
  Healer healer(FakeOptions(c, time));
  const std::atomic<bool> no_stop{false};
  auto drained = c.Run(healer.DrainQueue(no_stop));
  CHECK(drained.shards_rebuilt == 1);
  CHECK(c.layer().heal_queue_length() == 0);
  CHECK(Same(ReadFile(path), good));
  const uint64_t rebuilt_before = c.layer().stats().reconstructed_stripes.load();
  CHECK(Same(c.Get("k").value(), data));
  CHECK(c.layer().stats().reconstructed_stripes.load() == rebuilt_before);
  CHECK(c.layer().heal_queue_length() == 0);
}

TEST_CASE("the heal queue is bounded and de-duplicated", "[heal]") {
  TestCluster c;
  CHECK(c.layer().QueueHeal(kBucket, "a"));
  CHECK_FALSE(c.layer().QueueHeal(kBucket, "a"));
  for (size_t i = 1; i < kHealQueueMax; ++i) {
    REQUIRE(c.layer().QueueHeal(kBucket, "k" + std::to_string(i)));
  }
  CHECK_FALSE(c.layer().QueueHeal(kBucket, "one too many"));
  CHECK(c.layer().stats().heal_queue_dropped.load() == 1);
  auto first = c.layer().TakeQueuedHeals(2);
  REQUIRE(first.size() == 2);
  CHECK(first[0].second == "a");
  CHECK(c.layer().QueueHeal(kBucket, "a"));  // taken, so it may come again
}

TEST_CASE("a stale record is replaced by the freshest, in place, even when locked", "[heal]") {
  TestCluster c;
  const std::string data = RandomBytes(300 << 10, 5);
  StringSource body(data);
  PutObjectArgs args;
  args.bucket = kBucket;
  args.key = "k";
  args.size = data.size();
  args.tags = {{"stage", "raw"}};
  args.lock = {"GOVERNANCE", Clock::Real().Now() + std::chrono::hours(1), false};
  auto put = c.Run(c.layer().PutObject(std::move(args), body, EtagOf(data)));
  REQUIRE(put.ok());
  c.SetOffline({4}, true);
  VersionRef latest = VersionRef::Latest();
  REQUIRE(c.Run(c.layer().SetObjectTags(kBucket, "k", latest, {{"stage", "curated"}})).ok());
  REQUIRE(c.Run(c.layer().SetObjectLegalHold(kBucket, "k", latest, true)).ok());
  c.SetOffline({4}, false);
  const auto fresh = c.Versions(0, "k").front();
  REQUIRE(c.Versions(4, "k").front().updated < fresh.updated);

  // A shallow scan finds the disagreement (same version, older `updated`).
  auto report = Scan(c);
  REQUIRE(report.ok());
  CHECK(report->records_written == 1);
  CHECK(report->shards_rebuilt == 0);
  CHECK(report->failures == 0);
  const auto healed = c.Versions(4, "k").front();
  CHECK(healed.tags == meta::StringPairs{{"stage", "curated"}});
  CHECK(healed.legal_hold);
  CHECK(healed.retention_mode == "GOVERNANCE");
  CHECK(healed.updated == fresh.updated);
  CHECK(healed.shard_index != fresh.shard_index);  // its own shard, untouched

  // A drive ahead of the others (a newer update it alone took) is never
  // set back.
  server::DriveTxn ahead;
  ahead.set_tags.push_back({kBucket, "k", put->version_id, {{"stage", "newest"}},
                            fresh.updated + std::chrono::seconds(5)});
  REQUIRE(c.Run(c.drive(1).inner().Apply(std::move(ahead))).ok());
  REQUIRE(Heal(c, "k").ok());
  CHECK(c.Versions(1, "k").front().tags == meta::StringPairs{{"stage", "newest"}});
  // ... and its update, the freshest, is what the others take (readers
  // already prefer it).
  CHECK(c.Versions(0, "k").front().tags == meta::StringPairs{{"stage", "newest"}});
}

TEST_CASE("healing never brings back a deleted or a below-quorum version", "[heal]") {
  TestCluster c;
  REQUIRE(c.Put("gone", RandomBytes(600 << 10, 6)).ok());
  c.SetOffline({5}, true);
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "gone")).ok());
  c.SetOffline({5}, false);
  REQUIRE(c.Versions(5, "gone").size() == 1);  // the drive that missed the delete

  // A write that reached k - 1 drives only (as a crash leaves it).
  REQUIRE(c.Put("partial", RandomBytes(500 << 10, 7)).ok());
  for (int i : {0, 1, 2}) {
    server::DriveTxn txn;
    txn.delete_versions.push_back({kBucket, "partial", c.Versions(i, "partial").front()});
    REQUIRE(c.Run(c.drive(i).inner().Apply(std::move(txn))).ok());
  }

  for (bool deep : {false, true}) {
    auto report = Scan(c, deep);
    REQUIRE(report.ok());
    CHECK(report->records_written == 0);
    CHECK(report->shards_rebuilt == 0);
  }
  REQUIRE(Heal(c, "gone").ok());
  REQUIRE(Heal(c, "partial").ok());
  CHECK(c.Head("gone").status().code() == Code::kNoSuchKey);
  CHECK(c.Head("partial").status().code() == Code::kNoSuchKey);
  for (int i = 0; i < kN; ++i) {
    CHECK(c.Versions(i, "gone").size() == (i == 5 ? 1u : 0u));
    CHECK(c.Versions(i, "partial").size() == (i < 3 ? 0u : 1u));
  }

  // A delete marker removed (by id) while a drive was away: copying it back
  // would hide the object again. No data to rebuild here, so only the
  // quorum rule stands in the way.
  REQUIRE(c.Run(c.layer().CreateBucket("versioned", "us-east-1")).ok());
  REQUIRE(c.Run(c.layer().SetBucketVersioning("versioned", "Enabled")).ok());
  StringSource body("visible");
  PutObjectArgs args;
  args.bucket = "versioned";
  args.key = "v";
  args.size = 7;
  REQUIRE(c.Run(c.layer().PutObject(std::move(args), body, EtagOf("visible"))).ok());
  auto marker = c.Run(c.layer().DeleteObject("versioned", "v"));
  REQUIRE(marker.ok());
  REQUIRE(marker->delete_marker);
  auto marker_id = ParseVersionId(marker->version_id);
  REQUIRE(marker_id.ok());
  c.SetOffline({5}, true);
  REQUIRE(c.Run(c.layer().DeleteObject("versioned", "v", *marker_id)).ok());
  c.SetOffline({5}, false);
  for (bool deep : {false, true}) {
    auto report = Scan(c, deep);
    REQUIRE(report.ok());
    CHECK(report->records_written == 0);
  }
  REQUIRE(c.Run(c.layer().HealObject("versioned", "v")).ok());
  auto head = c.Run(c.layer().HeadObject("versioned", "v"));
  REQUIRE(head.ok());
  CHECK_FALSE(head->delete_marker);

  // A bucket deleted while a drive was away stays deleted.
  REQUIRE(c.Run(c.layer().CreateBucket("tmp", "us-east-1")).ok());
  c.SetOffline({0}, true);
  REQUIRE(c.Run(c.layer().DeleteBucket("tmp")).ok());
  c.SetOffline({0}, false);
  auto records = c.Run(c.layer().HealBuckets());
  REQUIRE(records.ok());
  CHECK(records->records_written == 0);
  CHECK(c.Run(c.drive(1).inner().GetBucket("tmp")).status().code() == Code::kNoSuchBucket);
}

TEST_CASE("a version deleted while it was being healed is taken back off", "[heal]") {
  TestCluster c;
  REQUIRE(c.Put("race", RandomBytes(400 << 10, 14)).ok());
  c.SetOffline({4}, true);
  REQUIRE(c.Put("race", RandomBytes(500 << 10, 15)).ok());  // the null version, replaced
  c.SetOffline({4}, false);
  const auto newest = c.Versions(0, "race").front();
  // Drive 4 missed the overwrite. Just as the healer writes the new version
  // there, a DELETE removes it from every other drive (as a client's would).
  bool fired = false;
  c.drive(4).BeforeApply([&](const server::DriveTxn& txn) -> Task<void> {
    if (fired || txn.put_versions.empty()) co_return;
    fired = true;
    for (int i = 0; i < kN; ++i) {
      if (i == 4) continue;
      server::DriveTxn del;
      del.delete_versions.push_back({kBucket, "race", newest});
      REQUIRE((co_await c.drive(i).inner().Apply(std::move(del))).ok());
    }
  });
  auto report = Heal(c, "race");
  REQUIRE(report.ok());
  CHECK(fired);
  // The copy went on, then came off again: the delete wins.
  CHECK(report->records_written == 0);
  for (const auto& v : c.Versions(4, "race")) CHECK(v.version_id != newest.version_id);
  c.DrainBlocking();
  CHECK(c.ShardFiles(4).count(newest.segments[0].data_id) == 0);
}

Result<meta::PartRecord> UploadPart(TestCluster& c, const std::string& key, const std::string& id,
                                    uint32_t number, const std::string& data) {
  StringSource body(data);
  return c.Run(c.layer().PutPart(kBucket, key, id, number, data.size(), body, EtagOf(data)));
}

TEST_CASE("multipart objects heal part by part", "[heal]") {
  TestCluster c;
  UploadArgs args;
  args.bucket = kBucket;
  args.key = "mpu";
  auto id = c.Run(c.layer().CreateUpload(std::move(args)));
  REQUIRE(id.ok());
  const std::string p1 = RandomBytes(kMinPartSize, 8), p2 = RandomBytes(1 << 20, 9);
  c.SetOffline({1}, true);
  auto r1 = UploadPart(c, "mpu", *id, 1, p1);
  auto r2 = UploadPart(c, "mpu", *id, 2, p2);
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  auto done = c.Run(c.layer().CompleteUpload(kBucket, "mpu", *id,
                                             {{1, r1->segment.etag}, {2, r2->segment.etag}}));
  c.SetOffline({1}, false);
  REQUIRE(done.ok());
  REQUIRE(done->segments.size() == 2);
  auto report = Scan(c);
  REQUIRE(report.ok());
  CHECK(report->records_written == 1);
  CHECK(report->shards_rebuilt == 2);  // one file per part
  const auto files = c.ShardFiles(1);
  CHECK(files.count(done->segments[0].data_id) == 1);
  CHECK(files.count(done->segments[1].data_id) == 1);
  CheckReadsWithoutOthers(c, "mpu", p1 + p2, 1);
}

TEST_CASE("objects in the cold pool heal there, home record and internal object", "[heal]") {
  TestCluster c(2);
  const std::string data = RandomBytes((2 << 20) + 9, 11);
  StringSource body(data);
  PutObjectArgs args;
  args.bucket = kBucket;
  args.key = "cold";
  args.size = data.size();
  args.storage_class = "GLACIER";
  c.SetOffline({0, kN + 3}, true);  // a hot drive (home records) and a cold one (data)
  auto put = c.Run(c.layer().PutObject(std::move(args), body, EtagOf(data)));
  REQUIRE(c.Run(c.layer().CreateBucket("later", "us-east-1")).ok());
  c.SetOffline({0, kN + 3}, false);
  REQUIRE(put.ok());
  REQUIRE(put->location == "pool:cold");
  const std::string internal(".strata");

  SECTION("through HealObject") {
    auto report = Heal(c, "cold");
    REQUIRE(report.ok());
    CHECK(report->records_written == 2);  // the home record and the internal object's
    CHECK(report->shards_rebuilt == 1);
  }
  SECTION("through a walk (the cold pool is walked on its own)") {
    auto buckets = c.Run(c.layer().HealBuckets());
    REQUIRE(buckets.ok());
    CHECK(buckets->records_written == 2);  // "later" on drives 0 and kN + 3
    auto report = Scan(c);
    REQUIRE(report.ok());
    CHECK(report->records_written == 2);
    CHECK(report->shards_rebuilt == 1);
  }
  CHECK(c.Versions(0, "cold").size() == 1);
  auto cold = c.Run(c.drive(kN + 3).inner().GetVersions(internal, put->location_key));
  REQUIRE(cold.ok());
  CHECK(cold->size() == 1);
  CHECK(c.ShardFiles(kN + 3).size() == 1);
  CheckReadsWithoutOthers(c, "cold", data, kN + 3, kN);
}

TEST_CASE("background passes keep to their rate; the bitrot scan to its bytes", "[heal]") {
  TestCluster c;
  for (int i = 0; i < 30; ++i) REQUIRE(c.Put("k" + std::to_string(i), "tiny").ok());
  FakeTime time;
  HealerOptions options = FakeOptions(c, time);
  options.objects_per_second = 10;
  Healer healer(options);
  const std::atomic<bool> no_stop{false};
  auto pass = c.Run(healer.PassOnce(no_stop));
  REQUIRE(pass.ok());
  CHECK(pass->objects_examined == 30);
  // 30 keys at 10 a second: three seconds of (fake) waiting, no less.
  CHECK(time.slept >= std::chrono::milliseconds(2900));
  CHECK(time.slept <= std::chrono::milliseconds(3100));

  TestCluster big;
  REQUIRE(big.Put("a", RandomBytes(4 << 20, 12)).ok());
  FakeTime bitrot_time;
  HealerOptions bitrot = FakeOptions(big, bitrot_time);
  bitrot.bitrot_bytes_per_second = 1 << 20;
  Healer scanner(bitrot);
  auto scan = big.Run(scanner.BitrotScanOnce(no_stop));
  REQUIRE(scan.ok());
  REQUIRE(scan->bytes_verified >= (6u << 20));  // all six shards of 4 MiB at 4+2
  const double expected = static_cast<double>(scan->bytes_verified) / (1 << 20);
  const double slept = std::chrono::duration<double>(bitrot_time.slept).count();
  CHECK(slept >= expected - 1.01);  // the first second's bytes may pass unwaited
  CHECK(slept <= expected + 0.01);
}

TEST_CASE("the background healer runs a pass when a drive comes back", "[heal]") {
  TestCluster c;
  c.SetOffline({2}, true);
  const std::string data = RandomBytes(900 << 10, 13);
  REQUIRE(c.Put("k", data).ok());
  FakeTime time;
  HealerOptions options = FakeOptions(c, time);
  options.interval = std::chrono::hours(1);
  Healer healer(options);
  std::atomic<bool> stop{false};
  time.on_sleep = [&] {
    if (time.sleeps == 3) c.SetOffline({2}, false);
    if (healer.status().passes > 0 || time.sleeps > 100) stop = true;
  };
  CHECK(c.Run(RunUntilStopped(healer, stop)));
  CHECK(healer.status().passes == 1);
  CHECK(time.slept < std::chrono::minutes(1));  // the drive, not the interval, set it off
  CHECK(c.Versions(2, "k").size() == 1);
  CHECK(healer.status().totals.shards_rebuilt == 1);
  CheckReadsWithoutOthers(c, "k", data, 2);
}

TEST_CASE("without drives coming back the background pass waits for its interval", "[heal]") {
  TestCluster c;
  FakeTime time;
  HealerOptions options = FakeOptions(c, time);
  options.interval = std::chrono::seconds(30);
  Healer healer(options);
  std::atomic<bool> stop{false};
  SysTime first_pass{};
  time.on_sleep = [&] {
    if (healer.status().passes > 0 && first_pass == SysTime{}) first_pass = time.clock.Now();
    if (healer.status().passes >= 2 || time.sleeps > 1000) stop = true;
  };
  const SysTime start = time.clock.Now();
  CHECK(c.Run(RunUntilStopped(healer, stop)));
  CHECK(healer.status().passes == 2);
  CHECK(first_pass - start >= std::chrono::seconds(30));
  CHECK(first_pass - start <= std::chrono::seconds(32));
  CHECK(healer.status().last_pass >= first_pass);
}

TEST_CASE("with a lease, one of two gateways runs passes; the other still drains its queue",
          "[heal]") {
  TestCluster c;
  c.SetOffline({2}, true);
  const std::string data = RandomBytes(900 << 10, 14);
  REQUIRE(c.Put("k", data).ok());
  c.SetOffline({2}, false);
  FakeTime time;
  HealerOptions first = FakeOptions(c, time), second = FakeOptions(c, time);
  first.lease_holder = "gateway@one";
  second.lease_holder = "gateway@two";
  first.interval = second.interval = std::chrono::seconds(30);
  Healer one(first), two(second);
  std::atomic<bool> stop{false};
  time.on_sleep = [&] {
    if (one.status().passes > 0 || time.sleeps > 1000) stop = true;
  };
  CHECK(c.Run(RunUntilStopped(one, stop)));
  CHECK(one.status().passes == 1);
  CHECK(c.Versions(2, "k").size() == 1);
  // one stopped and released its lease: two may run now; while one held
  // it (here: claimed again), two's pass is skipped.
  REQUIRE(c.Run(ClusterLeaseOf(c, time, "gateway@one")));
  std::atomic<bool> stop_two{false};
  time.on_sleep = [&] {
    if (time.sleeps > 2000) stop_two = true;
  };
  CHECK(c.Run(RunUntilStopped(two, stop_two)));
  CHECK(two.status().passes == 0);
}

}  // namespace
}  // namespace strata::gw
