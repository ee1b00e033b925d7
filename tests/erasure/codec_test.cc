#include "erasure/codec.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace strata::erasure {
namespace {

std::unique_ptr<Codec> MakeCodec(int k, int m) {
  auto codec = Codec::Create(k, m);
  REQUIRE(codec.ok());
  return std::move(codec).value();
}

// k + m shards of len bytes: random data, parity from Encode.
std::vector<std::vector<std::byte>> EncodedShards(const Codec& codec, size_t len, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<std::byte>> shards(codec.n(), std::vector<std::byte>(len));
  for (int i = 0; i < codec.k(); ++i) {
    for (std::byte& b : shards[i]) b = static_cast<std::byte>(rng());
  }
  std::vector<ByteSpan> data(shards.begin(), shards.begin() + codec.k());
  std::vector<MutableByteSpan> parity(shards.begin() + codec.k(), shards.end());
  codec.Encode(data, parity);
  return shards;
}

// Every set of shard indices (as a bitmask) with 1..max_lost members.
std::vector<uint32_t> LossPatterns(int n, int max_lost) {
  std::vector<uint32_t> patterns;
  for (uint32_t mask = 1; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) <= max_lost) patterns.push_back(mask);
  }
  return patterns;
}

// Wipes the lost shards with garbage, reconstructs, and returns the status.
Status LoseAndReconstruct(const Codec& codec, std::vector<std::vector<std::byte>>& shards,
                          uint32_t lost_mask) {
  std::vector<MutableByteSpan> spans(shards.begin(), shards.end());
  std::unique_ptr<bool[]> present(new bool[codec.n()]);
  for (int i = 0; i < codec.n(); ++i) {
    present[i] = !(lost_mask & (1u << i));
    if (!present[i]) std::fill(shards[i].begin(), shards[i].end(), std::byte{0xA5});
  }
  return codec.Reconstruct(spans, std::span<const bool>(present.get(), codec.n()));
}

TEST_CASE("Codec::Create validates k and m", "[codec]") {
  for (auto [k, m] : std::vector<std::pair<int, int>>{
           {0, 2}, {-1, 0}, {17, 1}, {4, -1}, {4, 17}, {0, 0}, {1000, 1000}}) {
    INFO("k=" << k << " m=" << m);
    auto codec = Codec::Create(k, m);
    REQUIRE_FALSE(codec.ok());
    CHECK(codec.status().code() == Code::kInvalidArgument);
  }
  for (auto [k, m] : std::vector<std::pair<int, int>>{{1, 0}, {1, 16}, {16, 0}, {16, 16}}) {
    auto codec = Codec::Create(k, m);
    REQUIRE(codec.ok());
    CHECK((*codec)->k() == k);
    CHECK((*codec)->m() == m);
  }
}

TEST_CASE("Every parity shard depends on every data byte", "[codec]") {
  auto codec = MakeCodec(6, 3);
  auto shards = EncodedShards(*codec, 100, 1);
  const auto original = shards;
  shards[4][37] ^= std::byte{0x01};
  std::vector<ByteSpan> data(shards.begin(), shards.begin() + 6);
  std::vector<MutableByteSpan> parity(shards.begin() + 6, shards.end());
  codec->Encode(data, parity);
  for (int p = 6; p < 9; ++p) {
    for (size_t b = 0; b < 100; ++b) {
      INFO("parity " << p << " byte " << b);
      CHECK((shards[p][b] != original[p][b]) == (b == 37));
    }
  }
}

TEST_CASE("Parity of all-zero data is zero; m == 0 encodes nothing", "[codec]") {
  auto codec = MakeCodec(4, 2);
  std::vector<std::vector<std::byte>> shards(6, std::vector<std::byte>(64, std::byte{0}));
  std::fill(shards[4].begin(), shards[4].end(), std::byte{0x77});
  std::fill(shards[5].begin(), shards[5].end(), std::byte{0x77});
  std::vector<ByteSpan> data(shards.begin(), shards.begin() + 4);
  std::vector<MutableByteSpan> parity(shards.begin() + 4, shards.end());
  codec->Encode(data, parity);
  CHECK(shards[4] == std::vector<std::byte>(64, std::byte{0}));
  CHECK(shards[5] == std::vector<std::byte>(64, std::byte{0}));

  auto no_parity = MakeCodec(3, 0);
  auto plain = EncodedShards(*no_parity, 10, 2);
  CHECK(LoseAndReconstruct(*no_parity, plain, 0).ok());
  CHECK(LoseAndReconstruct(*no_parity, plain, 0b010).code() == Code::kUnavailable);
}

TEST_CASE("Every loss pattern of up to m shards is rebuilt exactly", "[codec]") {
  auto [k, m] = GENERATE(std::pair{4, 2}, std::pair{6, 3}, std::pair{2, 2}, std::pair{8, 3},
                         std::pair{1, 1}, std::pair{1, 3});
  const size_t len = GENERATE(size_t{1}, size_t{31}, size_t{64}, size_t{4101});
  auto codec = MakeCodec(k, m);
  const auto original = EncodedShards(*codec, len, static_cast<uint32_t>(k * 100 + m));
  for (uint32_t lost : LossPatterns(k + m, m)) {
    auto shards = original;
    INFO("k=" << k << " m=" << m << " len=" << len << " lost mask=" << lost);
    REQUIRE(LoseAndReconstruct(*codec, shards, lost).ok());
    REQUIRE(shards == original);
  }
}

TEST_CASE("More than m lost shards is kUnavailable and writes nothing", "[codec]") {
  auto [k, m] = GENERATE(std::pair{4, 2}, std::pair{6, 3}, std::pair{2, 2});
  auto codec = MakeCodec(k, m);
  const auto original = EncodedShards(*codec, 128, 9);
  for (uint32_t lost : LossPatterns(k + m, k + m)) {
    if (__builtin_popcount(lost) <= m) continue;
    auto shards = original;
    INFO("lost mask " << lost);
    REQUIRE(LoseAndReconstruct(*codec, shards, lost).code() == Code::kUnavailable);
    for (int i = 0; i < k + m; ++i) {
      const auto expected =
          (lost & (1u << i)) ? std::vector<std::byte>(128, std::byte{0xA5}) : original[i];
      REQUIRE(shards[i] == expected);
    }
  }
}

TEST_CASE("Wide codes rebuild random worst-case patterns", "[codec]") {
  auto codec = MakeCodec(16, 16);
  const auto original = EncodedShards(*codec, 257, 4);
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    std::vector<int> order(32);
    for (int i = 0; i < 32; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    uint32_t lost = 0;
    for (int i = 0; i < 16; ++i) lost |= 1u << order[i];
    auto shards = original;
    INFO("lost mask " << lost);
    REQUIRE(LoseAndReconstruct(*codec, shards, lost).ok());
    REQUIRE(shards == original);
    lost |= 1u << order[16];
    REQUIRE(LoseAndReconstruct(*codec, shards, lost).code() == Code::kUnavailable);
  }
}

TEST_CASE("Reconstruct rejects shards that do not match the codec", "[codec]") {
  auto codec = MakeCodec(4, 2);
  auto shards = EncodedShards(*codec, 64, 3);
  std::vector<MutableByteSpan> spans(shards.begin(), shards.end());
  bool present[6] = {true, false, true, true, true, true};
  CHECK(codec->Reconstruct(std::span(spans).first(5), std::span<const bool>(present, 5)).code() ==
        Code::kInvalidArgument);
  CHECK(codec->Reconstruct(spans, std::span<const bool>(present, 5)).code() ==
        Code::kInvalidArgument);
  spans[3] = spans[3].first(63);
  CHECK(codec->Reconstruct(spans, std::span<const bool>(present, 6)).code() ==
        Code::kInvalidArgument);
  CHECK(codec->Reconstruct({}, {}).code() == Code::kInvalidArgument);
}

TEST_CASE("Concurrent reconstructs over more patterns than the cache holds", "[codec]") {
  // 9 + 3 shards have 298 loss patterns of 1..3 shards: the cache (64) must
  // evict while other threads are decoding with tables they hold.
  auto codec = MakeCodec(9, 3);
  const auto original = EncodedShards(*codec, 96, 12);
  const std::vector<uint32_t> patterns = LossPatterns(12, 3);
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int pass = 0; pass < 2; ++pass) {
        for (size_t p = t; p < patterns.size() + t; ++p) {
          auto shards = original;
          const uint32_t lost = patterns[(p * 7 + pass) % patterns.size()];
          if (!LoseAndReconstruct(*codec, shards, lost).ok() || shards != original) {
            ++failures[t];
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failures == std::vector<int>(4, 0));
}

}  // namespace
}  // namespace strata::erasure
