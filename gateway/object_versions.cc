// Versions as S3 sees them: named versions (HEAD/GET/DELETE by versionId),
// delete markers, in-place tag changes and ListObjectVersions. The quorum
// rules are the object layer's (docs/ARCHITECTURE.md, "Versioning and
// tagging"): a version exists when k drives of its set hold it.
#include <algorithm>
#include <map>
#include <set>

#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

Result<VersionRef> ParseVersionId(std::string_view s3_version_id) {
  VersionRef ref;
  if (s3_version_id == "null") {
    ref.kind = VersionRef::Kind::kNull;
    return ref;
  }
  auto raw = meta::VersionIdFromHex(s3_version_id);
  if (!raw.ok()) return Status(Code::kInvalidArgument, "Invalid version id specified");
  ref.kind = VersionRef::Kind::kId;
  ref.id = std::move(*raw);
  return ref;
}

std::string S3VersionId(const meta::VersionRecord& record) {
  return record.null_version ? "null" : meta::VersionIdHex(record.version_id);
}

Task<Result<std::string>> ObjectLayer::Impl::Versioning(const std::string& bucket) {
  {
    std::shared_lock lock(bucket_mu);
    if (const meta::BucketRecord* cached = CachedBucketRecord(bucket)) {
      co_return cached->versioning;
    }
  }
  STRATA_CO_ASSIGN_OR_RETURN(meta::BucketRecord record, co_await Bucket(bucket));
  co_return std::move(record.versioning);
}

Task<Result<std::string>> ObjectLayer::BucketVersioning(std::string name) {
  co_return co_await impl_->Versioning(name);
}

// ---- Named versions ------------------------------------------------------------

Task<Result<meta::VersionRecord>> ObjectLayer::Impl::HeadVersion(const Placement& place,
                                                                 const std::string& bucket,
                                                                 const std::string& key,
                                                                 const VersionRef& ref) {
  const ErasureSet& set = *place.set;
  // Per version id: how many drives hold it and its freshest copy.
  std::map<std::string, std::pair<int, meta::VersionRecord>, std::greater<>> held;
  int answered = 0;
  if (ref.kind == VersionRef::Kind::kId) {
    co_await ParallelEach(set.drives.size(), [&](size_t i) -> Task<void> {
      if (!set.drives[i] || !set.drives[i]->online()) co_return;
      auto r = co_await set.drives[i]->GetVersion(bucket, key, ref.id);
      if (!r.ok() && r.status().code() != Code::kNotFound) co_return;
      ++answered;
      if (!r.ok()) co_return;
      auto& slot = held[ref.id];
      slot.second = slot.first++ == 0 ? std::move(*r) : Freshest(slot.second, *r);
    });
  } else {
    auto per_drive = co_await ReadVersions(place, bucket, key);
    for (auto& versions : per_drive) {
      if (!versions) continue;
      ++answered;
      for (auto& v : *versions) {
        if (!v.null_version) continue;
        auto& slot = held[v.version_id];
        slot.second = slot.first++ == 0 ? std::move(v) : Freshest(slot.second, v);
      }
    }
  }
  if (answered < set.k) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "read quorum not available");
  }
  const int unanswered = static_cast<int>(set.drives.size()) - answered;
  // Newest first: the null version is the newest null one k drives hold; a
  // newer one the silent drives could still complete makes the answer unknown.
  for (auto& [id, slot] : held) {
    if (slot.first >= set.k) co_return std::move(slot.second);
    if (slot.first + unanswered >= set.k) {
      stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
      co_return Status(Code::kUnavailable, "read quorum not available for the version");
    }
  }
  co_return Status(Code::kNoSuchVersion);
}

Task<Result<meta::VersionRecord>> ObjectLayer::Impl::PutDeleteMarker(const Placement& place,
                                                                     const std::string& bucket,
                                                                     const std::string& key,
                                                                     bool null_version) {
  meta::VersionRecord record;
  record.version_id = NewVersionId();
  record.null_version = null_version;
  record.delete_marker = true;
  record.mtime = options.clock->Now();
  record.k = static_cast<uint8_t>(place.set->k);
  record.m = static_cast<uint8_t>(place.set->m);
  // No data: every online drive can take the record.
  STRATA_CO_TRY(co_await CommitVersion(place, bucket, key, record, MetadataOnly(place)));
  co_return record;
}

Task<Result<DeleteResult>> ObjectLayer::DeleteObject(std::string bucket, std::string key,
                                                     VersionRef ref, bool bypass_governance) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string versioning, co_await impl_->Versioning(bucket));
  Placement place = impl_->Place(bucket, key);
  DeleteResult result;
  if (ref.latest() && !versioning.empty()) {
    // Versioned: the DELETE is a new version, a marker.
    STRATA_CO_ASSIGN_OR_RETURN(
        auto marker,
        co_await impl_->PutDeleteMarker(place, bucket, key, versioning == kVersioningSuspended));
    result.delete_marker = true;
    result.version_id = S3VersionId(marker);
    co_return result;
  }
  // Remove versions for good: every version of a never-versioned bucket's
  // key, or the one named.
  const auto& drives = place.set->drives;
  std::vector<bool> done(drives.size(), false);
  bool removed_marker = false;
  std::optional<Status> refused;  // a drive's WORM refusal, passed on as it is
  bool failed = false;
  std::map<std::string, meta::VersionRecord> elsewhere;  // removed versions with a location
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    DriveTxn txn;
    if (ref.kind == VersionRef::Kind::kId) {
      auto r = co_await drives[i]->GetVersion(bucket, key, ref.id);
      if (!r.ok() && r.status().code() != Code::kNotFound) co_return;
      if (r.ok()) {
        removed_marker = removed_marker || r->delete_marker;
        txn.delete_versions.push_back({bucket, key, std::move(*r), bypass_governance});
      }
    } else {
      auto versions = co_await drives[i]->GetVersions(bucket, key);
      if (!versions.ok()) co_return;
      for (auto& v : *versions) {
        if (ref.kind == VersionRef::Kind::kNull && !v.null_version) continue;
        removed_marker = removed_marker || v.delete_marker;
        txn.delete_versions.push_back({bucket, key, std::move(v), bypass_governance});
      }
    }
    if (txn.delete_versions.empty()) {
      done[i] = true;
      co_return;
    }
    std::vector<meta::VersionRecord> located;
    for (const auto& op : txn.delete_versions) {
      if (!op.record.location.empty()) located.push_back(op.record);
    }
    Status st = co_await drives[i]->Apply(std::move(txn));
    done[i] = st.ok();
    if (!st.ok()) failed = true;
    if (st.code() == Code::kAccessDenied) refused = st;
    if (st.ok()) {
      for (auto& v : located) elsewhere.emplace(v.version_id, std::move(v));
    }
  });
  if (refused) co_return *refused;
  // The bytes in another store go only when no drive kept the record.
  if (!failed) {
    for (const auto& [id, v] : elsewhere) co_await impl_->ReleaseLocation(v);
  }
  if (static_cast<int>(std::count(done.begin(), done.end(), true)) <
      Impl::WriteQuorum(*place.set)) {
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  if (!ref.latest()) {
    result.delete_marker = removed_marker;
    result.version_id = ref.kind == VersionRef::Kind::kNull ? "null" : meta::VersionIdHex(ref.id);
  }
  co_return result;
}

namespace {

// Applies an in-place change of one version on every online drive of its
// set; `add` puts the change into a drive's transaction. A drive's refusal
// (WORM) is passed on; otherwise a write quorum must have taken it.
Task<Status> UpdateInPlace(ObjectLayer::Impl& impl, const Placement& place,
                           const std::function<void(DriveTxn&)>& add) {
  const auto& drives = place.set->drives;
  std::vector<bool> ok(drives.size(), false);
  std::optional<Status> refused;
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    DriveTxn txn;
    add(txn);
    Status st = co_await drives[i]->Apply(std::move(txn));
    ok[i] = st.ok();
    if (st.code() == Code::kAccessDenied) refused = st;
  });
  if (refused) co_return *refused;
  if (static_cast<int>(std::count(ok.begin(), ok.end(), true)) <
      ObjectLayer::Impl::WriteQuorum(*place.set)) {
    impl.stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not reached");
  }
  co_return Status();
}

}  // namespace

Task<Result<meta::VersionRecord>> ObjectLayer::SetObjectTags(std::string bucket, std::string key,
                                                             VersionRef ref,
                                                             meta::StringPairs tags) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::VersionRecord record, co_await HeadObject(bucket, key, ref));
  if (record.delete_marker) {
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  DriveTxn::SetTags op{bucket, key, record.version_id, std::move(tags),
                       impl_->options.clock->Now()};
  STRATA_CO_TRY(co_await UpdateInPlace(*impl_, impl_->Place(bucket, key),
                                       [&op](DriveTxn& txn) { txn.set_tags.push_back(op); }));
  record.tags = std::move(op.tags);
  record.updated = op.updated;
  co_return record;
}

Task<Result<meta::VersionRecord>> ObjectLayer::SetObjectRetention(std::string bucket,
                                                                  std::string key, VersionRef ref,
                                                                  std::string mode, SysTime until,
                                                                  bool bypass_governance) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::VersionRecord record, co_await HeadObject(bucket, key, ref));
  if (record.delete_marker) {
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  DriveTxn::SetRetention op{bucket,
                            key,
                            record.version_id,
                            std::move(mode),
                            until,
                            bypass_governance,
                            impl_->options.clock->Now()};
  STRATA_CO_TRY(co_await UpdateInPlace(*impl_, impl_->Place(bucket, key),
                                       [&op](DriveTxn& txn) { txn.set_retentions.push_back(op); }));
  record.retention_mode = op.mode;
  record.retain_until = op.mode.empty() ? SysTime{} : op.until;
  record.updated = op.updated;
  co_return record;
}

Task<Result<meta::VersionRecord>> ObjectLayer::SetObjectLegalHold(std::string bucket,
                                                                  std::string key, VersionRef ref,
                                                                  bool on) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::VersionRecord record, co_await HeadObject(bucket, key, ref));
  if (record.delete_marker) {
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  DriveTxn::SetLegalHold op{bucket, key, record.version_id, on, impl_->options.clock->Now()};
  STRATA_CO_TRY(co_await UpdateInPlace(*impl_, impl_->Place(bucket, key), [&op](DriveTxn& txn) {
    txn.set_legal_holds.push_back(op);
  }));
  record.legal_hold = on;
  record.updated = op.updated;
  co_return record;
}

// ---- ListObjectVersions --------------------------------------------------------

namespace {

struct VersionStream {
  server::Drive* drive = nullptr;
  const ErasureSet* set = nullptr;
  std::vector<server::ListEntry> entries;
  size_t pos = 0;
  bool more = true;
  std::string last_key, last_version;  // resume after these
  bool failed = false;

  bool HasFront() const { return pos < entries.size(); }
  const server::ListEntry& Front() const { return entries[pos]; }
};

// Listing order: keys ascending, each key's versions newest first.
bool Before(const server::ListEntry& a, const server::ListEntry& b) {
  if (a.key != b.key) return a.key < b.key;
  return a.record.version_id > b.record.version_id;
}

bool Same(const server::ListEntry& a, const server::ListEntry& b) {
  return a.key == b.key && a.is_prefix == b.is_prefix && a.record.version_id == b.record.version_id;
}

// A key's versions as all drives of its set see them.
struct ResolvedKey {
  std::string key;
  std::map<std::string, meta::VersionRecord> readable;  // k drives hold it
  std::set<std::string> unknown;  // too few answering holders, maybe committed
};

}  // namespace

Task<Result<ListVersionsResult>> ObjectLayer::ListObjectVersions(ListVersionsArgs args) {
  ListVersionsResult result;
  if (args.max_keys == 0) co_return result;
  std::string start_version;
  if (!args.key_marker.empty() && args.version_marker.kind == VersionRef::Kind::kId) {
    start_version = args.version_marker.id;
  } else if (!args.key_marker.empty() && args.version_marker.kind == VersionRef::Kind::kNull) {
    // Resume after the marker key's null version: find its internal id.
    Placement place = impl_->Place(args.bucket, args.key_marker);
    auto per_drive = co_await impl_->ReadVersions(place, args.bucket, args.key_marker);
    for (const auto& versions : per_drive) {
      if (!versions) continue;
      for (const auto& v : *versions) {
        if (v.null_version && v.version_id > start_version) start_version = v.version_id;
      }
    }
  }
  const bool resumed_in_key = !start_version.empty();

  std::vector<VersionStream> streams;
  std::vector<const server::Drive*> tried;
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      const int want = std::max(set.k, set.m + 1);
      int picked = 0;
      for (const auto& d : set.drives) {
        if (picked == want) break;
        if (!d || !d->online()) continue;
        VersionStream s;
        s.drive = d.get();
        s.set = &set;
        s.last_key = args.key_marker;
        s.last_version = start_version;
        streams.push_back(std::move(s));
        tried.push_back(d.get());
        ++picked;
      }
      if (picked < set.k) co_return Status(Code::kUnavailable, "read quorum not available");
    }
  }
  const size_t page = std::min<size_t>(args.max_keys + 1, 1001);

  auto refill = [&]() -> Task<Status> {
    for (;;) {
      co_await ParallelEach(streams.size(), [&](size_t i) -> Task<void> {
        VersionStream& s = streams[i];
        if (s.HasFront() || !s.more || s.failed) co_return;
        server::ListRequest req;
        req.bucket = args.bucket;
        req.prefix = args.prefix;
        req.delimiter = args.delimiter;
        req.start_after = s.last_key;
        req.start_version = s.last_version;
        req.max_entries = page;
        auto r = co_await s.drive->ListVersions(std::move(req));
        if (!r.ok()) {
          s.failed = true;
          co_return;
        }
        s.entries = std::move(r->entries);
        s.pos = 0;
        s.more = r->truncated && !s.entries.empty();
        if (!s.entries.empty()) {
          s.last_key = s.entries.back().key;
          s.last_version = s.entries.back().is_prefix ? "" : s.entries.back().record.version_id;
        }
      });
      bool replaced = false;
      if (!ReplaceFailedListDrives(streams, tried, &replaced)) {
        co_return Status(Code::kUnavailable, "a drive failed during the listing");
      }
      if (!replaced) co_return Status();
    }
  };

  ResolvedKey resolved;
  std::string latest_seen;  // the key whose newest readable version was emitted
  size_t emitted = 0;
  std::string last_key, last_version;
  while (true) {
    STRATA_CO_TRY(co_await refill());
    const server::ListEntry* min = nullptr;
    const ErasureSet* set = nullptr;
    for (const auto& s : streams) {
      if (s.HasFront() && (!min || Before(s.Front(), *min))) {
        min = &s.Front();
        set = s.set;
      }
    }
    if (!min) break;
    if (emitted == args.max_keys) {
      result.truncated = true;
      break;
    }
    const server::ListEntry entry = *min;
    if (entry.is_prefix) {
      bool every = false;
      for (size_t begin = 0; begin < streams.size() && !every;) {
        size_t end = begin;
        bool all = true;
        for (; end < streams.size() && streams[end].set == streams[begin].set; ++end) {
          all = all && streams[end].HasFront() && Same(streams[end].Front(), entry);
        }
        every = all;
        begin = end;
      }
      if (!every) {
        ListVersionsArgs under;
        under.bucket = args.bucket;
        under.prefix = entry.key;
        under.max_keys = 1;
        STRATA_CO_ASSIGN_OR_RETURN(auto found, co_await ListObjectVersions(std::move(under)));
        every = !found.versions.empty();
      }
      if (every) {
        result.common_prefixes.push_back(entry.key);
        ++emitted;
        last_key = entry.key;
        last_version.clear();
      }
    } else {
      int in_set = 0, holders = 0;
      const meta::VersionRecord* freshest = nullptr;
      for (const auto& s : streams) {
        if (s.set != set) continue;
        ++in_set;
        if (s.HasFront() && Same(s.Front(), entry)) {
          ++holders;
          freshest = freshest ? &Freshest(*freshest, s.Front().record) : &s.Front().record;
        }
      }
      std::optional<meta::VersionRecord> accepted;
      if (holders == in_set) {
        accepted = *freshest;
      } else {
        if (resolved.key != entry.key) {
          resolved = ResolvedKey{entry.key, {}, {}};
          Placement place = impl_->Place(args.bucket, entry.key);
          auto per_drive = co_await impl_->ReadVersions(place, args.bucket, entry.key);
          int unanswered = 0;
          std::map<std::string, std::pair<int, meta::VersionRecord>> count;
          for (auto& versions : per_drive) {
            if (!versions) {
              ++unanswered;
              continue;
            }
            for (auto& v : *versions) {
              auto& slot = count[v.version_id];
              slot.second = slot.first++ == 0 ? std::move(v) : Freshest(slot.second, v);
            }
          }
          for (auto& [id, slot] : count) {
            if (slot.first >= place.set->k) {
              resolved.readable.emplace(id, std::move(slot.second));
            } else if (slot.first + unanswered >= place.set->k) {
              resolved.unknown.insert(id);
            }
          }
        }
        auto it = resolved.readable.find(entry.record.version_id);
        if (it != resolved.readable.end()) {
          accepted = it->second;
        } else if (resolved.unknown.contains(entry.record.version_id)) {
          impl_->stats.unresolved_list_keys.fetch_add(1, std::memory_order_relaxed);
        }
      }
      if (accepted) {
        ListedVersion v;
        v.key = entry.key;
        // The first readable version of a key is its latest, unless this
        // listing resumed inside the key (newer ones came on an earlier page).
        v.is_latest = entry.key != latest_seen && !(resumed_in_key && entry.key == args.key_marker);
        latest_seen = entry.key;
        v.record = std::move(*accepted);
        last_key = v.key;
        last_version = S3VersionId(v.record);
        result.versions.push_back(std::move(v));
        ++emitted;
      }
    }
    for (auto& s : streams) {
      if (s.HasFront() && Same(s.Front(), entry)) ++s.pos;
    }
  }
  if (result.truncated) {
    result.next_key_marker = last_key;
    result.next_version_marker = last_version;
  }
  co_return result;
}

}  // namespace strata::gw
