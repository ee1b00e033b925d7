// Object lock at the drive boundary: the drive refuses what would destroy or
// weaken a locked version, whatever the transaction says, and its shard file
// stays on disk.
#include <catch2/catch.hpp>

#include "tests/server/drive_test_util.h"

namespace strata::server {
namespace {

using namespace testing;
using std::chrono::hours;

meta::VersionRecord LockedVersion(const std::string& data_id, std::string mode, bool hold) {
  meta::VersionRecord r = MakeVersion(data_id, 5);
  r.null_version = false;
  r.retention_mode = std::move(mode);
  if (!r.retention_mode.empty()) r.retain_until = Clock::Real().Now() + hours(24);
  r.legal_hold = hold;
  return r;
}

TEST_CASE("LocalDrive: a locked version and its shard file survive a delete", "[local_drive][lock]") {
  DriveFixture f;
  const std::string id = NewDataId();
  f.WriteShard(id, "hello");
  meta::VersionRecord r = LockedVersion(id, "COMPLIANCE", false);
  REQUIRE(f.Run(f.drive().Apply(PutVersionTxn("k", r))).ok());

  DriveTxn del = DeleteVersionTxn("k", r);
  del.delete_versions[0].bypass_governance = true;
  CHECK(f.Run(f.drive().Apply(std::move(del))).code() == Code::kAccessDenied);
  // A transaction naming the shard for removal cannot take it either: it is referenced.
  DriveTxn sweep;
  sweep.remove_shards.push_back(id);
  CHECK(f.Run(f.drive().Apply(std::move(sweep))).ok());
  f.FlushBlocking();
  CHECK(fs::exists(ShardFile(f.root(), id)));
  CHECK(f.ReadShard(id, 0, 5).value() == "hello");
  CHECK(f.Run(f.drive().GetVersion(kBucket, "k", r.version_id)).ok());

  // Still locked after a reopen.
  f.Open();
  CHECK(f.Run(f.drive().Apply(DeleteVersionTxn("k", r))).code() == Code::kAccessDenied);
  CHECK(fs::exists(ShardFile(f.root(), id)));
}

TEST_CASE("LocalDrive: retention changes follow the rules; legal hold toggles",
          "[local_drive][lock]") {
  DriveFixture f;
  meta::VersionRecord r = LockedVersion("", "COMPLIANCE", false);
  REQUIRE(f.Run(f.drive().Apply(PutVersionTxn("k", r, "x"))).ok());
  auto set = [&](std::string mode, SysTime until, bool bypass) {
    DriveTxn txn;
    txn.set_retentions.push_back(
        {kBucket, "k", r.version_id, std::move(mode), until, bypass, Clock::Real().Now()});
    return f.Run(f.drive().Apply(std::move(txn)));
  };
  CHECK(set("COMPLIANCE", r.retain_until - hours(1), true).code() == Code::kAccessDenied);
  CHECK(set("GOVERNANCE", r.retain_until + hours(1), true).code() == Code::kAccessDenied);
  CHECK(set("", {}, true).code() == Code::kAccessDenied);
  REQUIRE(set("COMPLIANCE", r.retain_until + hours(48), false).ok());
  auto stored = f.Run(f.drive().GetVersion(kBucket, "k", r.version_id));
  REQUIRE(stored.ok());
  CHECK(stored->retain_until == r.retain_until + hours(48));

  DriveTxn hold;
  hold.set_legal_holds.push_back({kBucket, "k", r.version_id, true, Clock::Real().Now()});
  REQUIRE(f.Run(f.drive().Apply(std::move(hold))).ok());
  CHECK(f.Run(f.drive().GetVersion(kBucket, "k", r.version_id))->legal_hold);
  // A version this drive does not hold: kNotFound, nothing else changes.
  DriveTxn missing;
  missing.set_legal_holds.push_back({kBucket, "k", "no-such-version", true, Clock::Real().Now()});
  CHECK(f.Run(f.drive().Apply(std::move(missing))).code() == Code::kNotFound);
}

TEST_CASE("LocalDrive: a locked bucket stays versioned whatever an update says",
          "[local_drive][lock]") {
  DriveFixture f;
  meta::BucketRecord b = MakeBucket("lockb");
  b.object_lock = true;
  DriveTxn put;
  put.put_buckets.push_back({b});
  REQUIRE(f.Run(f.drive().Apply(std::move(put))).ok());
  DriveTxn suspend;
  suspend.update_buckets.push_back({"lockb", std::string("Suspended"), false, {},
                                    Clock::Real().Now()});
  REQUIRE(f.Run(f.drive().Apply(std::move(suspend))).ok());
  auto got = f.Run(f.drive().GetBucket("lockb"));
  REQUIRE(got.ok());
  CHECK(got->versioning == "Enabled");
  CHECK(got->object_lock);
}

}  // namespace
}  // namespace strata::server
