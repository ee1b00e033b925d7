// One stripe in and out of shard frames: split + parity + CRC32C on the way
// in, verify + copy (or rebuild) on the way out. The frame format is in
// erasure/layout.h: [block][crc32c of block, 4 bytes little-endian].
//
// A stripe of data_len object bytes has blocks of BlockLen = ceil(data_len / k)
// bytes; the data is zero-padded to k * BlockLen, so every frame of the stripe
// is BlockLen + 4 bytes. Both sides derive BlockLen from data_len alone, so a
// reader needs only the object size and the Layout to know every frame length.
//
// Ownership: callers own every buffer; nothing is retained. DecodeStripe
// keeps a thread-local scratch buffer for rebuilt blocks, so the degraded path
// allocates only when a thread first sees a larger stripe.
// Thread safety: both functions are thread-safe (the Codec is shared const).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/encoding.h"
#include "common/status.h"
#include "erasure/codec.h"

namespace strata::erasure {

// Encodes one stripe of object bytes (data.size() <= k * block_size) into
// n = k + m frames: frames[i] receives block i then its CRC32C. Each frame
// must hold at least BlockLen + 4 bytes. Returns the frame length BlockLen + 4,
// or 0 without writing anything if frames are too few or too small (a caller
// bug, asserted in debug builds).
size_t EncodeStripe(const Codec& codec, ByteSpan data, std::span<const MutableByteSpan> frames);

struct DecodeReport {
  uint32_t missing_mask = 0;   // bit i: frame i was not supplied (empty span)
  uint32_t corrupt_mask = 0;   // bit i: frame i had the wrong length or a bad CRC
  bool reconstructed = false;  // parity was used to rebuild data blocks
};

// frames[i]: the frame read from shard i (exactly BlockLen + 4 bytes for a
// stripe of data_len bytes), or an empty span when it is unavailable. Every
// supplied frame is verified; a bad one counts as lost. The stripe's data_len
// object bytes are written to out[0, data_len): copied straight from the data
// frames when all k are good, rebuilt from parity otherwise.
//
// Errors: kInvalidArgument if frames.size() != n or out is shorter than
// data_len; kUnavailable if fewer than k frames are good (out is then
// unspecified). If report_out is non-null it receives the report whatever the
// outcome, so a failed read can still count and heal the bad shards; the
// Status message deliberately carries no shard numbers (it may reach clients).
Result<DecodeReport> DecodeStripe(const Codec& codec, std::span<const ByteSpan> frames,
                                  size_t data_len, MutableByteSpan out,
                                  DecodeReport* report_out = nullptr);

// The zero-copy form of DecodeStripe for readers that forward the bytes:
// `pieces` (k slots) receives, in order, where the stripe's data_len object
// bytes are. When all k data frames are intact they are the data blocks inside
// `frames` (nothing is copied; trailing padding-only blocks come back empty);
// otherwise the stripe is rebuilt into `scratch` (at least data_len bytes) and
// pieces[0] covers it. Errors and the report as DecodeStripe; also
// kInvalidArgument when pieces.size() != k. The views live as long as the
// frames and scratch do.
Result<DecodeReport> DecodeStripeViews(const Codec& codec, std::span<const ByteSpan> frames,
                                       size_t data_len, MutableByteSpan scratch,
                                       std::span<ByteSpan> pieces,
                                       DecodeReport* report_out = nullptr);

}  // namespace strata::erasure
