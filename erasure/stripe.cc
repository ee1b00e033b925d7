#include "erasure/stripe.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <vector>

#include "common/checksum.h"
#include "erasure/layout.h"

namespace strata::erasure {
namespace {

constexpr int kMaxShards = Codec::kMaxK + Codec::kMaxM;

size_t BlockLenFor(size_t data_len, int k) {
  const size_t kk = static_cast<size_t>(k);
  return data_len / kk + (data_len % kk != 0 ? 1 : 0);
}

void StoreLittleEndian32(std::byte* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

uint32_t LoadLittleEndian32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<uint32_t>(p[i]);
  return v;
}

bool FrameIsGood(ByteSpan frame, size_t block_len) {
  if (frame.size() != block_len + kFrameTrailer) return false;
  return Crc32c(0, frame.first(block_len)) == LoadLittleEndian32(frame.data() + block_len);
}

// Copies the object bytes held by data block i into out.
void CopyDataBlock(ByteSpan block, size_t i, size_t data_len, MutableByteSpan out) {
  const size_t offset = i * block.size();
  if (offset >= data_len) return;  // a block of pure padding
  const size_t n = std::min(block.size(), data_len - offset);
  std::memcpy(out.data() + offset, block.data(), n);
}

}  // namespace

size_t EncodeStripe(const Codec& codec, ByteSpan data, std::span<const MutableByteSpan> frames) {
  const int k = codec.k();
  const int n = codec.n();
  const size_t block_len = BlockLenFor(data.size(), k);
  const size_t frame_len = block_len + kFrameTrailer;
  bool frames_ok = frames.size() == static_cast<size_t>(n);
  for (size_t i = 0; frames_ok && i < frames.size(); ++i) frames_ok = frames[i].size() >= frame_len;
  assert(frames_ok && "EncodeStripe: frames too few or too small");
  if (!frames_ok) return 0;

  std::array<ByteSpan, Codec::kMaxK> blocks;
  for (int i = 0; i < k; ++i) {
    const MutableByteSpan block = frames[i].first(block_len);
    const size_t offset = static_cast<size_t>(i) * block_len;
    const size_t n_data = offset < data.size() ? std::min(block_len, data.size() - offset) : 0;
    if (n_data > 0) std::memcpy(block.data(), data.data() + offset, n_data);
    std::memset(block.data() + n_data, 0, block_len - n_data);
    blocks[i] = block;
  }
  std::array<MutableByteSpan, Codec::kMaxM> parity;
  for (int j = 0; j < codec.m(); ++j) parity[j] = frames[k + j].first(block_len);
  codec.Encode(std::span(blocks.data(), k), std::span(parity.data(), codec.m()));

  for (int i = 0; i < n; ++i) {
    StoreLittleEndian32(frames[i].data() + block_len, Crc32c(0, frames[i].first(block_len)));
  }
  return frame_len;
}

namespace {

// DecodeStripe, and with `pieces` its zero-copy form (DecodeStripeViews).
Result<DecodeReport> Decode(const Codec& codec, std::span<const ByteSpan> frames,
                            size_t data_len, MutableByteSpan out, std::span<ByteSpan> pieces,
                            DecodeReport* report_out) {
  const int k = codec.k();
  const int n = codec.n();
  if (frames.size() != static_cast<size_t>(n)) {
    return Status(Code::kInvalidArgument, "decode needs one frame slot per shard");
  }
  if (out.size() < data_len) {
    return Status(Code::kInvalidArgument, "decode output is shorter than the stripe");
  }
  const size_t block_len = BlockLenFor(data_len, k);

  DecodeReport report;
  std::array<bool, kMaxShards> good{};
  int num_good = 0;
  for (int i = 0; i < n; ++i) {
    if (frames[i].empty()) {
      report.missing_mask |= 1u << i;
    } else if (!FrameIsGood(frames[i], block_len)) {
      report.corrupt_mask |= 1u << i;
    } else {
      good[i] = true;
      ++num_good;
    }
  }
  if (report_out) *report_out = report;
  const bool data_intact = std::all_of(good.begin(), good.begin() + k, [](bool g) { return g; });
  if (!data_intact && num_good < k) {
    return Status(Code::kUnavailable, "too few intact erasure shards to read the stripe");
  }

  if (data_intact && !pieces.empty()) {
    for (int i = 0; i < k; ++i) {
      const size_t offset = static_cast<size_t>(i) * block_len;
      pieces[i] = offset < data_len ? frames[i].first(std::min(block_len, data_len - offset))
                                    : ByteSpan();
    }
    return report;
  }
  if (data_intact) {
    for (int i = 0; i < k; ++i) CopyDataBlock(frames[i].first(block_len), i, data_len, out);
    return report;
  }

  // Lost blocks are rebuilt into a per-thread scratch area; it only grows, so
  // a thread reading stripes of one size allocates once.
  thread_local std::vector<std::byte> scratch;
  const size_t num_lost = static_cast<size_t>(n - num_good);
  if (scratch.size() < num_lost * block_len) scratch.resize(num_lost * block_len);

  std::array<MutableByteSpan, kMaxShards> shards;
  size_t next_scratch = 0;
  for (int i = 0; i < n; ++i) {
    if (good[i]) {
      // Reconstruct never writes a present shard, so the caller's read-only
      // frame is only ever read through this pointer.
      shards[i] = MutableByteSpan(const_cast<std::byte*>(frames[i].data()), block_len);
    } else {
      shards[i] = MutableByteSpan(scratch.data() + next_scratch * block_len, block_len);
      ++next_scratch;
    }
  }
  STRATA_TRY(codec.Reconstruct(std::span(shards.data(), n), std::span(good.data(), n)));
  for (int i = 0; i < k; ++i) CopyDataBlock(shards[i], i, data_len, out);
  report.reconstructed = true;
  if (report_out) report_out->reconstructed = true;
  if (!pieces.empty()) {
    pieces[0] = ByteSpan(out.data(), data_len);
    for (int i = 1; i < k; ++i) pieces[i] = ByteSpan();
  }
  return report;
}

}  // namespace

Result<DecodeReport> DecodeStripe(const Codec& codec, std::span<const ByteSpan> frames,
                                  size_t data_len, MutableByteSpan out, DecodeReport* report_out) {
  return Decode(codec, frames, data_len, out, {}, report_out);
}

Result<DecodeReport> DecodeStripeViews(const Codec& codec, std::span<const ByteSpan> frames,
                                       size_t data_len, MutableByteSpan scratch,
                                       std::span<ByteSpan> pieces, DecodeReport* report_out) {
  if (pieces.size() != static_cast<size_t>(codec.k())) {
    return Status(Code::kInvalidArgument, "decode needs one piece slot per data shard");
  }
  return Decode(codec, frames, data_len, scratch, pieces, report_out);
}

}  // namespace strata::erasure
