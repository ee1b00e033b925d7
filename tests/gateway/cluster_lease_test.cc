// ClusterLease over a real object layer (RocksDB drives behind fault knobs).
#include "gateway/cluster_lease.h"

#include <catch2/catch.hpp>

#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

Task<bool> ReleaseOf(ClusterLease& lease) {
  co_await lease.Release();
  co_return true;
}

TEST_CASE("cluster lease: one holder; others wait for the term or the release", "[lease]") {
  TestCluster c;
  FakeClock clock(Clock::Real().Now());
  ClusterLease a(&c.layer(), &clock, "work", "gateway@a");
  ClusterLease b(&c.layer(), &clock, "work", "gateway@b");
  ClusterLease other_work(&c.layer(), &clock, "other", "gateway@b");

  REQUIRE(c.Run(a.Acquire()));
  CHECK(a.held());
  CHECK_FALSE(c.Run(b.Acquire()));
  CHECK_FALSE(b.held());
  CHECK(c.Run(other_work.Acquire()));  // leases are independent by name

  // KeepAlive renews only after a third of the term, and keeps the lease.
  clock.Set(clock.Now() + std::chrono::seconds(50));
  CHECK(c.Run(a.KeepAlive()));
  clock.Set(clock.Now() + std::chrono::seconds(50));  // 100 s after the claim, 50 s after renewal
  CHECK_FALSE(c.Run(b.Acquire()));

  // A holder that stops renewing loses it when the term runs out.
  clock.Set(clock.Now() + std::chrono::seconds(61));
  CHECK(c.Run(b.Acquire()));
  CHECK_FALSE(c.Run(a.KeepAlive()));  // a learns it lost the lease
  CHECK_FALSE(a.held());

  // The same holder restarted (a new object) takes its own lease at once;
  // a release hands it over without waiting.
  ClusterLease b_again(&c.layer(), &clock, "work", "gateway@b");
  CHECK(c.Run(b_again.Acquire()));
  CHECK(c.Run(ReleaseOf(b_again)));
  CHECK(c.Run(a.Acquire()));
}

TEST_CASE("cluster lease: without a write quorum nobody holds it", "[lease]") {
  TestCluster c;
  FakeClock clock(Clock::Real().Now());
  ClusterLease a(&c.layer(), &clock, "work", "gateway@a");
  c.SetOffline({0, 1, 2}, true);
  CHECK_FALSE(c.Run(a.Acquire()));
  CHECK_FALSE(a.held());
  c.SetOffline({0, 1, 2}, false);
  CHECK(c.Run(a.Acquire()));
}

}  // namespace
}  // namespace strata::gw
