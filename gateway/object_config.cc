// Cluster configuration records (users, tiers), and writes that go to every
// drive of every set (they and bucket records): written everywhere, read
// back by merging what the drives answer. See
// docs/ARCHITECTURE.md, "Cluster configuration records and users".
#include <map>

#include "gateway/object_layer.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

Task<Status> ObjectLayer::Impl::ApplyEverywhere(const DriveTxn& txn, Code refusal,
                                               bool* refused) {
  bool quorum = true;
  for (const auto& pool : options.pools) {
    for (const auto& set : pool.sets) {
      std::vector<bool> ok(set.drives.size(), false);
      co_await ParallelEach(set.drives.size(), [&](size_t i) -> Task<void> {
        if (!set.drives[i] || !set.drives[i]->online()) co_return;
        DriveTxn copy = txn;
        Status st = co_await set.drives[i]->Apply(std::move(copy));
        ok[i] = st.ok();
        if (refused && refusal != Code::kOk && st.code() == refusal) *refused = true;
      });
      if (std::count(ok.begin(), ok.end(), true) < WriteQuorum(set)) quorum = false;
    }
  }
  if (!quorum) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  co_return Status();
}

Task<Status> ObjectLayer::PutConfig(meta::ConfigRecord record) {
  DriveTxn txn;
  txn.put_configs.push_back({std::move(record)});
  co_return co_await impl_->ApplyEverywhere(txn);
}

Task<Result<std::vector<meta::ConfigRecord>>> ObjectLayer::ListConfig(std::string kind) {
  // Per set: which drives answered, and per (name, updated) which of them
  // hold that version of the record.
  struct SetView {
    int quorum = 0;
    int silent = 0;
  };
  struct Version {
    meta::ConfigRecord record;
    std::vector<int> holders;  // per set
  };
  std::vector<SetView> sets;
  std::vector<std::pair<server::Drive*, size_t>> drives;  // drive, set index
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      sets.push_back({Impl::WriteQuorum(set), 0});
      for (const auto& d : set.drives) {
        if (d && d->online()) {
          drives.emplace_back(d.get(), sets.size() - 1);
        } else {
          ++sets.back().silent;
        }
      }
    }
  }
  std::map<std::string, std::map<SysTime, Version>> seen;
  int answered = 0;
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    auto records = co_await drives[i].first->ListConfig(kind);
    if (!records.ok()) {
      ++sets[drives[i].second].silent;
      co_return;
    }
    ++answered;
    for (auto& r : *records) {
      Version& v = seen[r.name][r.updated];
      if (v.holders.empty()) {
        v.holders.assign(sets.size(), 0);
        v.record = std::move(r);
      }
      ++v.holders[drives[i].second];
    }
  });
  if (answered == 0) co_return Status(Code::kUnavailable, "no drive answered");
  // The newest version that may have reached a write quorum in every set
  // (its holders plus the drives that did not answer): a change that failed
  // its quorum is not taken for a committed one, and one that succeeded is
  // not hidden by drives that are down.
  std::vector<meta::ConfigRecord> out;
  for (auto& [name, versions] : seen) {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      bool possible = true;
      for (size_t s = 0; s < sets.size(); ++s) {
        if (it->second.holders[s] + sets[s].silent < sets[s].quorum) possible = false;
      }
      if (!possible) continue;
      if (!it->second.record.deleted) out.push_back(std::move(it->second.record));
      break;
    }
  }
  co_return out;
}

}  // namespace strata::gw
