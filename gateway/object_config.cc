// Cluster configuration records (users, tiers): written to every drive of
// every set, read back by merging what the drives answer. See
// docs/ARCHITECTURE.md, "Cluster configuration records and users".
#include <map>

#include "gateway/object_layer.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

Task<Status> ObjectLayer::PutConfig(meta::ConfigRecord record) {
  bool quorum = true;
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      std::vector<bool> ok(set.drives.size(), false);
      co_await ParallelEach(set.drives.size(), [&](size_t i) -> Task<void> {
        if (!set.drives[i] || !set.drives[i]->online()) co_return;
        DriveTxn txn;
        txn.put_configs.push_back({record});
        ok[i] = (co_await set.drives[i]->Apply(std::move(txn))).ok();
      });
      if (std::count(ok.begin(), ok.end(), true) < Impl::WriteQuorum(set)) quorum = false;
    }
  }
  if (!quorum) {
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  co_return Status();
}

Task<Result<std::vector<meta::ConfigRecord>>> ObjectLayer::ListConfig(std::string kind) {
  struct Seen {
    int drives = 0;
    meta::ConfigRecord latest;
  };
  std::map<std::string, Seen> seen;
  int answered = 0;
  std::vector<server::Drive*> all;
  for (const auto& pool : impl_->options.pools)
    for (const auto& set : pool.sets)
      for (const auto& d : set.drives)
        if (d && d->online()) all.push_back(d.get());
  co_await ParallelEach(all.size(), [&](size_t i) -> Task<void> {
    auto records = co_await all[i]->ListConfig(kind);
    if (!records.ok()) co_return;
    ++answered;
    for (auto& r : *records) {
      Seen& s = seen[r.name];
      if (s.drives++ == 0 || r.updated > s.latest.updated) s.latest = std::move(r);
    }
  });
  if (answered == 0) co_return Status(Code::kUnavailable, "no drive answered");
  std::vector<meta::ConfigRecord> out;
  for (auto& [name, s] : seen) {
    if (s.drives * 2 >= answered && !s.latest.deleted) out.push_back(std::move(s.latest));
  }
  co_return out;
}

}  // namespace strata::gw
