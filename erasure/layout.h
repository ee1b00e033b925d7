// Where an object's bytes sit in its shard files: pure arithmetic, no I/O.
//
// An object is cut into stripes of k * block_size bytes (the last one
// shorter). Each stripe is split into k equal blocks (the last stripe's
// data zero-padded up to k * BlockLen), m parity blocks are computed, and
// block i of stripe s becomes frame s of shard file i:
//
//     shard file i:
//     |<------ frame 0 ------>|<------ frame 1 ------>|     |<-- last frame -->|
//     +-------------+---------+-------------+---------+-...-+--------+---------+
//     | block (s=0) | crc32c  | block (s=1) | crc32c  |     | block  | crc32c  |
//     | block_size  | 4 B, LE | block_size  | 4 B, LE |     | <= bs  | 4 B, LE |
//     +-------------+---------+-------------+---------+-...-+--------+---------+
//     frame s starts at FrameOffset(s) = s * (block_size + 4); the CRC32C of
//     the block follows it, 4 bytes little-endian. Only the last frame may be
//     shorter: BlockLen(StripeDataLen(last)) + 4.
//
// Worked example, k = 4, object of 2,500,000 bytes:
//   block_size = min(round_up(625000, 64), round_up(262144, 64)) = 262144
//   StripeDataBytes = 1 MiB, NumStripes = 3, last stripe holds 402,848 bytes,
//   its blocks are 100,712 bytes, so each shard file is
//   2 * 262148 + 100716 = 625,012 bytes.
//
// block_size is stored in the object's record, so a later change of
// kTargetStripeBytes never breaks old objects; a Layout read back from a
// record must pass Validate() before use (the other methods assume it).
//
// Thread safety: a value type.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace strata::erasure {

// The CRC32C after every block of a shard file.
constexpr uint32_t kFrameTrailer = 4;

struct Layout {
  int k = 4;
  int m = 2;
  uint32_t block_size = 0;  // bytes of one shard's block in a full stripe; a multiple of 64

  // About 1 MiB of object data per stripe: big enough for sequential disk
  // speed, small enough to keep a stripe or two per stream in memory.
  static constexpr uint32_t kTargetStripeBytes = 1 << 20;
  // The largest block_size Validate accepts (records are untrusted input).
  static constexpr uint32_t kMaxBlockSize = 64u << 20;

  // block_size = min(round_up(ceil(object_size / k), 64), round_up(kTargetStripeBytes / k, 64)),
  // at least 64: small objects do not pay for a full-size stripe. Requires k >= 1.
  static Layout For(int k, int m, uint64_t object_size);

  // kInvalidArgument unless 1 <= k <= 16, 0 <= m <= 16 and 0 < block_size <= kMaxBlockSize.
  Status Validate() const;

  uint64_t StripeDataBytes() const { return uint64_t(k) * block_size; }
  // 0 for an empty object.
  uint64_t NumStripes(uint64_t object_size) const;
  // Object bytes in stripe `stripe`; 0 past the last stripe.
  uint64_t StripeDataLen(uint64_t object_size, uint64_t stripe) const;
  // ceil(stripe_data_len / k): each shard's block length in a stripe of that many bytes.
  uint32_t BlockLen(uint64_t stripe_data_len) const;
  // Byte offset of frame `stripe` in every shard file.
  uint64_t FrameOffset(uint64_t stripe) const {
    return stripe * (uint64_t{block_size} + kFrameTrailer);
  }
  // Total bytes of one shard file (all shards of an object have the same size).
  uint64_t ShardFileSize(uint64_t object_size) const;
};

}  // namespace strata::erasure
