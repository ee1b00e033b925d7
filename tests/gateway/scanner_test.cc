// The lifecycle scanner over real drives: what it expires, deletes,
// transitions and aborts, what it must leave alone (object lock, young
// versions), resuming from a saved cursor, and the orphan sweep. The
// scanner's clock runs days ahead of the object layer's (real) clock.
#include "lifecycle/scan/scanner.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gateway/data_store.h"
#include "tests/gateway/object_layer_test_util.h"

namespace strata::lifecycle {
namespace {

using gw::TestCluster;
using gw::VersionRef;
constexpr const char* kBucket = TestCluster::kBucket;

std::string Rules(const std::string& rules) {
  return "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules +
         "</LifecycleConfiguration>";
}

void SetRules(TestCluster& c, const std::string& rules) {
  auto parsed = ParseConfiguration(Rules(rules), nullptr);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  REQUIRE(c.Run(c.layer().SetBucketConfig(kBucket, std::string(gw::kBucketLifecycle),
                                          RenderConfiguration(*parsed)))
              .ok());
}

struct Harness {
  explicit Harness(TestCluster& cluster)
      : c(cluster), clock(Clock::Real().Now() + std::chrono::hours(24 * 3)) {}

  ScanReport Scan() {
    ScannerOptions o;
    o.objects = &c.layer();
    o.clock = &clock;
    o.versions_per_second = 0;
    o.stores = [this] {
      std::vector<std::pair<std::string, std::shared_ptr<gw::DataStore>>> out;
      if (auto s = c.layer().Store("pool:cold"); s.ok()) out.emplace_back("pool:cold", *s);
      return out;
    };
    Scanner scanner(std::move(o));
    std::atomic<bool> stop{false};
    auto report = c.Run(scanner.ScanOnce(stop));
    INFO(report.status().ToString());
    REQUIRE(report.ok());
    CHECK(report->completed);
    return *report;
  }

  std::vector<gw::ListedVersion> Versions(const std::string& prefix = "") {
    gw::ListVersionsArgs args;
    args.bucket = kBucket;
    args.prefix = prefix;
    auto r = c.Run(c.layer().ListObjectVersions(args));
    REQUIRE(r.ok());
    return r->versions;
  }

  TestCluster& c;
  FakeClock clock;
};

TEST_CASE("scanner: current versions expire in an unversioned bucket", "[scanner]") {
  TestCluster c;
  REQUIRE(c.Put("exp/a", "aaa").ok());
  REQUIRE(c.Put("keep/b", "bbb").ok());
  SetRules(c, "<Rule><ID>e</ID><Status>Enabled</Status><Filter><Prefix>exp/</Prefix></Filter>"
              "<Expiration><Days>1</Days></Expiration></Rule>");
  Harness h(c);
  h.clock.Set(Clock::Real().Now());  // not due yet
  auto early = h.Scan();
  CHECK(early.expired == 0);
  CHECK(early.versions_examined == 2);
  CHECK(c.Head("exp/a").ok());
  h.clock.Set(Clock::Real().Now() + std::chrono::hours(72));
  auto report = h.Scan();
  CHECK(report.expired == 1);
  CHECK(c.Head("exp/a").status().code() == Code::kNoSuchKey);
  CHECK(c.Get("keep/b").value() == "bbb");
}

TEST_CASE("scanner: versioned buckets get delete markers and keep N noncurrent", "[scanner]") {
  TestCluster c;
  REQUIRE(c.Run(c.layer().SetBucketVersioning(kBucket, "Enabled")).ok());
  for (int i = 0; i < 4; ++i) REQUIRE(c.Put("v", "version " + std::to_string(i)).ok());
  REQUIRE(c.Put("cur", "current").ok());
  SetRules(c,
           "<Rule><ID>n</ID><Status>Enabled</Status><Filter><Prefix>v</Prefix></Filter>"
           "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
           "<NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
           "</Rule>"
           "<Rule><ID>c</ID><Status>Enabled</Status><Filter><Prefix>cur</Prefix></Filter>"
           "<Expiration><Days>1</Days></Expiration></Rule>");
  Harness h(c);
  auto report = h.Scan();
  CHECK(report.versions_deleted == 2);  // of 3 noncurrent, the newest one stays
  CHECK(report.expired == 1);
  auto v = h.Versions("v");
  REQUIRE(v.size() == 2);
  CHECK(c.Get("v").value() == "version 3");
  auto cur = h.Versions("cur");
  REQUIRE(cur.size() == 2);
  CHECK(cur[0].record.delete_marker);
  CHECK(cur[0].is_latest);
  CHECK_FALSE(cur[1].record.delete_marker);
}

TEST_CASE("scanner: a lone delete marker goes, one with versions under it stays", "[scanner]") {
  TestCluster c;
  REQUIRE(c.Run(c.layer().SetBucketVersioning(kBucket, "Enabled")).ok());
  auto lone = c.Put("lone", "x");
  REQUIRE(lone.ok());
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "lone")).ok());
  VersionRef lone_ref{VersionRef::Kind::kId, lone->version_id};
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "lone", lone_ref)).ok());
  REQUIRE(c.Put("covered", "y").ok());
  REQUIRE(c.Run(c.layer().DeleteObject(kBucket, "covered")).ok());
  SetRules(c, "<Rule><ID>m</ID><Status>Enabled</Status><Filter></Filter>"
              "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
              "</Expiration></Rule>");
  Harness h(c);
  auto report = h.Scan();
  CHECK(report.markers_removed == 1);
  CHECK(h.Versions("lone").empty());
  CHECK(h.Versions("covered").size() == 2);
}

TEST_CASE("scanner: object lock is never worked around", "[scanner]") {
  TestCluster c;
  REQUIRE(c.Run(c.layer().SetBucketVersioning(kBucket, "Enabled")).ok());
  auto locked = c.Put("w", "locked bytes");
  REQUIRE(locked.ok());
  VersionRef ref{VersionRef::Kind::kId, locked->version_id};
  REQUIRE(c.Run(c.layer().SetObjectRetention(kBucket, "w", ref, "COMPLIANCE",
                                             Clock::Real().Now() + std::chrono::hours(24 * 30),
                                             false))
              .ok());
  REQUIRE(c.Put("w", "newer").ok());  // the locked one is noncurrent now
  SetRules(c, "<Rule><ID>n</ID><Status>Enabled</Status><Filter></Filter>"
              "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
              "</NoncurrentVersionExpiration></Rule>");
  Harness h(c);
  auto report = h.Scan();
  CHECK(report.refused == 1);
  CHECK(report.versions_deleted == 0);
  REQUIRE(h.Versions("w").size() == 2);
  CHECK(c.Read("w", *c.Run(c.layer().HeadObject(kBucket, "w", ref)), 0, 12).value() ==
        "locked bytes");
}

TEST_CASE("scanner: transitions move data to the cold pool", "[scanner]") {
  TestCluster c(2);
  const std::string data = gw::RandomBytes(2 << 20, 11);
  REQUIRE(c.Put("t/big", data).ok());
  REQUIRE(c.Put("other", "stays hot").ok());
  SetRules(c, "<Rule><ID>t</ID><Status>Enabled</Status><Filter><Prefix>t/</Prefix></Filter>"
              "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
              "</Rule>");
  Harness h(c);
  auto report = h.Scan();
  CHECK(report.transitioned == 1);
  auto head = c.Head("t/big");
  REQUIRE(head.ok());
  CHECK(head->storage_class == "GLACIER");
  CHECK(c.Get("t/big").value() == data);
  CHECK(c.PoolShardFiles(1).size() == 1);
  CHECK(c.Head("other")->storage_class != "GLACIER");
  // A second scan finds nothing more to do.
  CHECK(h.Scan().transitioned == 0);
}

TEST_CASE("scanner: stale multipart uploads are aborted", "[scanner]") {
  TestCluster c;
  gw::UploadArgs args;
  args.bucket = kBucket;
  args.key = "mp/k";
  auto upload = c.Run(c.layer().CreateUpload(args));
  REQUIRE(upload.ok());
  SetRules(c, "<Rule><ID>a</ID><Status>Enabled</Status><Filter><Prefix>mp/</Prefix></Filter>"
              "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
              "</AbortIncompleteMultipartUpload></Rule>");
  Harness h(c);
  CHECK(h.Scan().uploads_aborted == 1);
  gw::ListUploadsArgs list;
  list.bucket = kBucket;
  CHECK(c.Run(c.layer().ListUploads(list))->empty());
}

TEST_CASE("scanner: a scan resumes after the saved cursor", "[scanner]") {
  TestCluster c;
  for (const char* k : {"a", "b", "m", "x", "y"}) REQUIRE(c.Put(k, k).ok());
  SetRules(c, "<Rule><ID>e</ID><Status>Enabled</Status><Filter></Filter>"
              "<Expiration><Days>1</Days></Expiration></Rule>");
  // As a scan stopped after key "m" would have left it.
  nlohmann::json cursor = {{"bucket", kBucket}, {"key", "m"}};
  REQUIRE(c.Run(c.layer().PutConfig({"scanner", "lifecycle", cursor.dump(), Clock::Real().Now(),
                                     false}))
              .ok());
  Harness h(c);
  auto first = h.Scan();
  CHECK(first.expired == 2);  // x and y
  CHECK(c.Head("a").ok());
  CHECK(c.Head("m").ok());
  CHECK(c.Head("x").status().code() == Code::kNoSuchKey);
  // Done: the next scan starts from the beginning.
  CHECK(h.Scan().expired == 3);
  CHECK(c.Head("a").status().code() == Code::kNoSuchKey);
}

TEST_CASE("scanner: objects in a pool that no version points at are swept", "[scanner]") {
  TestCluster c(2);
  auto store = c.layer().Store("pool:cold").value();
  // An orphan (a PUT that crashed before its home commit) and a live one.
  std::string orphan_key = gw::StoreKey(kBucket, "gone", meta::NewVersionId(Clock::Real().Now()));
  gw::StringSource body("orphaned bytes");
  REQUIRE(c.Run(store->Put(orphan_key, 14, body)).ok());
  gw::StringSource live_body(std::string(1000, 'x'));
  gw::PutObjectArgs args;
  args.bucket = kBucket;
  args.key = "live";
  args.size = 1000;
  args.storage_class = "GLACIER";
  REQUIRE(c.Run(c.layer().PutObject(std::move(args), live_body,
                                    gw::EtagOf(std::string(1000, 'x'))))
              .ok());
  Harness h(c);
  h.clock.Set(Clock::Real().Now());  // within the grace: young objects are left alone
  CHECK(h.Scan().orphans_removed == 0);
  h.clock.Set(Clock::Real().Now() + std::chrono::hours(1));
  CHECK(h.Scan().orphans_removed == 1);
  auto left = c.Run(store->List("", "", 10));
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front().key.starts_with(std::string(kBucket) + "/live/"));
  CHECK(c.Get("live").value() == std::string(1000, 'x'));
}

TEST_CASE("scanner: one scanner at a time holds the lease", "[scanner]") {
  TestCluster c;
  FakeClock clock(Clock::Real().Now());
  auto make = [&] {
    ScannerOptions o;
    o.objects = &c.layer();
    o.clock = &clock;
    return std::make_unique<Scanner>(std::move(o));
  };
  auto first = make(), second = make();
  CHECK(c.Run(first->AcquireLease()));
  CHECK(c.Run(first->AcquireLease()));  // renewing its own
  CHECK_FALSE(c.Run(second->AcquireLease()));
  clock.Set(clock.Now() + std::chrono::minutes(2));  // the first stopped renewing
  CHECK(c.Run(second->AcquireLease()));
  CHECK_FALSE(c.Run(first->AcquireLease()));
}

TEST_CASE("scanner: a released lease and a restarted holder take over at once", "[scanner]") {
  TestCluster c;
  FakeClock clock(Clock::Real().Now());
  auto make = [&](std::string holder) {
    ScannerOptions o;
    o.objects = &c.layer();
    o.clock = &clock;
    o.lease_holder = std::move(holder);
    return std::make_unique<Scanner>(std::move(o));
  };
  auto a = make("gateway@a"), b = make("gateway@b");
  REQUIRE(c.Run(a->AcquireLease()));
  CHECK_FALSE(c.Run(b->AcquireLease()));
  // The same gateway restarted (a new Scanner, same holder): its own lease.
  auto a_again = make("gateway@a");
  CHECK(c.Run(a_again->AcquireLease()));
  CHECK_FALSE(c.Run(b->AcquireLease()));
  // Released on stop: the other one scans without waiting out the term.
  auto release = [](Scanner& s) -> gw::Task<bool> {
    co_await s.ReleaseLease();
    co_return true;
  };
  c.Run(release(*a_again));
  CHECK(c.Run(b->AcquireLease()));
  CHECK_FALSE(c.Run(a->AcquireLease()));
}

}  // namespace
}  // namespace strata::lifecycle
