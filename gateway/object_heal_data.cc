// Healing a version's shards: verify every frame the holders have, rebuild
// the missing and corrupt ones from k verified frames, stripe by stripe (a
// stripe of frames in memory, never the object), and write them.
#include <algorithm>
#include <memory>

#include "erasure/layout.h"
#include "erasure/stripe.h"
#include "gateway/object_heal_internal.h"
#include "server/parallel.h"

namespace strata::gw {

using server::ParallelEach;
using server::ShardWriter;

std::vector<std::string> SegmentDataIds(const meta::VersionRecord& record) {
  std::vector<std::string> ids;
  for (const auto& seg : record.segments) {
    if (!seg.data_id.empty()) ids.push_back(seg.data_id);
  }
  return ids;
}

namespace {

// Per shard (not per drive) buffers for one stripe, reused across stripes.
struct StripeBuffers {
  std::vector<std::vector<std::byte>> read;     // frames as read
  std::vector<std::vector<std::byte>> encoded;  // frames as rebuilt
  std::vector<std::byte> data;                  // the stripe's object bytes
  explicit StripeBuffers(int n) : read(n), encoded(n) {}

  static MutableByteSpan Get(std::vector<std::byte>& b, size_t len) {
    if (b.size() < len) b.resize(len);
    return MutableByteSpan(b.data(), len);
  }
};

bool Online(const std::shared_ptr<server::Drive>& d) { return d && d->online(); }

// Why a read did not give a frame: the shard is bad (absent, short) or the
// drive could not answer (offline, I/O trouble we should not rewrite over).
enum class ReadOutcome { kGood, kBad, kUnknown };

// One segment: up to three passes. Pass 1 reads every holder's frames (so
// every holder's shard is verified) and writes the targets; a holder found
// bad in a pass is rewritten in the next. A bad shard stays a source for the
// frames of it that verify: damage is usually one frame, and a stripe needs
// any k good frames, not k good drives. (The old file is read until the new
// one replaces it at its commit.)
Task<void> RepairSegment(ObjectLayer::Impl& impl, const Placement& place,
                         const meta::Segment& seg, ShardRepair& repair, HealReport& report,
                         const HealPace& pace) {
  const ErasureSet& set = *place.set;
  const int n = place.n();
  const erasure::Codec& codec = impl.CodecFor(set.k, set.m);
  erasure::Layout layout{set.k, set.m, seg.block_size};
  if (!layout.Validate().ok()) {
    ++report.failures;
    repair.unrecoverable = true;
    co_return;
  }
  const uint64_t stripes = layout.NumStripes(seg.size);
  std::vector<bool> write(n, false);  // drives to write in this pass
  for (int d = 0; d < n; ++d) write[d] = repair.targets[d] && repair.written[d];
  std::vector<bool> source(n, false);       // drives whose frames count
  for (int d = 0; d < n; ++d) source[d] = repair.holders[d] && !repair.targets[d];
  StripeBuffers buf(n);

  for (int pass = 0; pass < 3; ++pass) {
    std::vector<std::unique_ptr<ShardWriter>> writers(n);
    co_await ParallelEach(n, [&](size_t d) -> Task<void> {
      if (!write[d] || !Online(set.drives[d])) co_return;
      auto w = co_await set.drives[d]->CreateShard(seg.data_id);
      if (w.ok()) writers[d] = std::move(*w);
    });
    std::vector<bool> found_bad(n, false);
    bool failed = false;
    for (uint64_t s = 0; s < stripes && !failed; ++s) {
      const uint64_t data_len = layout.StripeDataLen(seg.size, s);
      const size_t frame_len = layout.BlockLen(data_len) + erasure::kFrameTrailer;
      std::vector<ByteSpan> frames(n);
      std::vector<ReadOutcome> outcome(n, ReadOutcome::kUnknown);
      uint64_t bytes_read = 0;
      co_await ParallelEach(n, [&](size_t shard) -> Task<void> {
        const int d = place.DriveOfShard(static_cast<int>(shard));
        if (!source[d] || !Online(set.drives[d])) co_return;
        MutableByteSpan into = StripeBuffers::Get(buf.read[shard], frame_len);
        auto r = co_await set.drives[d]->ReadShard(seg.data_id, layout.FrameOffset(s), into);
        if (r.ok() && *r == frame_len) {
          frames[shard] = into;
          outcome[shard] = ReadOutcome::kGood;
          bytes_read += frame_len;
        } else if (r.ok() || r.status().code() == Code::kNotFound) {
          outcome[shard] = ReadOutcome::kBad;  // short or absent
        }
      });
      erasure::DecodeReport decoded;
      MutableByteSpan data = StripeBuffers::Get(buf.data, data_len);
      auto r = erasure::DecodeStripe(codec, frames, data_len, data, &decoded);
      for (int shard = 0; shard < n; ++shard) {
        const int d = place.DriveOfShard(shard);
        if (outcome[shard] == ReadOutcome::kBad || (decoded.corrupt_mask >> shard & 1u)) {
          found_bad[d] = true;
        }
      }
      report.bytes_verified += bytes_read;
      if (pace) co_await pace(0, bytes_read);
      if (!r.ok()) {
        failed = true;  // fewer than k good frames: nothing to rebuild from
        break;
      }
      if (std::none_of(writers.begin(), writers.end(), [](const auto& w) { return w != nullptr; })) {
        continue;
      }
      std::vector<MutableByteSpan> out(n);
      for (int shard = 0; shard < n; ++shard) {
        out[shard] = StripeBuffers::Get(buf.encoded[shard], frame_len);
      }
      erasure::EncodeStripe(codec, ByteSpan(data.data(), data_len), out);
      co_await ParallelEach(n, [&](size_t shard) -> Task<void> {
        const int d = place.DriveOfShard(static_cast<int>(shard));
        auto& w = writers[d];
        if (!w) co_return;
        if (!(co_await w->Append(ByteSpan(out[shard].data(), frame_len))).ok()) w.reset();
      });
    }
    if (failed) {
      // Writers go without Commit: nothing of theirs becomes visible.
      ++report.failures;
      repair.unrecoverable = true;
      co_return;
    }
    std::vector<bool> committed(n, false);
    co_await ParallelEach(n, [&](size_t d) -> Task<void> {
      if (!writers[d]) co_return;
      committed[d] = (co_await writers[d]->Commit()).ok();
    });
    const uint64_t file_size = layout.ShardFileSize(seg.size);
    for (int d = 0; d < n; ++d) {
      if (!write[d]) continue;
      if (committed[d]) {
        ++report.shards_rebuilt;
        report.bytes_rebuilt += file_size;
      } else {
        ++report.failures;
        repair.written[d] = false;  // one segment missing is the whole shard missing
      }
    }
    // The holders this pass found bad are rewritten in the next one (each
    // once: their old frames are read again meanwhile and fail again).
    std::fill(write.begin(), write.end(), false);
    bool more = false;
    for (int d = 0; d < n; ++d) {
      if (!found_bad[d] || !source[d] || repair.bad[d]) continue;
      repair.bad[d] = true;
      ++report.corrupt_shards;
      write[d] = true;
      more = true;
    }
    if (!more) co_return;
  }
}

// An inline version: one frame per drive, kept beside the record.
Task<void> RepairInline(ObjectLayer::Impl& impl, const Placement& place, const std::string& bucket,
                        const std::string& key, const meta::VersionRecord& record,
                        ShardRepair& repair, HealReport& report) {
  const ErasureSet& set = *place.set;
  const int n = place.n();
  const erasure::Codec& codec = impl.CodecFor(set.k, set.m);
  const uint64_t data_len = record.size;
  erasure::Layout layout = erasure::Layout::For(set.k, set.m, data_len);
  const size_t frame_len = layout.BlockLen(data_len) + erasure::kFrameTrailer;
  std::vector<std::string> held(n);
  std::vector<ByteSpan> frames(n);
  std::vector<ReadOutcome> outcome(n, ReadOutcome::kUnknown);
  co_await ParallelEach(n, [&](size_t shard) -> Task<void> {
    const int d = place.DriveOfShard(static_cast<int>(shard));
    if (!repair.holders[d] || repair.targets[d] || !Online(set.drives[d])) co_return;
    auto r = co_await set.drives[d]->GetInline(bucket, key, record.version_id);
    if (r.ok()) {
      held[shard] = std::move(*r);
      frames[shard] = AsBytes(held[shard]);
      outcome[shard] = ReadOutcome::kGood;
    } else if (r.status().code() == Code::kNotFound) {
      outcome[shard] = ReadOutcome::kBad;
    }
  });
  std::vector<std::byte> data(std::max<uint64_t>(data_len, 1));
  erasure::DecodeReport decoded;
  auto r = erasure::DecodeStripe(codec, frames, data_len, MutableByteSpan(data.data(), data_len),
                                 &decoded);
  for (int shard = 0; shard < n; ++shard) {
    if (outcome[shard] == ReadOutcome::kGood) report.bytes_verified += frames[shard].size();
    const int d = place.DriveOfShard(shard);
    if (outcome[shard] == ReadOutcome::kBad || (decoded.corrupt_mask >> shard & 1u)) {
      repair.bad[d] = true;
      ++report.corrupt_shards;
    }
  }
  if (!r.ok()) {
    ++report.failures;
    repair.unrecoverable = true;
    co_return;
  }
  std::vector<std::string> encoded(n, std::string(frame_len, '\0'));
  std::vector<MutableByteSpan> out(n);
  for (int shard = 0; shard < n; ++shard) {
    out[shard] = MutableByteSpan(reinterpret_cast<std::byte*>(encoded[shard].data()), frame_len);
  }
  erasure::EncodeStripe(codec, ByteSpan(data.data(), data_len), out);
  for (int shard = 0; shard < n; ++shard) {
    const int d = place.DriveOfShard(shard);
    if (repair.targets[d] || repair.bad[d]) repair.inline_shards[d] = std::move(encoded[shard]);
  }
}

}  // namespace

Task<void> RepairShards(ObjectLayer::Impl& impl, const Placement& place, const std::string& bucket,
                        const std::string& key, const meta::VersionRecord& record,
                        ShardRepair& repair, HealReport& report, const HealPace& pace) {
  const int n = place.n();
  if (record.k != place.set->k || record.m != place.set->m) {
    ++report.failures;
    repair.unrecoverable = true;
    co_return;
  }
  if (record.inline_data) {
    co_await RepairInline(impl, place, bucket, key, record, repair, report);
    co_return;
  }
  for (int d = 0; d < n; ++d) repair.written[d] = repair.targets[d];
  for (const auto& seg : record.segments) {
    if (seg.data_id.empty()) continue;
    co_await RepairSegment(impl, place, seg, repair, report, pace);
    if (repair.unrecoverable) break;
  }
  for (int d = 0; d < n; ++d) {
    if (repair.unrecoverable) repair.written[d] = false;
  }
}

}  // namespace strata::gw
