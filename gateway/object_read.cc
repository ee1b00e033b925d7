// The read path: record -> the stripes a range needs -> k data frames read in
// parallel (parity only when a data frame is missing or corrupt) -> sink.
#include <algorithm>
#include <memory>

#include "erasure/layout.h"
#include "erasure/stripe.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::ParallelEach;

namespace {

// A heap buffer that is not zero-filled and only grows: the read path fills
// it whole before anyone looks, so clearing it would be wasted stores.
struct Buffer {
  std::unique_ptr<std::byte[]> bytes;
  size_t capacity = 0;
  MutableByteSpan Get(size_t n) {
    if (n > capacity) {
      bytes.reset(new std::byte[n]);
      capacity = n;
    }
    return MutableByteSpan(bytes.get(), n);
  }
};

struct StripeReader {
  ObjectLayer::Impl& impl;
  const Placement& place;
  const std::string& bucket;
  const std::string& key;
  const meta::VersionRecord& record;
  std::vector<Buffer> buffers = std::vector<Buffer>(place.n());         // per shard
  std::vector<std::string> inline_frames = std::vector<std::string>(place.n());
  std::vector<ByteSpan> frames = std::vector<ByteSpan>(place.n());      // empty: not fetched
  Buffer scratch;                                                       // rebuilt stripes
  // Where the current stripe's bytes are, in order (see DecodeStripeViews).
  std::vector<ByteSpan> pieces = std::vector<ByteSpan>(place.set->k);
  // An online drive failed to give its frame, or gave a corrupt one: the
  // object goes to the heal queue (once per read).
  bool damaged = false;
  bool queued = false;

  // Fetches the frames of shards [from, to) that are not fetched yet.
  Task<void> Fetch(const meta::Segment& seg, uint64_t frame_offset, size_t frame_len, int from,
                   int to) {
    co_await ParallelEach(static_cast<size_t>(to - from), [&](size_t j) -> Task<void> {
      int shard = from + static_cast<int>(j);
      if (!frames[shard].empty()) co_return;
      int drive = place.DriveOfShard(shard);
      const auto& d = place.set->drives[drive];
      if (!d || !d->online()) co_return;
      if (seg.data_id.empty()) {
        auto r = co_await d->GetInline(bucket, key, record.version_id);
        if (r.ok()) {
          inline_frames[shard] = std::move(*r);
          frames[shard] = AsBytes(inline_frames[shard]);
        } else {
          damaged = true;
        }
        co_return;
      }
      MutableByteSpan into = buffers[shard].Get(frame_len);
      auto r = co_await d->ReadShard(seg.data_id, frame_offset, into);
      if (r.ok() && *r == frame_len) {
        frames[shard] = into;
      } else {
        damaged = true;
      }
    });
  }

  // Decodes stripe `s` of `seg`; afterwards `pieces` show its bytes.
  Task<Status> Read(const meta::Segment& seg, const erasure::Layout& layout, uint64_t s) {
    const int k = place.set->k, n = place.n();
    uint64_t data_len = layout.StripeDataLen(seg.size, s);
    size_t frame_len = layout.BlockLen(data_len) + erasure::kFrameTrailer;
    uint64_t offset = layout.FrameOffset(s);
    std::fill(frames.begin(), frames.end(), ByteSpan());
    const erasure::Codec& codec = impl.CodecFor(place.set->k, place.set->m);
    MutableByteSpan scratch_span = scratch.Get(data_len);
    uint32_t counted_corrupt = 0;  // each bad frame is counted once
    for (int round = 0; round < 2; ++round) {
      // Round 0: the data shards only. Round 1: everything else as well.
      co_await Fetch(seg, offset, frame_len, 0, round == 0 ? k : n);
      erasure::DecodeReport report;
      auto r = erasure::DecodeStripeViews(codec, frames, data_len, scratch_span, pieces, &report);
      const uint32_t new_corrupt = report.corrupt_mask & ~counted_corrupt;
      counted_corrupt |= report.corrupt_mask;
      if (report.corrupt_mask != 0) damaged = true;
      if (damaged && !queued) {
        queued = true;
        impl.QueueHealOf(bucket, key);
      }
      impl.stats.corrupt_shards.fetch_add(__builtin_popcount(new_corrupt),
                                          std::memory_order_relaxed);
      if (round == 0) {
        const uint32_t data_mask = (1u << k) - 1;
        impl.stats.missing_shards.fetch_add(__builtin_popcount(report.missing_mask & data_mask),
                                            std::memory_order_relaxed);
      }
      if (r.ok()) {
        impl.stats.decoded_stripes.fetch_add(1, std::memory_order_relaxed);
        impl.stats.decoded_bytes.fetch_add(data_len, std::memory_order_relaxed);
        if (report.reconstructed) {
          impl.stats.reconstructed_stripes.fetch_add(1, std::memory_order_relaxed);
        }
        co_return Status();
      }
      if (round == 1) {
        impl.stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
        co_return Status(Code::kUnavailable, "not enough shards to read the object");
      }
      // Corrupt and missing frames count as lost; parity gets them back.
    }
    co_return Status(Code::kInternal);
  }
};

}  // namespace

Task<Status> ObjectLayer::ReadObject(std::string bucket, std::string key,
                                     meta::VersionRecord record, uint64_t offset, uint64_t length,
                                     BodySink& sink) {
  if (length == 0) co_return Status();
  if (!record.location.empty()) {
    // The bytes are in another pool or a tier (ARCHITECTURE.md).
    STRATA_CO_ASSIGN_OR_RETURN(auto store, impl_->Store(record.location));
    co_return co_await store->Read(record.location_key, offset, length, sink);
  }
  co_return co_await impl_->Read(impl_->Place(bucket, key), bucket, key, record, offset, length,
                                 sink);
}

Task<Status> ObjectLayer::Impl::Read(const Placement& place, const std::string& bucket,
                                     const std::string& key, const meta::VersionRecord& record,
                                     uint64_t offset, uint64_t length, BodySink& sink) {
  if (length == 0) co_return Status();
  if (record.k != place.set->k || record.m != place.set->m) {
    co_return Status(Code::kInternal, "record erasure code does not match its set");
  }
  StripeReader reader{*this, place, bucket, key, record};
  const uint64_t end = offset + length;
  uint64_t seg_start = 0;
  for (const auto& seg : record.segments) {
    uint64_t seg_end = seg_start + seg.size;
    if (seg_end <= offset || seg.size == 0) {
      seg_start = seg_end;
      continue;
    }
    if (seg_start >= end) break;
    erasure::Layout layout{place.set->k, place.set->m, seg.block_size};
    uint64_t lo = std::max(offset, seg_start) - seg_start;
    uint64_t hi = std::min(end, seg_end) - seg_start;
    uint64_t stripe_bytes = layout.StripeDataBytes();
    for (uint64_t s = lo / stripe_bytes; s * stripe_bytes < hi; ++s) {
      STRATA_CO_TRY(co_await reader.Read(seg, layout, s));
      // Send [from, to) of the stripe straight from where its bytes are.
      const uint64_t s_lo = s * stripe_bytes;
      const uint64_t from = std::max(lo, s_lo) - s_lo;
      const uint64_t to = std::min(hi, s_lo + layout.StripeDataLen(seg.size, s)) - s_lo;
      uint64_t at = 0;
      for (const ByteSpan& piece : reader.pieces) {
        const uint64_t p_lo = std::max(from, at), p_hi = std::min(to, at + piece.size());
        if (p_lo < p_hi) {
          ByteSpan part = piece.subspan(p_lo - at, p_hi - p_lo);
          STRATA_CO_TRY(co_await sink.Write(part));
        }
        at += piece.size();
      }
    }
    seg_start = seg_end;
  }
  co_return Status();
}

}  // namespace strata::gw
