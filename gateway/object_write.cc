// The write path: body -> stripes -> k+m shards on the set's drives -> records.
#include <algorithm>

#include "erasure/layout.h"
#include "erasure/stripe.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;
using server::ShardWriter;

namespace {

// Reads until `out` is full or the body ends.
Task<Result<size_t>> ReadFull(BodySource& body, MutableByteSpan out) {
  size_t got = 0;
  while (got < out.size()) {
    STRATA_CO_ASSIGN_OR_RETURN(size_t n, co_await body.Read(out.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  co_return got;
}

std::vector<MutableByteSpan> FrameSpans(std::vector<std::string>& frames, size_t len) {
  std::vector<MutableByteSpan> spans;
  spans.reserve(frames.size());
  for (auto& f : frames) {
    if (f.size() < len) f.resize(len);
    spans.emplace_back(reinterpret_cast<std::byte*>(f.data()), len);
  }
  return spans;
}

}  // namespace

Task<Result<WrittenData>> ObjectLayer::Impl::WriteData(const Placement& place,
                                                       std::optional<uint64_t> size,
                                                       BodySource& body, bool allow_inline) {
  const ErasureSet& set = *place.set;
  const int n = place.n();
  const int quorum = WriteQuorum(set);
  const erasure::Codec& codec = CodecFor(set.k, set.m);
  if (OnlineCount(set) < quorum) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not available");
  }

  WrittenData out;
  out.durable.assign(n, false);
  erasure::Layout layout = erasure::Layout::For(
      set.k, set.m, size.value_or(uint64_t{erasure::Layout::kTargetStripeBytes} * 64));
  // (an unknown length gets the full-size layout)
  out.block_size = layout.block_size;

  // A body that ends within the inline threshold becomes an inline object,
  // whatever length the request announced.
  const uint64_t inline_max = allow_inline ? options.inline_threshold : 0;
  const uint64_t unknown_size = uint64_t{erasure::Layout::kTargetStripeBytes} * 64;
  size_t stripe_cap = static_cast<size_t>(layout.StripeDataBytes());
  std::string stripe(std::max<size_t>(stripe_cap, inline_max + 1), '\0');
  auto stripe_span = [&](size_t len) {
    return MutableByteSpan(reinterpret_cast<std::byte*>(stripe.data()), len);
  };
  size_t got = 0;
  std::vector<std::string> frames(n);
  if (allow_inline) {
    STRATA_CO_ASSIGN_OR_RETURN(got, co_await ReadFull(body, stripe_span(inline_max + 1)));
    if (got <= inline_max) {
      layout = erasure::Layout::For(set.k, set.m, got);
      out.block_size = layout.block_size;
      out.size = got;
      size_t frame_len = layout.BlockLen(got) + erasure::kFrameTrailer;
      auto spans = FrameSpans(frames, frame_len);
      erasure::EncodeStripe(codec, ByteSpan(stripe_span(got)), spans);
      stats.encoded_stripes.fetch_add(1, std::memory_order_relaxed);
      stats.encoded_bytes.fetch_add(got, std::memory_order_relaxed);
      out.inline_shards.resize(n);
      for (int i = 0; i < n; ++i) {
        int drive = place.DriveOfShard(i);
        out.inline_shards[drive] = frames[i].substr(0, frame_len);
        out.durable[drive] = set.drives[drive] && set.drives[drive]->online();
      }
      co_return out;
    }
    if (got > stripe_cap) {  // the request understated its length
      layout = erasure::Layout::For(set.k, set.m, unknown_size);
      out.block_size = layout.block_size;
      stripe_cap = static_cast<size_t>(layout.StripeDataBytes());
      stripe.resize(std::max(stripe.size(), stripe_cap));
    }
  }
  STRATA_CO_ASSIGN_OR_RETURN(size_t rest,
                             co_await ReadFull(body, stripe_span(stripe_cap).subspan(got)));
  got += rest;

  out.data_id = HexEncode(NewVersionId());
  std::vector<std::unique_ptr<ShardWriter>> writers(n);
  co_await ParallelEach(n, [&](size_t drive) -> Task<void> {
    const auto& d = set.drives[drive];
    if (!d || !d->online()) co_return;
    auto w = co_await d->CreateShard(out.data_id);
    if (w.ok()) writers[drive] = std::move(*w);
  });
  auto alive = [&] {
    return static_cast<int>(std::count_if(writers.begin(), writers.end(),
                                          [](const auto& w) { return w != nullptr; }));
  };
  if (alive() < quorum) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "write quorum not available");
  }

  uint64_t total = 0;
  while (got > 0) {
    size_t frame_len = layout.BlockLen(got) + erasure::kFrameTrailer;
    auto spans = FrameSpans(frames, frame_len);
    erasure::EncodeStripe(codec, ByteSpan(stripe_span(got)), spans);
    stats.encoded_stripes.fetch_add(1, std::memory_order_relaxed);
    stats.encoded_bytes.fetch_add(got, std::memory_order_relaxed);
    total += got;
    co_await ParallelEach(n, [&](size_t shard) -> Task<void> {
      int drive = place.DriveOfShard(static_cast<int>(shard));
      auto& w = writers[drive];
      if (!w) co_return;
      Status st = co_await w->Append(ByteSpan(spans[shard].data(), frame_len));
      if (!st.ok()) w.reset();
    });
    if (alive() < quorum) {
      stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
      co_return Status(Code::kUnavailable, "write quorum lost");
    }
    if (got < stripe_cap) break;  // the body ended
    STRATA_CO_ASSIGN_OR_RETURN(got, co_await ReadFull(body, stripe_span(stripe_cap)));
  }
  out.size = total;

  co_await ParallelEach(n, [&](size_t drive) -> Task<void> {
    auto& w = writers[drive];
    if (!w) co_return;
    out.durable[drive] = (co_await w->Commit()).ok();
  });
  if (std::count(out.durable.begin(), out.durable.end(), true) < quorum) {
    stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_await DiscardData(place, out);  // the shards that did commit
    co_return Status(Code::kUnavailable, "write quorum lost");
  }
  co_return out;
}

namespace {

// Counts what passes through, so a store write tells the handler the size.
class CountingSource final : public BodySource {
 public:
  explicit CountingSource(BodySource& inner) : inner_(inner) {}
  Task<Result<size_t>> Read(MutableByteSpan out) override {
    auto n = co_await inner_.Read(out);
    if (n.ok()) count_ += *n;
    co_return n;
  }
  uint64_t count() const { return count_; }

 private:
  BodySource& inner_;
  uint64_t count_ = 0;
};

}  // namespace

WrittenData ObjectLayer::Impl::MetadataOnly(const Placement& place) {
  WrittenData none;
  const auto& drives = place.set->drives;
  none.durable.resize(drives.size());
  none.inline_shards.resize(drives.size());
  for (size_t i = 0; i < drives.size(); ++i) none.durable[i] = drives[i] && drives[i]->online();
  return none;
}

Task<Result<meta::VersionRecord>> ObjectLayer::Impl::PutElsewhere(PutObjectArgs& args,
                                                                  const std::string& location,
                                                                  bool null_version,
                                                                  BodySource& body,
                                                                  const FinishWrite& finish) {
  STRATA_CO_ASSIGN_OR_RETURN(auto store, Store(location));
  Placement place = Place(args.bucket, args.key);
  meta::VersionRecord record;
  record.version_id = NewVersionId();
  const std::string store_key = StoreKey(args.bucket, args.key, record.version_id);
  CountingSource counted(body);
  STRATA_CO_TRY(co_await store->Put(store_key, args.size, counted));
  record.null_version = null_version;
  record.tags = std::move(args.tags);
  record.retention_mode = args.lock.mode;
  record.retain_until = args.lock.retain_until;
  record.legal_hold = args.lock.legal_hold;
  record.mtime = options.clock->Now();
  record.size = counted.count();
  record.k = static_cast<uint8_t>(place.set->k);
  record.m = static_cast<uint8_t>(place.set->m);
  record.storage_class = args.storage_class;
  record.headers = std::move(args.headers);
  record.location = location;
  record.location_key = store_key;
  meta::Segment seg;
  seg.size = record.size;
  record.segments.push_back(std::move(seg));
  Status st = finish(record.size, record);
  if (st.ok()) {
    record.segments[0].etag = record.etag;
    st = co_await CommitVersion(place, args.bucket, args.key, record, MetadataOnly(place));
  }
  if (!st.ok()) {
    (co_await store->Delete(store_key)).IgnoreError();  // else an orphan for the sweep
    co_return st;
  }
  co_return record;
}

Task<Result<meta::VersionRecord>> ObjectLayer::PutObject(PutObjectArgs args, BodySource& body,
                                                         FinishWrite finish) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string versioning, co_await impl_->Versioning(args.bucket));
  STRATA_CO_ASSIGN_OR_RETURN(std::string location,
                             impl_->LocationOf(args.storage_class, /*allow_tiers=*/false));
  if (!location.empty()) {
    co_return co_await impl_->PutElsewhere(args, location, versioning != kVersioningEnabled, body,
                                           finish);
  }
  Placement place = impl_->Place(args.bucket, args.key);
  STRATA_CO_ASSIGN_OR_RETURN(WrittenData data,
                             co_await impl_->WriteData(place, args.size, body, true));
  meta::VersionRecord record;
  record.version_id = impl_->NewVersionId();
  record.null_version = versioning != kVersioningEnabled;
  record.tags = std::move(args.tags);
  record.retention_mode = args.lock.mode;
  record.retain_until = args.lock.retain_until;
  record.legal_hold = args.lock.legal_hold;
  record.mtime = impl_->options.clock->Now();
  record.size = data.size;
  record.k = static_cast<uint8_t>(place.set->k);
  record.m = static_cast<uint8_t>(place.set->m);
  record.inline_data = data.is_inline();
  record.storage_class = args.storage_class;
  record.headers = std::move(args.headers);
  meta::Segment seg;
  seg.size = data.size;
  seg.data_id = data.data_id;
  seg.block_size = data.block_size;
  record.segments.push_back(std::move(seg));
  // Digests are the handler's: it saw every byte. Refusing here stores nothing
  // (the shard files were never referenced; the sweep or unlink reclaims them).
  Status verdict = finish(data.size, record);
  if (!verdict.ok()) {
    if (!data.is_inline()) co_await impl_->DiscardData(place, data);
    co_return verdict;
  }
  record.segments[0].etag = record.etag;
  Status st = co_await impl_->CommitVersion(place, args.bucket, args.key, record, data);
  if (!st.ok()) {
    if (!data.is_inline()) co_await impl_->DiscardData(place, data);
    co_return st;
  }
  co_return record;
}

Task<void> ObjectLayer::Impl::DiscardData(const Placement& place, const WrittenData& data) {
  const auto& drives = place.set->drives;
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!data.durable[i] || !drives[i]) co_return;
    DriveTxn txn;
    txn.remove_shards.push_back(data.data_id);
    (co_await drives[i]->Apply(std::move(txn))).IgnoreError();
  });
}

}  // namespace strata::gw
