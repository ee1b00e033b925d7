// Data stores: other pools of this cluster as stores of internal objects,
// the resolution of a record's location, and the helpers every store shares.
// See docs/ARCHITECTURE.md, "Where a version's data lives".
#include <algorithm>
#include <cstring>

#include "common/encoding.h"
#include "gateway/data_store.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

namespace {

constexpr std::string_view kPoolPrefix = "pool:";
constexpr std::string_view kTierPrefix = "tier:";

// A pool other than the home pool, holding each object as an internal
// object with the usual records, shards, quorum and crash safety. Objects
// are placed by their owner's bucket/key (parsed from the store key), so a
// multipart upload's parts, written before the version id exists, land on
// the set the completed object's record goes to.
class PoolStore final : public DataStore {
 public:
  PoolStore(ObjectLayer::Impl& impl, size_t pool) : impl_(impl), pool_(pool) {}

  Task<Status> Put(std::string key, std::optional<uint64_t> size, BodySource& body) override {
    const std::string bucket(kInternalBucket);
    Placement place = impl_.PoolPlace(pool_, key);
    STRATA_CO_ASSIGN_OR_RETURN(WrittenData data,
                               co_await impl_.WriteData(place, size, body, true));
    meta::VersionRecord record;
    record.version_id = impl_.NewVersionId();
    record.null_version = true;
    record.mtime = impl_.options.clock->Now();
    record.size = data.size;
    record.k = static_cast<uint8_t>(place.set->k);
    record.m = static_cast<uint8_t>(place.set->m);
    record.inline_data = data.is_inline();
    meta::Segment seg;
    seg.size = data.size;
    seg.data_id = data.data_id;
    seg.block_size = data.block_size;
    record.segments.push_back(std::move(seg));
    Status st = !size || data.size == *size
                    ? co_await impl_.CommitVersion(place, bucket, key, record, data)
                    : Status(Code::kIncompleteBody, "the source ended early");
    if (!st.ok() && !data.is_inline()) co_await impl_.DiscardData(place, data);
    co_return st;
  }

  Task<Status> Read(std::string key, uint64_t offset, uint64_t length, BodySink& sink) override {
    const std::string bucket(kInternalBucket);
    Placement place = impl_.PoolPlace(pool_, key);
    VersionRef latest = VersionRef::Latest();
    auto record = co_await impl_.Head(place, bucket, key, latest);
    if (!record.ok()) {
      if (record.status().code() == Code::kNoSuchKey) {
        co_return Status(Code::kNotFound, "data object missing in its pool");
      }
      co_return record.status();
    }
    if (record->delete_marker || offset + length > record->size) {
      co_return Status(Code::kNotFound, "data object missing in its pool");
    }
    co_return co_await impl_.Read(place, bucket, key, *record, offset, length, sink);
  }

  Task<Status> Delete(std::string key) override {
    const std::string bucket(kInternalBucket);
    Placement place = impl_.PoolPlace(pool_, key);
    const auto& drives = place.set->drives;
    std::vector<bool> done(drives.size(), false);
    co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
      if (!drives[i] || !drives[i]->online()) co_return;
      auto versions = co_await drives[i]->GetVersions(bucket, key);
      if (!versions.ok()) co_return;
      DriveTxn txn;
      for (auto& v : *versions) txn.delete_versions.push_back({bucket, key, std::move(v)});
      done[i] = txn.delete_versions.empty() || (co_await drives[i]->Apply(std::move(txn))).ok();
    });
    if (std::count(done.begin(), done.end(), true) < ObjectLayer::Impl::WriteQuorum(*place.set)) {
      co_return Status(Code::kUnavailable, "write quorum not reached");
    }
    co_return Status();
  }

  // The union of what every online drive lists: for orphan sweeps a key
  // that only some drives hold is as much an orphan as any other.
  Task<Result<std::vector<Entry>>> List(std::string prefix, std::string start_after,
                                       size_t max) override {
    std::map<std::string, Entry> merged;
    std::vector<server::Drive*> drives;
    for (const auto& set : impl_.options.pools[pool_].sets)
      for (const auto& d : set.drives)
        if (d && d->online()) drives.push_back(d.get());
    int answered = 0;
    co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
      server::ListRequest req;
      req.bucket = std::string(kInternalBucket);
      req.prefix = prefix;
      req.start_after = start_after;
      req.max_entries = max;
      auto page = co_await drives[i]->ListLatest(std::move(req));
      if (!page.ok()) co_return;
      ++answered;
      for (auto& e : page->entries) {
        if (e.is_prefix || e.record.delete_marker) continue;
        merged.emplace(e.key, Entry{e.key, e.record.size, e.record.mtime});
      }
    });
    if (answered == 0) co_return Status(Code::kUnavailable, "no drive of the pool answered");
    std::vector<Entry> out;
    for (auto& [key, entry] : merged) {
      if (out.size() == max) break;
      out.push_back(std::move(entry));
    }
    co_return out;
  }

 private:
  ObjectLayer::Impl& impl_;
  size_t pool_;
};

// Serves Read calls from chunks pulled through a RangeReader.
class RangeSource final : public BodySource {
 public:
  RangeSource(RangeReader read, uint64_t length, size_t chunk)
      : read_(std::move(read)), length_(length), chunk_(chunk) {}

  Task<Result<size_t>> Read(MutableByteSpan out) override {
    if (at_ == buffer_.size()) {
      if (pos_ == length_) co_return size_t{0};
      buffer_.clear();
      at_ = 0;
      const uint64_t n = std::min<uint64_t>(chunk_, length_ - pos_);
      Collect sink(buffer_);
      STRATA_CO_TRY(co_await read_(pos_, n, sink));
      if (buffer_.size() != n) co_return Status(Code::kIncompleteBody, "short read of the source");
      pos_ += n;
    }
    const size_t n = std::min(out.size(), buffer_.size() - at_);
    std::memcpy(out.data(), buffer_.data() + at_, n);
    at_ += n;
    co_return n;
  }

 private:
  class Collect final : public BodySink {
   public:
    explicit Collect(std::string& into) : into_(into) {}
    Task<Status> Write(ByteSpan data) override {
      into_.append(AsChars(data));
      co_return Status();
    }

   private:
    std::string& into_;
  };

  RangeReader read_;
  uint64_t length_;
  size_t chunk_;
  uint64_t pos_ = 0;
  std::string buffer_;
  size_t at_ = 0;
};

}  // namespace

std::string StoreKey(std::string_view bucket, std::string_view key,
                     std::string_view version_id_raw) {
  std::string out(bucket);
  out.append("/").append(key).append("/").append(meta::VersionIdHex(version_id_raw));
  return out;
}

std::unique_ptr<BodySource> MakeRangeSource(RangeReader read, uint64_t length, size_t chunk) {
  return std::make_unique<RangeSource>(std::move(read), length, chunk);
}

Placement ObjectLayer::Impl::PoolPlace(size_t pool, std::string_view store_key) const {
  size_t first = store_key.find('/');
  size_t last = store_key.rfind('/');
  if (first == std::string_view::npos || last <= first) {
    return PlaceIn(pool, kInternalBucket, store_key);
  }
  return PlaceIn(pool, store_key.substr(0, first), store_key.substr(first + 1, last - first - 1));
}

int ObjectLayer::Impl::PoolIndex(std::string_view location) const {
  if (!location.starts_with(kPoolPrefix)) return -1;
  for (size_t p = 0; p < options.pools.size(); ++p) {
    if (options.pools[p].name == location.substr(kPoolPrefix.size())) return static_cast<int>(p);
  }
  return -1;
}

void BuildPoolStores(ObjectLayer::Impl& impl) {
  for (size_t p = 1; p < impl.options.pools.size(); ++p) {
    impl.pool_stores.emplace(std::string(kPoolPrefix) + impl.options.pools[p].name,
                             std::make_shared<PoolStore>(impl, p));
  }
}

Result<std::shared_ptr<DataStore>> ObjectLayer::Impl::Store(std::string_view location) const {
  if (location.starts_with(kPoolPrefix)) {
    auto it = pool_stores.find(std::string(location));
    if (it != pool_stores.end()) return it->second;
  } else if (location.starts_with(kTierPrefix)) {
    std::shared_lock lock(tier_mu);
    if (tier_resolver) {
      if (auto store = tier_resolver(location.substr(kTierPrefix.size()))) return store;
    }
  }
  return Status(Code::kNotFound, "unknown data location " + std::string(location));
}

Result<std::string> ObjectLayer::Impl::LocationOf(std::string_view storage_class,
                                                  bool allow_tiers) const {
  auto it = options.storage_classes.find(std::string(storage_class));
  if (it != options.storage_classes.end()) {
    if (it->second == options.pools.front().name) return std::string();
    return std::string(kPoolPrefix) + it->second;
  }
  if (options.storage_classes.empty() && storage_class == "STANDARD") return std::string();
  if (allow_tiers) {
    std::shared_lock lock(tier_mu);
    if (tier_resolver && tier_resolver(storage_class)) {
      return std::string(kTierPrefix) + std::string(storage_class);
    }
  }
  return Status(Code::kInvalidStorageClass);
}

Task<void> ObjectLayer::Impl::ReleaseLocation(const meta::VersionRecord& removed) {
  if (removed.location.empty()) co_return;
  auto store = Store(removed.location);
  if (!store.ok()) co_return;
  // A failure leaves an orphan; the lifecycle scanner's sweep removes it.
  (co_await (*store)->Delete(removed.location_key)).IgnoreError();
}

bool ObjectLayer::KnownStorageClass(std::string_view storage_class) const {
  return impl_->LocationOf(storage_class, false).ok();
}

bool ObjectLayer::KnownTransitionTarget(std::string_view target) const {
  return impl_->LocationOf(target, true).ok();
}

void ObjectLayer::SetTierResolver(TierResolver resolver) {
  std::unique_lock lock(impl_->tier_mu);
  impl_->tier_resolver = std::move(resolver);
}

Result<std::shared_ptr<DataStore>> ObjectLayer::Store(std::string_view location) const {
  return impl_->Store(location);
}

}  // namespace strata::gw
