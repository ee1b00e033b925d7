// Healing one key: every version that k drives of its set hold is brought
// onto the drives that lack it or hold a stale copy, with its shards rebuilt
// from verified frames first. See docs/ARCHITECTURE.md, "Healing".
//
// The rules that keep it safe:
// - A version held by fewer than k drives is never copied (it may be a write
//   that never reached quorum; RemoveBelowQuorum decides about it).
// - A record is only replaced by a fresher one (a later `updated`), through
//   the drive's in-place updates, which keep its WORM checks.
// - Shards are rebuilt from frames whose CRC32C verified, and a drive gets
//   its shard files before the record that references them.
// - After writing, the key is read again: a version that was being deleted
//   meanwhile is taken off the drives it was just copied to, and a drive an
//   in-place update raced is brought up to date again.
#include <algorithm>
#include <map>

#include "gateway/object_heal_internal.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

namespace {

using PerDrive = std::vector<std::optional<std::vector<meta::VersionRecord>>>;

// One version as the drives of its set hold it.
struct VersionView {
  std::vector<const meta::VersionRecord*> copies;  // per drive; nullptr: not held
  const meta::VersionRecord* freshest = nullptr;
  int holders = 0;
};

std::map<std::string, VersionView, std::greater<>> ByVersion(const PerDrive& per_drive) {
  std::map<std::string, VersionView, std::greater<>> out;
  for (size_t d = 0; d < per_drive.size(); ++d) {
    if (!per_drive[d]) continue;
    for (const auto& v : *per_drive[d]) {
      VersionView& view = out[v.version_id];
      if (view.copies.empty()) view.copies.assign(per_drive.size(), nullptr);
      view.copies[d] = &v;
      ++view.holders;
      view.freshest = view.freshest ? &Freshest(*view.freshest, v) : &v;
    }
  }
  return out;
}

// The in-place changes that turn the drive's copy `have` into `want` (same
// version, later `updated`). Each goes through the drive's own checks, so a
// locked version is never weakened beyond what its rules allow. Tags are set
// every time: that carries `updated` forward even when only it differs.
// False when `want` cannot be reached in place (a location back home).
bool StaleFix(const std::string& bucket, const std::string& key, const meta::VersionRecord& have,
              const meta::VersionRecord& want, DriveTxn& txn) {
  const std::string& id = want.version_id;
  txn.set_tags.push_back({bucket, key, id, want.tags, want.updated});
  if (have.retention_mode != want.retention_mode || have.retain_until != want.retain_until) {
    // A shortened GOVERNANCE retention reached quorum with a client's
    // bypass; COMPLIANCE stays refused by the drive whatever we say.
    txn.set_retentions.push_back(
        {bucket, key, id, want.retention_mode, want.retain_until, true, want.updated});
  }
  if (have.legal_hold != want.legal_hold) {
    txn.set_legal_holds.push_back({bucket, key, id, want.legal_hold, want.updated});
  }
  if (have.location != want.location || have.location_key != want.location_key ||
      have.storage_class != want.storage_class) {
    if (want.location.empty() && !have.location.empty()) return false;
    txn.set_locations.push_back({bucket, key, id, have.location, SegmentDataIds(have),
                                 want.location, want.location_key, want.storage_class,
                                 want.updated});
  }
  return true;
}

}  // namespace

Task<HealReport> ObjectLayer::Impl::HealKey(const Placement& place, const std::string& bucket,
                                            const std::string& key, bool deep,
                                            const HealPace& pace) {
  HealReport report;
  const ErasureSet& set = *place.set;
  const int n = place.n();
  const auto& drives = set.drives;
  PerDrive per_drive = co_await ReadVersions(place, bucket, key);
  const int answered = static_cast<int>(
      std::count_if(per_drive.begin(), per_drive.end(), [](const auto& v) { return v.has_value(); }));
  if (answered < set.k) {
    ++report.failures;  // nothing can be proven with so few drives
    co_return report;
  }
  auto versions = ByVersion(per_drive);

  struct Created {
    int drive;
    meta::VersionRecord record;
    std::vector<bool> held_before;  // per drive
  };
  std::vector<Created> created;          // records this call put on a drive
  std::vector<std::pair<int, std::string>> fixed;  // (drive, version id) updated in place
  std::vector<meta::VersionRecord> elsewhere;      // versions whose bytes are in a pool

  for (auto& [id, view] : versions) {
    if (view.holders < set.k) continue;  // never acknowledged, or not provably: not ours
    ++report.versions_examined;
    const meta::VersionRecord fresh = *view.freshest;
    ShardRepair repair(n);
    bool missing = false;
    for (int d = 0; d < n; ++d) {
      repair.holders[d] = view.copies[d] != nullptr;
      repair.targets[d] = per_drive[d].has_value() && view.copies[d] == nullptr;
      missing = missing || repair.targets[d];
    }
    const bool has_data = fresh.location.empty() && !fresh.delete_marker &&
                          (fresh.inline_data || !SegmentDataIds(fresh).empty());
    // A stale record alone needs no data work; a missing one needs its shard.
    if (has_data && (deep || missing)) {
      co_await RepairShards(*this, place, bucket, key, fresh, repair, report, pace);
    }
    const std::vector<std::string> data_ids = SegmentDataIds(fresh);

    co_await ParallelEach(n, [&](size_t i) -> Task<void> {
      const int d = static_cast<int>(i);
      if (!drives[d] || !drives[d]->online()) co_return;
      DriveTxn txn;
      meta::VersionRecord record = fresh;
      record.shard_index = static_cast<uint8_t>(place.ShardOfDrive(d));
      const bool inline_shard = has_data && fresh.inline_data;
      if (repair.targets[d]) {
        // Shards first: no record may name a shard the drive lacks.
        if (has_data && (repair.unrecoverable || (!inline_shard && !repair.written[d]))) {
          if (!data_ids.empty()) {
            DriveTxn cleanup;  // files of a rebuild cut short (only unreferenced ones go)
            cleanup.remove_shards = data_ids;
            (co_await drives[d]->Apply(std::move(cleanup))).IgnoreError();
          }
          co_return;
        }
        txn.put_versions.push_back(
            {bucket, key, record, inline_shard ? repair.inline_shards[d] : std::string()});
      } else if (inline_shard && repair.bad[d] && !repair.unrecoverable) {
        // A bad inline shard is rewritten with its record (the drive
        // refuses this for a locked version: counted as a failure).
        if (view.copies[d]->updated > record.updated) record = *view.copies[d];
        record.shard_index = static_cast<uint8_t>(place.ShardOfDrive(d));
        txn.put_versions.push_back({bucket, key, record, repair.inline_shards[d]});
        ++report.shards_rebuilt;
        report.bytes_rebuilt += repair.inline_shards[d].size();
      } else if (view.copies[d] && view.copies[d]->updated < fresh.updated) {
        if (!StaleFix(bucket, key, *view.copies[d], fresh, txn)) {
          ++report.failures;
          co_return;
        }
      } else {
        co_return;
      }
      Status st = co_await drives[d]->Apply(std::move(txn));
      if (!st.ok()) {
        ++report.failures;
        co_return;
      }
      ++report.records_written;
      if (repair.targets[d] && fresh.null_version) {
        // As a PUT's commit does: the new null version replaces the older
        // null ones this drive kept while it missed the overwrite (the
        // drive refuses a locked one; then it stays).
        DriveTxn superseded;
        for (const auto& v : *per_drive[d]) {
          if (v.null_version && v.version_id < fresh.version_id) {
            superseded.delete_versions.push_back({bucket, key, v});
          }
        }
        if (!superseded.delete_versions.empty()) {
          (co_await drives[d]->Apply(std::move(superseded))).IgnoreError();
        }
      }
      if (repair.targets[d]) {
        if (inline_shard) {
          ++report.shards_rebuilt;
          report.bytes_rebuilt += repair.inline_shards[d].size();
        }
        std::vector<bool> held(n);
        for (int j = 0; j < n; ++j) held[j] = view.copies[j] != nullptr;
        created.push_back({d, record, std::move(held)});
      } else {
        fixed.emplace_back(d, id);
      }
    });
    if (fresh.location.starts_with("pool:")) elsewhere.push_back(fresh);
  }

  if (!created.empty() || !fixed.empty()) {
    // The second look (see the top of this file).
    PerDrive again = co_await ReadVersions(place, bucket, key);
    auto now = ByVersion(again);
    co_await ParallelEach(created.size(), [&](size_t c) -> Task<void> {
      const Created& made = created[c];
      bool deleting = false;
      for (int j = 0; j < n; ++j) {
        if (!made.held_before[j] || !again[j]) continue;
        auto it = now.find(made.record.version_id);
        if (it == now.end() || it->second.copies[j] == nullptr) deleting = true;
      }
      if (!deleting) co_return;
      DriveTxn txn;
      txn.delete_versions.push_back({bucket, key, made.record, /*bypass_governance=*/true});
      if ((co_await drives[made.drive]->Apply(std::move(txn))).ok()) --report.records_written;
    });
    co_await ParallelEach(fixed.size(), [&](size_t f) -> Task<void> {
      const auto& [d, id] = fixed[f];
      auto it = now.find(id);
      if (it == now.end() || !again[d]) co_return;
      const meta::VersionRecord* mine = it->second.copies[d];
      const meta::VersionRecord* best = it->second.freshest;
      if (!mine || mine->updated >= best->updated) co_return;
      DriveTxn txn;  // an update raced ours: carry it here too
      if (!StaleFix(bucket, key, *mine, *best, txn)) co_return;
      if (!(co_await drives[d]->Apply(std::move(txn))).ok()) ++report.failures;
    });
  }

  for (const auto& v : elsewhere) {
    const int pool = PoolIndex(v.location);
    if (pool <= 0) continue;
    const std::string internal(kInternalBucket);
    const Placement there = PoolPlace(static_cast<size_t>(pool), v.location_key);
    report += co_await HealKey(there, internal, v.location_key, deep, pace);
  }
  co_return report;
}

Task<Result<HealReport>> ObjectLayer::HealObject(std::string bucket, std::string key) {
  const Placement place = impl_->Place(bucket, key);
  const HealPace no_pace;
  HealReport report = co_await impl_->HealKey(place, bucket, key, /*deep=*/true, no_pace);
  ++report.objects_examined;
  co_return report;
}

}  // namespace strata::gw
