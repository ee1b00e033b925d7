#include "erasure/codec.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <climits>
#include <string>

namespace strata::erasure {

struct Codec::DecodeTables {
  std::vector<int> sources;     // the k present shards decoding reads, ascending
  std::vector<int> targets;     // the lost shards it writes, ascending
  std::vector<uint8_t> tables;  // ec_init_tables expansion: 32 * k * targets.size()
};

namespace {

constexpr int kMaxShards = Codec::kMaxK + Codec::kMaxM;

// ec_encode_data takes an int length; spans are fed in pieces below that.
constexpr size_t kMaxIsalLen = size_t{1} << 30;

using PointerArray = std::array<unsigned char*, kMaxShards>;

// Runs ec_encode_data over len bytes, in int-sized pieces.
void RunIsal(int k, int rows, const std::vector<uint8_t>& tables, const PointerArray& in,
             const PointerArray& out, size_t len) {
  PointerArray src = in;
  PointerArray dst = out;
  // ISA-L reads the tables only, but its signature is not const.
  auto* gftbls = const_cast<unsigned char*>(tables.data());
  for (size_t done = 0; done < len;) {
    const size_t piece = std::min(len - done, kMaxIsalLen);
    ec_encode_data(static_cast<int>(piece), k, rows, gftbls, src.data(), dst.data());
    done += piece;
    for (int i = 0; i < k; ++i) src[i] += piece;
    for (int i = 0; i < rows; ++i) dst[i] += piece;
  }
}

}  // namespace

Codec::Codec(int k, int m) : k_(k), m_(m) {}
Codec::~Codec() = default;

Result<std::unique_ptr<Codec>> Codec::Create(int k, int m) {
  if (k < 1 || k > kMaxK || m < 0 || m > kMaxM) {
    return Status(Code::kInvalidArgument, "erasure code k must be 1.." + std::to_string(kMaxK) +
                                              " and m 0.." + std::to_string(kMaxM));
  }
  std::unique_ptr<Codec> codec(new Codec(k, m));
  const int n = k + m;
  codec->matrix_.resize(static_cast<size_t>(n) * k);
  gf_gen_cauchy1_matrix(codec->matrix_.data(), n, k);
  if (m > 0) {
    codec->encode_tables_.resize(32u * k * m);
    ec_init_tables(k, m, codec->matrix_.data() + static_cast<size_t>(k) * k,
                   codec->encode_tables_.data());
  }
  return codec;
}

void Codec::Encode(std::span<const ByteSpan> data, std::span<const MutableByteSpan> parity) const {
  const bool shapes_ok =
      data.size() == static_cast<size_t>(k_) && parity.size() == static_cast<size_t>(m_);
  assert(shapes_ok && "Encode: wrong number of shards");
  if (!shapes_ok || m_ == 0) return;
  const size_t len = data[0].size();
  PointerArray in{};
  PointerArray out{};
  for (int i = 0; i < k_; ++i) {
    assert(data[i].size() == len && "Encode: shards differ in length");
    if (data[i].size() != len) return;
    in[i] = const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(data[i].data()));
  }
  for (int i = 0; i < m_; ++i) {
    assert(parity[i].size() == len && "Encode: shards differ in length");
    if (parity[i].size() != len) return;
    out[i] = reinterpret_cast<unsigned char*>(parity[i].data());
  }
  RunIsal(k_, m_, encode_tables_, in, out, len);
}

Result<std::shared_ptr<const Codec::DecodeTables>> Codec::TablesFor(uint32_t present_mask) const {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(present_mask);
    if (it != cache_.end()) return it->second;
  }

  // Built outside the lock: two threads may race to build the same pattern,
  // which wastes a little work but never holds other decoders behind an inversion.
  auto built = std::make_shared<DecodeTables>();
  const int total = n();
  for (int i = 0; i < total; ++i) {
    if (present_mask & (1u << i)) {
      if (static_cast<int>(built->sources.size()) < k_) built->sources.push_back(i);
    } else {
      built->targets.push_back(i);
    }
  }
  const size_t k = static_cast<size_t>(k_);
  // The present shards are sources = B * data, with B the generator rows of
  // the sources; so data = B^-1 * sources, and a lost parity row r is
  // (generator row r) * B^-1 applied to the sources.
  std::vector<uint8_t> b(k * k);
  std::vector<uint8_t> inverse(k * k);
  for (size_t r = 0; r < k; ++r) {
    std::copy_n(matrix_.begin() + static_cast<ptrdiff_t>(built->sources[r] * k), k,
                b.begin() + static_cast<ptrdiff_t>(r * k));
  }
  if (gf_invert_matrix(b.data(), inverse.data(), k_) != 0) {
    // A Cauchy generator has no singular k x k submatrix; this is a bug.
    return Status(Code::kInternal, "erasure decode matrix is singular");
  }
  std::vector<uint8_t> rows(built->targets.size() * k);
  for (size_t t = 0; t < built->targets.size(); ++t) {
    const size_t lost = static_cast<size_t>(built->targets[t]);
    uint8_t* row = rows.data() + t * k;
    if (lost < k) {
      std::copy_n(inverse.begin() + static_cast<ptrdiff_t>(lost * k), k, row);
      continue;
    }
    for (size_t j = 0; j < k; ++j) {
      uint8_t acc = 0;
      for (size_t l = 0; l < k; ++l) acc ^= gf_mul(matrix_[lost * k + l], inverse[l * k + j]);
      row[j] = acc;
    }
  }
  built->tables.resize(32 * k * built->targets.size());
  ec_init_tables(k_, static_cast<int>(built->targets.size()), rows.data(), built->tables.data());

  std::shared_ptr<const DecodeTables> tables = std::move(built);
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kMaxCachedPatterns && !cache_.contains(present_mask)) {
    cache_.erase(cache_.begin());  // any victim will do: patterns are few and cheap to rebuild
  }
  cache_.emplace(present_mask, tables);
  return tables;
}

Status Codec::Reconstruct(std::span<const MutableByteSpan> shards,
                          std::span<const bool> present) const {
  const int total = n();
  if (shards.size() != static_cast<size_t>(total) || present.size() != static_cast<size_t>(total)) {
    return Status(Code::kInvalidArgument, "reconstruct needs k + m shards");
  }
  const size_t len = shards[0].size();
  uint32_t present_mask = 0;
  int num_present = 0;
  for (int i = 0; i < total; ++i) {
    if (shards[i].size() != len) {
      return Status(Code::kInvalidArgument, "erasure shards differ in length");
    }
    if (present[i]) {
      present_mask |= 1u << i;
      ++num_present;
    }
  }
  if (num_present == total) return Status::Ok();
  if (num_present < k_) {
    return Status(Code::kUnavailable, "too few erasure shards to rebuild the data");
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const DecodeTables> tables, TablesFor(present_mask));
  PointerArray in{};
  PointerArray out{};
  for (size_t j = 0; j < tables->sources.size(); ++j) {
    in[j] = reinterpret_cast<unsigned char*>(shards[tables->sources[j]].data());
  }
  for (size_t t = 0; t < tables->targets.size(); ++t) {
    out[t] = reinterpret_cast<unsigned char*>(shards[tables->targets[t]].data());
  }
  RunIsal(k_, static_cast<int>(tables->targets.size()), tables->tables, in, out, len);
  return Status::Ok();
}

}  // namespace strata::erasure
