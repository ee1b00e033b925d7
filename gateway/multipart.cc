// Multipart uploads: the upload and its parts are records on every drive of
// the object's set; each part is its own erasure-coded shard file. Complete
// turns the parts into the segments of one version record in one txn per
// drive, so the object appears whole or not at all.
#include <algorithm>
#include <map>

#include "common/checksum.h"
#include "common/crypto.h"
#include "gateway/data_store.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

namespace {

int CountTrue(const std::vector<bool>& v) {
  return static_cast<int>(std::count(v.begin(), v.end(), true));
}

}  // namespace

Result<Placement> ObjectLayer::Impl::PartPlace(const meta::UploadRecord& up) const {
  STRATA_ASSIGN_OR_RETURN(std::string location,
                          LocationOf(up.storage_class.empty() ? "STANDARD" : up.storage_class,
                                     /*allow_tiers=*/false));
  if (location.empty()) return Place(up.bucket, up.key);
  int pool = PoolIndex(location);
  if (pool < 0) return Status(Code::kInvalidStorageClass);
  return PlaceIn(static_cast<size_t>(pool), up.bucket, up.key);
}

Task<Result<std::string>> ObjectLayer::CreateUpload(UploadArgs args) {
  Placement place = impl_->Place(args.bucket, args.key);
  meta::UploadRecord up;
  up.upload_id = HexEncode(impl_->NewVersionId());
  up.bucket = args.bucket;
  up.key = args.key;
  up.initiated = impl_->options.clock->Now();
  up.storage_class = args.storage_class;
  up.headers = std::move(args.headers);
  up.tags = std::move(args.tags);
  up.retention_mode = args.lock.mode;
  up.retain_until = args.lock.retain_until;
  up.legal_hold = args.lock.legal_hold;
  up.checksum_algorithm = args.checksum_algorithm;
  up.checksum_type = args.checksum_type;
  // The parts' erasure code is the one of the set they go to.
  STRATA_CO_ASSIGN_OR_RETURN(Placement parts, impl_->PartPlace(up));
  up.k = static_cast<uint8_t>(parts.set->k);
  up.m = static_cast<uint8_t>(parts.set->m);
  const auto& drives = place.set->drives;
  std::vector<bool> ok(drives.size(), false);
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    DriveTxn txn;
    txn.put_uploads.push_back({up});
    ok[i] = (co_await drives[i]->Apply(std::move(txn))).ok();
  });
  if (CountTrue(ok) < Impl::WriteQuorum(*place.set)) {
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  co_return up.upload_id;
}

Task<Result<meta::UploadRecord>> ObjectLayer::GetUpload(std::string bucket, std::string key,
                                                        std::string upload_id) {
  Placement place = impl_->Place(bucket, key);
  const auto& drives = place.set->drives;
  std::vector<std::optional<meta::UploadRecord>> found(drives.size());
  int answered = 0;
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    auto r = co_await drives[i]->GetUpload(bucket, key, upload_id);
    if (r.ok()) {
      found[i] = std::move(*r);
      ++answered;
    } else if (r.status().code() == Code::kNoSuchUpload) {
      ++answered;
    }
  });
  if (answered < place.set->k) co_return Status(Code::kUnavailable, "read quorum not available");
  int count = 0;
  const meta::UploadRecord* any = nullptr;
  for (const auto& f : found) {
    if (f) {
      ++count;
      any = &*f;
    }
  }
  if (count < place.set->k) co_return Status(Code::kNoSuchUpload);
  co_return *any;
}

Task<Result<meta::PartRecord>> ObjectLayer::PutPart(std::string bucket, std::string key,
                                                    std::string upload_id, uint32_t part_number,
                                                    std::optional<uint64_t> size,
                                                    BodySource& body, FinishWrite finish) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::UploadRecord up, co_await GetUpload(bucket, key, upload_id));
  STRATA_CO_ASSIGN_OR_RETURN(Placement place, impl_->PartPlace(up));
  STRATA_CO_ASSIGN_OR_RETURN(WrittenData data, co_await impl_->WriteData(place, size, body, false));
  meta::VersionRecord scratch;
  scratch.size = data.size;
  Status verdict = finish(data.size, scratch);
  if (!verdict.ok()) {
    co_await impl_->DiscardData(place, data);
    co_return verdict;
  }
  meta::PartRecord part;
  part.part_number = part_number;
  part.mtime = impl_->options.clock->Now();
  part.segment.part_number = part_number;
  part.segment.size = data.size;
  part.segment.etag = scratch.etag;
  part.segment.data_id = data.data_id;
  part.segment.block_size = data.block_size;
  part.segment.checksums = scratch.checksums;

  const auto& drives = place.set->drives;
  std::vector<bool> ok(drives.size(), false);
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!data.durable[i] || !drives[i]) co_return;
    DriveTxn txn;
    // A part uploaded again replaces the old one and frees its shards.
    auto existing = co_await drives[i]->ListParts(upload_id);
    if (existing.ok()) {
      for (const auto& p : *existing) {
        if (p.part_number == part_number) {
          txn.delete_parts.push_back({upload_id, part_number, p.segment.data_id, false});
        }
      }
    }
    meta::PartRecord mine = part;
    mine.shard_index = static_cast<uint8_t>(place.ShardOfDrive(static_cast<int>(i)));
    txn.put_parts.push_back({upload_id, std::move(mine)});
    ok[i] = (co_await drives[i]->Apply(std::move(txn))).ok();
  });
  if (CountTrue(ok) < Impl::WriteQuorum(*place.set)) {
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  co_return part;
}

Task<Result<std::vector<meta::PartRecord>>> ObjectLayer::ListParts(std::string bucket,
                                                                   std::string key,
                                                                   std::string upload_id) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::UploadRecord up, co_await GetUpload(bucket, key, upload_id));
  STRATA_CO_ASSIGN_OR_RETURN(Placement place, impl_->PartPlace(up));
  const auto& drives = place.set->drives;
  std::vector<std::optional<std::vector<meta::PartRecord>>> per(drives.size());
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    auto r = co_await drives[i]->ListParts(upload_id);
    if (r.ok()) per[i] = std::move(*r);
  });
  // A part counts when k drives hold the same shard file for it.
  std::map<std::pair<uint32_t, std::string>, std::pair<int, meta::PartRecord>> votes;
  for (auto& parts : per) {
    if (!parts) continue;
    for (auto& p : *parts) {
      auto& slot = votes[{p.part_number, p.segment.data_id}];
      if (slot.first++ == 0) slot.second = std::move(p);
    }
  }
  std::map<uint32_t, meta::PartRecord> best;
  for (auto& [id, slot] : votes) {
    if (slot.first < place.set->k) continue;
    auto it = best.find(id.first);
    if (it == best.end() || slot.second.mtime > it->second.mtime) best[id.first] = slot.second;
  }
  std::vector<meta::PartRecord> out;
  for (auto& [n, p] : best) out.push_back(std::move(p));
  co_return out;
}

Task<Result<meta::VersionRecord>> ObjectLayer::CompleteUpload(std::string bucket, std::string key,
                                                              std::string upload_id,
                                                              std::vector<CompletePart> parts) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::UploadRecord up, co_await GetUpload(bucket, key, upload_id));
  STRATA_CO_ASSIGN_OR_RETURN(auto stored, co_await ListParts(bucket, key, upload_id));
  if (parts.empty()) co_return Status(Code::kMalformedXML);
  std::map<uint32_t, const meta::PartRecord*> by_number;
  for (const auto& p : stored) by_number[p.part_number] = &p;

  meta::VersionRecord record;
  std::string md5s;
  std::string composite;  // concatenated raw part checksums
  bool have_all_checksums = !up.checksum_algorithm.empty();
  uint32_t prev = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& want = parts[i];
    if (want.part_number <= prev) co_return Status(Code::kInvalidPartOrder);
    prev = want.part_number;
    auto it = by_number.find(want.part_number);
    if (it == by_number.end() || it->second->segment.etag != want.etag) {
      co_return Status(Code::kInvalidPart,
                       "One or more of the specified parts could not be found. The part may not "
                       "have been uploaded, or the specified entity tag may not match the part's "
                       "entity tag.");
    }
    const meta::Segment& seg = it->second->segment;
    if (i + 1 < parts.size() && seg.size < kMinPartSize) {
      co_return Status(Code::kEntityTooSmall);
    }
    auto raw = HexDecode(seg.etag);
    if (!raw) co_return Status(Code::kInternal, "stored part etag is not hex");
    md5s += *raw;
    if (have_all_checksums) {
      bool found = false;
      for (const auto& [algo, value] : seg.checksums) {
        if (algo == up.checksum_algorithm) {
          auto bytes = Base64Decode(value);
          if (bytes) {
            composite += *bytes;
            found = true;
          }
        }
      }
      have_all_checksums = found;
    }
    record.segments.push_back(seg);
    record.size += seg.size;
  }
  STRATA_CO_ASSIGN_OR_RETURN(std::string versioning, co_await impl_->Versioning(bucket));
  Placement home = impl_->Place(bucket, key);
  STRATA_CO_ASSIGN_OR_RETURN(Placement place, impl_->PartPlace(up));
  const bool apart = place.set != home.set;
  STRATA_CO_ASSIGN_OR_RETURN(
      std::string location,
      impl_->LocationOf(up.storage_class.empty() ? "STANDARD" : up.storage_class, false));
  record.version_id = impl_->NewVersionId();
  record.null_version = versioning != kVersioningEnabled;
  record.tags = up.tags;
  record.retention_mode = up.retention_mode;
  record.retain_until = up.retain_until;
  record.legal_hold = up.legal_hold;
  record.mtime = impl_->options.clock->Now();
  record.etag = HexMd5(md5s) + "-" + std::to_string(parts.size());
  record.k = up.k;
  record.m = up.m;
  record.storage_class = up.storage_class;
  record.headers = up.headers;
  if (have_all_checksums) {
    if (auto algo = ParseChecksumAlgorithm(up.checksum_algorithm)) {
      Checksummer c(*algo);
      c.Update(composite);
      record.checksums.emplace_back(up.checksum_algorithm,
                                    Base64Encode(c.Finish()) + "-" + std::to_string(parts.size()));
      record.checksum_type = "COMPOSITE";
    }
  }
  std::map<uint32_t, bool> used;
  for (const auto& p : parts) used[p.part_number] = true;

  // Parts in another pool become an internal object there first (the data's
  // commit point on its set); the home record then points at it.
  std::string store_bucket = bucket, store_key = key;
  if (apart) {
    store_bucket = std::string(kInternalBucket);
    store_key = StoreKey(bucket, key, record.version_id);
  }
  meta::VersionRecord data_record = record;
  if (apart) {
    // The internal object is plain data: the owner's record carries the rest.
    data_record.null_version = true;
    data_record.tags.clear();
    data_record.headers.clear();
    data_record.retention_mode.clear();
    data_record.retain_until = {};
    data_record.legal_hold = false;
    data_record.storage_class.clear();
  }
  const auto& drives = place.set->drives;
  std::vector<bool> ok(drives.size(), false);
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    auto mine = co_await drives[i]->ListParts(upload_id);
    if (!mine.ok()) co_return;
    // This drive must hold every used part's shard, or it cannot serve the object.
    std::map<uint32_t, const meta::PartRecord*> have;
    for (const auto& p : *mine) have[p.part_number] = &p;
    for (const auto& seg : data_record.segments) {
      auto it = have.find(seg.part_number);
      if (it == have.end() || it->second->segment.data_id != seg.data_id) co_return;
    }
    DriveTxn txn;
    meta::VersionRecord r = data_record;
    r.shard_index = static_cast<uint8_t>(place.ShardOfDrive(static_cast<int>(i)));
    txn.put_versions.push_back({store_bucket, store_key, std::move(r), {}});
    for (const auto& p : *mine) {
      bool keep = used.count(p.part_number) && by_number.count(p.part_number) &&
                  by_number[p.part_number]->segment.data_id == p.segment.data_id;
      txn.delete_parts.push_back({upload_id, p.part_number, p.segment.data_id, keep});
    }
    if (!apart) txn.delete_uploads.push_back({bucket, key, upload_id});
    ok[i] = (co_await drives[i]->Apply(std::move(txn))).ok();
  });
  if (CountTrue(ok) < Impl::WriteQuorum(*place.set)) {
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  if (apart) {
    meta::VersionRecord owner = record;
    owner.location = location;
    owner.location_key = store_key;
    owner.k = static_cast<uint8_t>(home.set->k);
    owner.m = static_cast<uint8_t>(home.set->m);
    for (auto& seg : owner.segments) seg.data_id.clear();
    const auto& home_drives = home.set->drives;
    std::vector<bool> committed(home_drives.size(), false);
    co_await ParallelEach(home_drives.size(), [&](size_t i) -> Task<void> {
      if (!home_drives[i] || !home_drives[i]->online()) co_return;
      DriveTxn txn;
      txn.put_versions.push_back({bucket, key, owner, {}});
      txn.delete_uploads.push_back({bucket, key, upload_id});
      committed[i] = (co_await home_drives[i]->Apply(std::move(txn))).ok();
    });
    if (CountTrue(committed) < Impl::WriteQuorum(*home.set)) {
      impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
      // The internal object is an orphan now; the lifecycle sweep takes it.
      co_return Status(Code::kUnavailable, "write quorum not reached");
    }
    record = owner;
  }
  if (record.null_version) co_await impl_->RemoveSuperseded(home, bucket, key, record.version_id);
  co_return record;
}

Task<Status> ObjectLayer::AbortUpload(std::string bucket, std::string key, std::string upload_id) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::UploadRecord up, co_await GetUpload(bucket, key, upload_id));
  Placement home = impl_->Place(bucket, key);
  STRATA_CO_ASSIGN_OR_RETURN(Placement parts_place, impl_->PartPlace(up));
  const bool apart = parts_place.set != home.set;
  // Parts first (on their set), then the upload record (on the home set).
  for (const Placement* place : {&parts_place, &home}) {
    const auto& drives = place->set->drives;
    std::vector<bool> ok(drives.size(), false);
    const bool parts_here = place == &parts_place;
    const bool upload_here = !apart || place == &home;
    co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
      if (!drives[i] || !drives[i]->online()) co_return;
      DriveTxn txn;
      if (parts_here) {
        auto parts = co_await drives[i]->ListParts(upload_id);
        if (!parts.ok()) co_return;
        for (const auto& p : *parts) {
          txn.delete_parts.push_back({upload_id, p.part_number, p.segment.data_id, false});
        }
      }
      if (upload_here) txn.delete_uploads.push_back({bucket, key, upload_id});
      ok[i] = txn.delete_parts.empty() && txn.delete_uploads.empty()
                  ? true
                  : (co_await drives[i]->Apply(std::move(txn))).ok();
    });
    if (CountTrue(ok) < Impl::WriteQuorum(*place->set)) {
      co_return Status(Code::kUnavailable, "write quorum not reached");
    }
    if (!apart) break;  // one set held both
  }
  co_return Status();
}

Task<Result<std::vector<meta::UploadRecord>>> ObjectLayer::ListUploads(ListUploadsArgs args) {
  std::map<std::pair<std::string, std::string>, std::pair<int, meta::UploadRecord>> seen;
  int k = 0;
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      k = set.k;
      co_await ParallelEach(set.drives.size(), [&](size_t i) -> Task<void> {
        const auto& d = set.drives[i];
        if (!d || !d->online()) co_return;
        auto r = co_await d->ListUploads(args.bucket, args.prefix, args.key_marker,
                                         args.upload_id_marker, args.max_uploads + 1);
        if (!r.ok()) co_return;
        for (auto& u : *r) {
          auto& slot = seen[{u.key, u.upload_id}];
          if (slot.first++ == 0) slot.second = std::move(u);
        }
      });
    }
  }
  std::vector<meta::UploadRecord> out;
  for (auto& [id, slot] : seen) {
    if (slot.first < k) continue;
    if (out.size() == args.max_uploads + 1) break;
    out.push_back(std::move(slot.second));
  }
  co_return out;
}

}  // namespace strata::gw
