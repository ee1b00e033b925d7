// Reed-Solomon erasure codec over GF(2^8): k data shards, m parity shards.
//
// The generator is a systematic Cauchy matrix (identity on top, so data
// shards are stored as is); any k of the n = k + m shards rebuild the rest.
// Shards are plain byte spans of equal length: the codec knows nothing of
// stripes, frames or checksums (see erasure/layout.h and erasure/stripe.h).
//
//     data    d0 d1 .. d(k-1)          parity  p0 .. p(m-1)
//     shard   0  1  .. k-1             shard   k  .. k+m-1
//
// Encode tables are built once in Create. Decode tables depend on which
// shards are lost; they are built on first use of a loss pattern and cached
// (a small bounded cache behind a mutex), so a degraded read of a drive that
// stays down pays for the matrix inversion once.
//
// Thread safety: a Codec is immutable after Create except for the internal
// decode cache, which is guarded; Encode and Reconstruct may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/encoding.h"
#include "common/status.h"

namespace strata::erasure {

class Codec {
 public:
  static constexpr int kMaxK = 16;
  static constexpr int kMaxM = 16;

  // 1 <= k <= kMaxK, 0 <= m <= kMaxM; otherwise kInvalidArgument.
  static Result<std::unique_ptr<Codec>> Create(int k, int m);
  ~Codec();

  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  int k() const { return k_; }
  int m() const { return m_; }
  int n() const { return k_ + m_; }

  // Computes parity from data. Preconditions (caller bugs, asserted in debug
  // builds, nothing written in release): data.size() == k, parity.size() == m,
  // every span the same length. m == 0 is a no-op.
  void Encode(std::span<const ByteSpan> data, std::span<const MutableByteSpan> parity) const;

  // shards: k + m spans of equal length, in shard order; present[i] false means
  // shard i is lost and its span is output space. Rebuilds every lost shard in
  // place and never writes a present one. kUnavailable if fewer than k are
  // present; kInvalidArgument if the spans do not match the codec.
  Status Reconstruct(std::span<const MutableByteSpan> shards, std::span<const bool> present) const;

 private:
  struct DecodeTables;

  Codec(int k, int m);
  // The decode tables for one set of present shards (bit i = shard i), built and
  // cached on first use.
  Result<std::shared_ptr<const DecodeTables>> TablesFor(uint32_t present_mask) const;

  const int k_;
  const int m_;
  std::vector<uint8_t> matrix_;         // n x k generator, row-major
  std::vector<uint8_t> encode_tables_;  // ISA-L expansion of the m parity rows

  static constexpr size_t kMaxCachedPatterns = 64;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<uint32_t, std::shared_ptr<const DecodeTables>> cache_;  // by mask
};

}  // namespace strata::erasure
