// Object lock through the object layer over six real drives: whatever the
// layer is asked (a DELETE by id, the null-version clean-up after an
// overwrite, a retention change), locked versions and their bytes stay.
#include <catch2/catch.hpp>

#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

using std::chrono::hours;
constexpr const char* kBucket = TestCluster::kBucket;

Result<meta::VersionRecord> PutLocked(TestCluster& c, const std::string& key,
                                      const std::string& data, LockState lock) {
  StringSource body(data);
  PutObjectArgs args;
  args.bucket = kBucket;
  args.key = key;
  args.size = data.size();
  args.lock = std::move(lock);
  return c.Run(c.layer().PutObject(std::move(args), body, EtagOf(data)));
}

size_t DrivesWith(TestCluster& c, const std::string& key, const std::string& version_id) {
  size_t n = 0;
  for (int i = 0; i < TestCluster::kN; ++i) {
    for (const auto& v : c.Versions(i, key)) n += v.version_id == version_id ? 1 : 0;
  }
  return n;
}

TEST_CASE("a locked version cannot be deleted by id; its bytes stay readable",
          "[object_layer][lock]") {
  TestCluster c;
  REQUIRE(c.Run(c.layer().SetBucketVersioning(kBucket, "Enabled")).ok());
  const std::string data = RandomBytes(400 << 10, 3);
  auto put = PutLocked(c, "k", data, {"COMPLIANCE", Clock::Real().Now() + hours(1), false});
  REQUIRE(put.ok());
  VersionRef ref{VersionRef::Kind::kId, put->version_id};
  auto del = c.Run(c.layer().DeleteObject(kBucket, "k", ref, /*bypass_governance=*/true));
  CHECK(del.status().code() == Code::kAccessDenied);
  CHECK(DrivesWith(c, "k", put->version_id) == TestCluster::kN);
  auto got = c.Get("k");
  REQUIRE(got.ok());
  CHECK(*got == data);
  // Shortening is refused by the drives; extending is fine and visible.
  auto shorter = c.Run(c.layer().SetObjectRetention(kBucket, "k", ref, "COMPLIANCE",
                                                    Clock::Real().Now() + hours(0), true));
  CHECK(shorter.status().code() == Code::kAccessDenied);
  const SysTime later = put->retain_until + hours(5);
  REQUIRE(c.Run(c.layer().SetObjectRetention(kBucket, "k", ref, "COMPLIANCE", later, false)).ok());
  CHECK(c.Head("k")->retain_until == later);
  // A delete without version id only adds a marker.
  auto marker = c.Run(c.layer().DeleteObject(kBucket, "k"));
  REQUIRE(marker.ok());
  CHECK(marker->delete_marker);
  CHECK(DrivesWith(c, "k", put->version_id) == TestCluster::kN);
}

TEST_CASE("an overwrite's null-version clean-up cannot remove a locked null version",
          "[object_layer][lock]") {
  TestCluster c;  // never versioned: every write is the null version
  auto first = PutLocked(c, "k", "locked bytes", {"", {}, /*legal_hold=*/true});
  REQUIRE(first.ok());
  REQUIRE(c.Put("k", "new bytes").ok());
  c.DrainBlocking();
  // The newer version is the object now, the held one is still on every drive.
  CHECK(c.Get("k").value() == "new bytes");
  CHECK(DrivesWith(c, "k", first->version_id) == TestCluster::kN);
  // And a DELETE of the object, which removes every version of a never-
  // versioned key, is refused as a whole: nothing goes.
  auto del = c.Run(c.layer().DeleteObject(kBucket, "k"));
  CHECK(del.status().code() == Code::kAccessDenied);
  CHECK(c.Get("k").value() == "new bytes");
  // Lifting the hold lets it go.
  VersionRef ref{VersionRef::Kind::kId, first->version_id};
  REQUIRE(c.Run(c.layer().SetObjectLegalHold(kBucket, "k", ref, false)).ok());
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "k", ref)).ok());
  CHECK(DrivesWith(c, "k", first->version_id) == 0);
}

TEST_CASE("a bucket created with object lock is versioned for good", "[object_layer][lock]") {
  TestCluster c;
  REQUIRE(c.Run(c.layer().CreateBucket("worm", "us-east-1", /*object_lock=*/true)).ok());
  auto b = c.Run(c.layer().GetBucket("worm"));
  REQUIRE(b.ok());
  CHECK(b->object_lock);
  CHECK(b->versioning == "Enabled");
  REQUIRE(c.Run(c.layer().SetBucketVersioning("worm", "Suspended")).ok());  // the drives keep it
  CHECK(c.Run(c.layer().BucketVersioning("worm")).value() == "Enabled");
}

}  // namespace
}  // namespace strata::gw
