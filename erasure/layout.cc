#include "erasure/layout.h"

#include <algorithm>

#include "erasure/codec.h"

namespace strata::erasure {
namespace {

constexpr uint64_t kBlockAlign = 64;  // keeps ISA-L's SIMD loops on whole vectors

uint64_t CeilDiv(uint64_t a, uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }
uint64_t RoundUp(uint64_t a, uint64_t align) { return CeilDiv(a, align) * align; }

}  // namespace

Layout Layout::For(int k, int m, uint64_t object_size) {
  // round_up is monotonic, so rounding the smaller of the two equals the
  // min of the rounded values, and cannot overflow for huge object sizes.
  const uint64_t per_shard =
      std::min(CeilDiv(object_size, uint64_t(k)), uint64_t{kTargetStripeBytes} / uint64_t(k));
  Layout layout;
  layout.k = k;
  layout.m = m;
  layout.block_size = static_cast<uint32_t>(std::max(RoundUp(per_shard, kBlockAlign), kBlockAlign));
  return layout;
}

Status Layout::Validate() const {
  if (k < 1 || k > Codec::kMaxK || m < 0 || m > Codec::kMaxM) {
    return Status(Code::kInvalidArgument, "erasure layout has an invalid k or m");
  }
  if (block_size == 0 || block_size > kMaxBlockSize) {
    return Status(Code::kInvalidArgument, "erasure layout has an invalid block size");
  }
  return Status::Ok();
}

uint64_t Layout::NumStripes(uint64_t object_size) const {
  return CeilDiv(object_size, StripeDataBytes());
}

uint64_t Layout::StripeDataLen(uint64_t object_size, uint64_t stripe) const {
  const uint64_t stripe_bytes = StripeDataBytes();
  if (stripe >= NumStripes(object_size)) return 0;
  return std::min(stripe_bytes, object_size - stripe * stripe_bytes);
}

uint32_t Layout::BlockLen(uint64_t stripe_data_len) const {
  return static_cast<uint32_t>(CeilDiv(stripe_data_len, uint64_t(k)));
}

uint64_t Layout::ShardFileSize(uint64_t object_size) const {
  const uint64_t stripes = NumStripes(object_size);
  if (stripes == 0) return 0;
  const uint64_t last = StripeDataLen(object_size, stripes - 1);
  return FrameOffset(stripes - 1) + BlockLen(last) + kFrameTrailer;
}

}  // namespace strata::erasure
