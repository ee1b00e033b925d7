#include "erasure/layout.h"

#include <catch2/catch.hpp>

namespace strata::erasure {
namespace {

constexpr uint64_t kMiB = 1 << 20;

TEST_CASE("Layout::For picks small blocks for small objects, ~1 MiB stripes for big ones",
          "[layout]") {
  CHECK(Layout::For(4, 2, 0).block_size == 64);
  CHECK(Layout::For(4, 2, 1).block_size == 64);
  CHECK(Layout::For(4, 2, 256).block_size == 64);
  CHECK(Layout::For(4, 2, 257).block_size == 128);  // ceil(257/4) = 65 -> 128
  CHECK(Layout::For(4, 2, 100000).block_size == 25024);
  CHECK(Layout::For(4, 2, kMiB).block_size == 262144);
  CHECK(Layout::For(4, 2, 10 * 1024 * kMiB).block_size == 262144);
  CHECK(Layout::For(3, 1, 100 * kMiB).block_size == 349568);  // round_up(349525, 64)
  CHECK(Layout::For(6, 3, 100 * kMiB).block_size == 174784);  // round_up(174762, 64)
  CHECK(Layout::For(16, 16, 100 * kMiB).block_size == 65536);
  CHECK(Layout::For(1, 0, 100 * kMiB).block_size == kMiB);
  CHECK(Layout::For(1, 0, ~uint64_t{0}).block_size == kMiB);
  const Layout l = Layout::For(6, 3, 5);
  CHECK(l.k == 6);
  CHECK(l.m == 3);
  for (int k = 1; k <= 16; ++k) {
    for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{4099}, 3 * kMiB + 1}) {
      const Layout layout = Layout::For(k, 2, size);
      INFO("k=" << k << " size=" << size);
      CHECK(layout.block_size % 64 == 0);
      CHECK(layout.block_size >= 64);
      CHECK(layout.StripeDataBytes() <= kMiB + 64u * k);
      CHECK(layout.Validate().ok());
    }
  }
}

TEST_CASE("The worked example of layout.h", "[layout]") {
  const Layout l = Layout::For(4, 2, 2500000);
  CHECK(l.block_size == 262144);
  CHECK(l.StripeDataBytes() == kMiB);
  CHECK(l.NumStripes(2500000) == 3);
  CHECK(l.StripeDataLen(2500000, 0) == kMiB);
  CHECK(l.StripeDataLen(2500000, 1) == kMiB);
  CHECK(l.StripeDataLen(2500000, 2) == 402848);
  CHECK(l.StripeDataLen(2500000, 3) == 0);
  CHECK(l.BlockLen(402848) == 100712);
  CHECK(l.FrameOffset(0) == 0);
  CHECK(l.FrameOffset(1) == 262148);
  CHECK(l.FrameOffset(2) == 524296);
  CHECK(l.ShardFileSize(2500000) == 625012);
}

TEST_CASE("An empty object has no stripes and empty shard files", "[layout]") {
  const Layout l = Layout::For(4, 2, 0);
  CHECK(l.NumStripes(0) == 0);
  CHECK(l.StripeDataLen(0, 0) == 0);
  CHECK(l.ShardFileSize(0) == 0);
  CHECK(l.BlockLen(0) == 0);
}

TEST_CASE("Stripe math is consistent for any size", "[layout]") {
  const int k = GENERATE(1, 2, 3, 4, 6, 8, 16);
  const Layout fixed{k, 2, 1024};
  for (uint64_t size :
       {uint64_t{1}, uint64_t{63}, uint64_t{1024} * k - 1, uint64_t{1024} * k,
        uint64_t{1024} * k + 1, uint64_t{1024} * k * 7, uint64_t{999999}, uint64_t{1} << 40}) {
    INFO("k=" << k << " size=" << size);
    const uint64_t stripes = fixed.NumStripes(size);
    REQUIRE(stripes == (size + fixed.StripeDataBytes() - 1) / fixed.StripeDataBytes());
    // Full stripes then one possibly shorter last stripe, summing to the size.
    const uint64_t last = fixed.StripeDataLen(size, stripes - 1);
    CHECK(last > 0);
    CHECK(last <= fixed.StripeDataBytes());
    CHECK((stripes - 1) * fixed.StripeDataBytes() + last == size);
    if (stripes > 1) CHECK(fixed.StripeDataLen(size, stripes - 2) == fixed.StripeDataBytes());
    CHECK(fixed.StripeDataLen(size, stripes) == 0);
    // Blocks cover the stripe with less than one byte per shard of padding.
    const uint32_t block = fixed.BlockLen(last);
    CHECK(uint64_t{block} * k >= last);
    CHECK(uint64_t{block} * k < last + k);
    CHECK(fixed.BlockLen(fixed.StripeDataBytes()) == 1024);
    CHECK(fixed.ShardFileSize(size) == fixed.FrameOffset(stripes - 1) + block + kFrameTrailer);
    CHECK(fixed.FrameOffset(stripes) == stripes * (1024 + 4));
  }
}

TEST_CASE("Layout::Validate refuses layouts a hostile record could carry", "[layout]") {
  CHECK(Layout{4, 2, 64}.Validate().ok());
  CHECK(Layout{16, 16, Layout::kMaxBlockSize}.Validate().ok());
  for (const Layout& bad :
       {Layout{4, 2, 0}, Layout{0, 2, 64}, Layout{-3, 2, 64}, Layout{17, 2, 64}, Layout{4, -1, 64},
        Layout{4, 17, 64}, Layout{4, 2, Layout::kMaxBlockSize + 1}, Layout{4, 2, ~0u}}) {
    INFO("k=" << bad.k << " m=" << bad.m << " block_size=" << bad.block_size);
    CHECK(bad.Validate().code() == Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace strata::erasure
