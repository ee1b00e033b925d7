// Internals shared by the healing files (object_heal.cc, object_heal_data.cc,
// object_heal_scan.cc). Not a public header; see docs/ARCHITECTURE.md,
// "Healing", for the protocol.
#pragma once

#include <string>
#include <vector>

#include "gateway/object_layer_impl.h"

namespace strata::gw {

// The shards of one version across the drives of its set, as healing sees
// them. Every vector is indexed by drive position in the set.
struct ShardRepair {
  // In: the drive holds the version record, so its shard is a candidate
  // source (until a read shows it missing or corrupt).
  std::vector<bool> holders;
  // In: the drive must get the shard (it lacks the record and is about to
  // get one).
  std::vector<bool> targets;
  // Out: the drive's shard was found missing, short or corrupt (holders only).
  std::vector<bool> bad;
  // Out: the drive got a rebuilt shard file for every segment (files are
  // committed; for inline versions see inline_shards).
  std::vector<bool> written;
  // Out, inline versions only: the rebuilt inline shard for every target and
  // every bad holder; the caller writes it with the record.
  std::vector<std::string> inline_shards;
  // Out: the version's shards could not be rebuilt (fewer than k good).
  bool unrecoverable = false;

  explicit ShardRepair(size_t n)
      : holders(n), targets(n), bad(n), written(n), inline_shards(n) {}
};

// Verifies the shards of `record` on the holders (every frame's CRC32C) and
// rebuilds them, stripe by stripe from k verified frames, onto the targets
// and onto every holder found bad. Shard files are written through
// CreateShard/Append/Commit (a commit replaces a bad file of the same id);
// inline shards come back in `inline_shards` for the caller to write with
// the record. Counts into `report`; calls `pace` after every stripe.
Task<void> RepairShards(ObjectLayer::Impl& impl, const Placement& place, const std::string& bucket,
                        const std::string& key, const meta::VersionRecord& record,
                        ShardRepair& repair, HealReport& report, const HealPace& pace);

// The data ids of a record's segments (empty ones left out).
std::vector<std::string> SegmentDataIds(const meta::VersionRecord& record);

}  // namespace strata::gw
