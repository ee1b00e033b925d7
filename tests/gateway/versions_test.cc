// Versioning through the object layer over six real drives: named versions,
// delete markers, version listings (also degraded), in-place tag changes.
#include <catch2/catch.hpp>

#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

constexpr const char* kBucket = TestCluster::kBucket;

VersionRef Id(const std::string& raw) { return VersionRef{VersionRef::Kind::kId, raw}; }
VersionRef NullRef() { return VersionRef{VersionRef::Kind::kNull, {}}; }

void Enable(TestCluster& c, const char* state = "Enabled") {
  REQUIRE(c.Run(c.layer().SetBucketVersioning(kBucket, state)).ok());
}

// Every page of max_keys, concatenated: (key, S3 version id, latest, marker).
std::vector<std::tuple<std::string, std::string, bool, bool>> AllVersions(
    TestCluster& c, size_t max_keys, std::string prefix = {}) {
  std::vector<std::tuple<std::string, std::string, bool, bool>> out;
  ListVersionsArgs args;
  args.bucket = kBucket;
  args.prefix = std::move(prefix);
  args.max_keys = max_keys;
  for (int pages = 0; pages < 1000; ++pages) {
    auto r = c.Run(c.layer().ListObjectVersions(args));
    REQUIRE(r.ok());
    CHECK(r->versions.size() + r->common_prefixes.size() <= max_keys);
    for (const auto& v : r->versions) {
      out.emplace_back(v.key, S3VersionId(v.record), v.is_latest, v.record.delete_marker);
    }
    if (!r->truncated) return out;
    args.key_marker = r->next_key_marker;
    auto ref = ParseVersionId(r->next_version_marker);
    REQUIRE(ref.ok());
    args.version_marker = *ref;
  }
  FAIL("listing never ended");
  return out;
}

TEST_CASE("versioned writes keep every version; named reads find each",
          "[object_layer][versions]") {
  TestCluster c;
  Enable(c);
  std::vector<meta::VersionRecord> puts;
  const std::vector<std::string> bodies = {"one", RandomBytes(300 << 10, 1), "three"};
  for (const auto& body : bodies) {
    auto r = c.Put("k", body);
    REQUIRE(r.ok());
    CHECK_FALSE(r->null_version);
    puts.push_back(*r);
  }
  for (size_t i = 0; i < puts.size(); ++i) {
    auto head = c.Run(c.layer().HeadObject(kBucket, "k", Id(puts[i].version_id)));
    REQUIRE(head.ok());
    CHECK(c.Read("k", *head, 0, head->size).value() == bodies[i]);
  }
  CHECK(c.Head("k")->version_id == puts.back().version_id);
  CHECK(c.Run(c.layer().HeadObject(kBucket, "k", NullRef())).status().code() ==
        Code::kNoSuchVersion);
  CHECK(c.Run(c.layer().HeadObject(kBucket, "k", Id(std::string(16, '\x01')))).status().code() ==
        Code::kNoSuchVersion);
}

TEST_CASE("markers hide the object; deleting by id frees its shards", "[object_layer][versions]") {
  TestCluster c;
  Enable(c);
  auto big = c.Put("k", RandomBytes(300 << 10, 2));
  REQUIRE(big.ok());
  CHECK(c.AllShardFiles().size() == 1);
  auto marker = c.Run(c.layer().DeleteObject(kBucket, "k"));
  REQUIRE(marker.ok());
  CHECK(marker->delete_marker);
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->delete_marker);
  ListArgs list;
  CHECK(c.List(list)->objects.empty());
  auto all = AllVersions(c, 1000);
  REQUIRE(all.size() == 2);
  CHECK(all[0] == std::make_tuple(std::string("k"), marker->version_id, true, true));
  CHECK(std::get<2>(all[1]) == false);
  // Deleting the big version for good removes its shard files everywhere.
  auto gone = c.Run(c.layer().DeleteObject(kBucket, "k", Id(big->version_id)));
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->delete_marker);
  CHECK(c.AllShardFiles().empty());
}

TEST_CASE("suspended buckets replace the null version and keep the others",
          "[object_layer][versions]") {
  TestCluster c;
  REQUIRE(c.Put("k", "pre-versioning").ok());
  Enable(c);
  auto enabled = c.Put("k", "enabled");
  REQUIRE(enabled.ok());
  Enable(c, "Suspended");
  REQUIRE(c.Put("k", RandomBytes(200 << 10, 3)).ok());
  auto last = c.Put("k", "suspended");
  REQUIRE(last.ok());
  CHECK(last->null_version);
  c.DrainBlocking();
  for (int i = 0; i < TestCluster::kN; ++i) CHECK(c.Versions(i, "k").size() == 2);
  CHECK(c.AllShardFiles().empty());  // the replaced null version's shards went
  auto null_head = c.Run(c.layer().HeadObject(kBucket, "k", NullRef()));
  REQUIRE(null_head.ok());
  CHECK(null_head->version_id == last->version_id);
}

TEST_CASE("version listings page exactly, resume after a null version, roll up prefixes",
          "[object_layer][versions]") {
  TestCluster c;
  REQUIRE(c.Put("n", "null one").ok());  // before versioning: the null version
  Enable(c);
  for (int i = 0; i < 7; ++i) REQUIRE(c.Put("m", "v" + std::to_string(i)).ok());
  REQUIRE(c.Put("n", "newer").ok());
  for (const char* key : {"a", "dir/x", "dir/y", "z"}) REQUIRE(c.Put(key, key).ok());
  const auto whole = AllVersions(c, 1000);
  REQUIRE(whole.size() == 13);
  for (size_t page : {1, 2, 3, 5, 7}) {
    INFO("page " << page);
    CHECK(AllVersions(c, page) == whole);
  }
  // Exactly one latest per key, the first of its key.
  std::string previous;
  for (const auto& [key, id, latest, marker] : whole) {
    CHECK(latest == (key != previous));
    previous = key;
  }
  // Resuming after n's null version (its last version) goes on with "z".
  ListVersionsArgs args;
  args.bucket = kBucket;
  args.key_marker = "n";
  args.version_marker = NullRef();
  auto rest = c.Run(c.layer().ListObjectVersions(args));
  REQUIRE(rest.ok());
  REQUIRE(rest->versions.size() == 1);
  CHECK(rest->versions[0].key == "z");
  ListVersionsArgs rolled;
  rolled.bucket = kBucket;
  rolled.delimiter = "/";
  auto r = c.Run(c.layer().ListObjectVersions(rolled));
  REQUIRE(r.ok());
  CHECK(r->common_prefixes == std::vector<std::string>{"dir/"});
  CHECK(r->versions.size() == 11);
}

TEST_CASE("with two drives offline versions still list and read; strays never show",
          "[object_layer][versions]") {
  TestCluster c;
  Enable(c);
  auto v1 = c.Put("k", RandomBytes(250 << 10, 4));
  auto v2 = c.Put("k", "small");
  REQUIRE((v1.ok() && v2.ok()));
  // A third version that a crash left on k - 1 drives.
  auto v3 = c.Put("k", "stray");
  REQUIRE(v3.ok());
  for (int i : {0, 1, 2}) {
    server::DriveTxn txn;
    txn.delete_versions.push_back({kBucket, "k", c.Versions(i, "k").front()});
    REQUIRE(c.Run(c.drive(i).inner().Apply(std::move(txn))).ok());
  }
  auto listed = AllVersions(c, 1000);
  REQUIRE(listed.size() == 2);
  CHECK(std::get<1>(listed[0]) == meta::VersionIdHex(v2->version_id));
  CHECK(std::get<2>(listed[0]));
  CHECK(c.Run(c.layer().HeadObject(kBucket, "k", Id(v3->version_id))).status().code() ==
        Code::kNoSuchVersion);
  CHECK(c.Get("k").value() == "small");

  // Two of the stray's holders offline: one answering holder plus two silent
  // drives cannot reach k = 4, so the stray is provably not acknowledged and
  // v2 is still the answer.
  c.SetOffline({4, 5}, true);
  auto head = c.Head("k");
  REQUIRE(head.ok());
  CHECK(head->version_id == v2->version_id);
  CHECK(AllVersions(c, 1).size() == 2);
  auto by_id = c.Run(c.layer().HeadObject(kBucket, "k", Id(v1->version_id)));
  REQUIRE(by_id.ok());
  CHECK(c.Read("k", *by_id, 0, by_id->size).value() == RandomBytes(250 << 10, 4));
}

TEST_CASE("tags change in place; a drive that missed the change is outvoted by time",
          "[object_layer][versions][tags]") {
  TestCluster c;
  Enable(c);
  auto v = c.Put("k", "x");
  REQUIRE(v.ok());
  c.SetOffline({2}, true);
  auto tagged = c.Run(c.layer().SetObjectTags(kBucket, "k", Id(v->version_id), {{"a", "1"}}));
  REQUIRE(tagged.ok());
  c.SetOffline({2}, false);
  CHECK(c.Versions(2, "k").front().tags.empty());  // drive 2 missed it
  for (int round = 0; round < 5; ++round) {
    auto head = c.Head("k");
    REQUIRE(head.ok());
    CHECK(head->tags == meta::StringPairs{{"a", "1"}});
  }
  for (int i = 0; i < TestCluster::kN; ++i) CHECK(c.Versions(i, "k").size() == 1);
  // A delete marker has no tags to set.
  auto marker = c.Run(c.layer().DeleteObject(kBucket, "k"));
  REQUIRE(marker.ok());
  CHECK(c.Run(c.layer().SetObjectTags(kBucket, "k", VersionRef::Latest(), {})).status().code() ==
        Code::kNoSuchKey);
}

}  // namespace
}  // namespace strata::gw
