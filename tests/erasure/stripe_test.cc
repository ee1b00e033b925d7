#include "erasure/stripe.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/checksum.h"
#include "erasure/layout.h"

namespace strata::erasure {
namespace {

using Bytes = std::vector<std::byte>;

std::unique_ptr<Codec> MakeCodec(int k, int m) {
  auto codec = Codec::Create(k, m);
  REQUIRE(codec.ok());
  return std::move(codec).value();
}

Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (std::byte& b : out) b = static_cast<std::byte>(rng());
  return out;
}

// An object written out as its n shard files, the way the writer lays them out.
struct ShardFiles {
  Layout layout;
  std::vector<Bytes> files;
};

ShardFiles WriteObject(const Codec& codec, const Bytes& object) {
  ShardFiles out{Layout::For(codec.k(), codec.m(), object.size()), {}};
  const Layout& l = out.layout;
  out.files.assign(codec.n(), Bytes(l.ShardFileSize(object.size()), std::byte{0xEE}));
  for (uint64_t s = 0; s < l.NumStripes(object.size()); ++s) {
    const size_t len = l.StripeDataLen(object.size(), s);
    const size_t frame_len = l.BlockLen(len) + kFrameTrailer;
    std::vector<MutableByteSpan> frames;
    for (Bytes& file : out.files) {
      frames.push_back(MutableByteSpan(file).subspan(l.FrameOffset(s), frame_len));
    }
    const ByteSpan data = ByteSpan(object).subspan(s * l.StripeDataBytes(), len);
    REQUIRE(EncodeStripe(codec, data, frames) == frame_len);
  }
  return out;
}

// Frames of stripe s; shards in lost_mask are left out (empty spans).
std::vector<ByteSpan> ReadFrames(const ShardFiles& shards, uint64_t object_size, uint64_t s,
                                 uint32_t lost_mask = 0) {
  const Layout& l = shards.layout;
  const size_t frame_len = l.BlockLen(l.StripeDataLen(object_size, s)) + kFrameTrailer;
  std::vector<ByteSpan> frames;
  for (size_t i = 0; i < shards.files.size(); ++i) {
    if (lost_mask & (1u << i)) {
      frames.emplace_back();
    } else {
      frames.push_back(ByteSpan(shards.files[i]).subspan(l.FrameOffset(s), frame_len));
    }
  }
  return frames;
}

// Decodes the whole object; every stripe must succeed.
Bytes ReadObject(const Codec& codec, const ShardFiles& shards, uint64_t size, uint32_t lost) {
  Bytes out(size, std::byte{0xCC});
  const Layout& l = shards.layout;
  for (uint64_t s = 0; s < l.NumStripes(size); ++s) {
    const size_t len = l.StripeDataLen(size, s);
    auto report = DecodeStripe(codec, ReadFrames(shards, size, s, lost), len,
                               MutableByteSpan(out).subspan(s * l.StripeDataBytes(), len));
    REQUIRE(report.ok());
    CHECK(report->missing_mask == lost);
    CHECK(report->corrupt_mask == 0);
    CHECK(report->reconstructed == ((lost & ((1u << codec.k()) - 1)) != 0));
  }
  return out;
}

std::vector<uint32_t> LossPatterns(int n, int min_lost, int max_lost) {
  std::vector<uint32_t> patterns;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    const int lost = __builtin_popcount(mask);
    if (lost >= min_lost && lost <= max_lost) patterns.push_back(mask);
  }
  return patterns;
}

TEST_CASE("Objects round-trip through shard files", "[stripe]") {
  auto [k, m] = GENERATE(std::pair{4, 2}, std::pair{2, 2}, std::pair{6, 3}, std::pair{8, 3},
                         std::pair{1, 1}, std::pair{3, 0});
  const size_t size = GENERATE(size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{1000},
                               size_t{4} * 1024 * 1024 + 3);
  INFO("k=" << k << " m=" << m << " size=" << size);
  auto codec = MakeCodec(k, m);
  const Bytes object = RandomBytes(size, static_cast<uint32_t>(size + k));
  const ShardFiles shards = WriteObject(*codec, object);
  for (const Bytes& file : shards.files) {
    CHECK(file.size() == shards.layout.ShardFileSize(size));
  }
  CHECK(ReadObject(*codec, shards, size, 0) == object);
  // The healthy read path: only the data shards are read.
  const uint32_t parity_mask = ((1u << (k + m)) - 1) & ~((1u << k) - 1);
  CHECK(ReadObject(*codec, shards, size, parity_mask) == object);
  if (m > 0) {
    // Degraded: the first m shards (data) gone.
    CHECK(ReadObject(*codec, shards, size, (1u << m) - 1) == object);
  }
}

TEST_CASE("Data shards hold the object bytes in order, zero-padded", "[stripe]") {
  auto codec = MakeCodec(4, 2);
  const Bytes object = RandomBytes(1001, 8);  // ceil(1001/4) = 251: 3 bytes of padding
  const ShardFiles shards = WriteObject(*codec, object);
  for (int i = 0; i < 4; ++i) {
    const Bytes& file = shards.files[i];
    REQUIRE(file.size() == 251 + 4);
    for (size_t b = 0; b < 251; ++b) {
      const size_t pos = i * 251 + b;
      REQUIRE(file[b] == (pos < object.size() ? object[pos] : std::byte{0}));
    }
  }
  for (const Bytes& file : shards.files) {
    const uint32_t crc = Crc32c(0, ByteSpan(file).first(251));
    // Little-endian trailer.
    CHECK(std::to_integer<uint32_t>(file[251]) == (crc & 0xff));
    CHECK(std::to_integer<uint32_t>(file[254]) == (crc >> 24));
  }
}

TEST_CASE("Every pattern of up to m lost shards decodes", "[stripe]") {
  auto [k, m] = GENERATE(std::pair{4, 2}, std::pair{6, 3}, std::pair{2, 2});
  const size_t size = GENERATE(size_t{1000}, size_t{3} * 1024 * 1024 + 17);
  auto codec = MakeCodec(k, m);
  const Bytes object = RandomBytes(size, 21);
  const ShardFiles shards = WriteObject(*codec, object);
  for (uint32_t lost : LossPatterns(k + m, 1, m)) {
    INFO("k=" << k << " m=" << m << " size=" << size << " lost mask=" << lost);
    REQUIRE(ReadObject(*codec, shards, size, lost) == object);
  }
}

TEST_CASE("More than m lost shards is kUnavailable, with the report filled", "[stripe]") {
  auto [k, m] = GENERATE(std::pair{4, 2}, std::pair{6, 3}, std::pair{2, 2}, std::pair{3, 0});
  auto codec = MakeCodec(k, m);
  const Bytes object = RandomBytes(5000, 2);
  const ShardFiles shards = WriteObject(*codec, object);
  for (uint32_t lost : LossPatterns(k + m, m + 1, k + m)) {
    INFO("lost mask " << lost);
    Bytes out(5000);
    DecodeReport report;
    auto result = DecodeStripe(*codec, ReadFrames(shards, 5000, 0, lost), 5000, out, &report);
    REQUIRE(result.status().code() == Code::kUnavailable);
    CHECK(report.missing_mask == lost);
    CHECK(report.corrupt_mask == 0);
    CHECK_FALSE(report.reconstructed);
  }
}

TEST_CASE("A flipped byte anywhere in any frame is detected and corrected", "[stripe]") {
  auto [k, m] = GENERATE(std::pair{4, 2}, std::pair{6, 3}, std::pair{1, 1});
  auto codec = MakeCodec(k, m);
  const size_t size = 777;
  const Bytes object = RandomBytes(size, 5);
  ShardFiles shards = WriteObject(*codec, object);
  const size_t frame_len = shards.files[0].size();
  for (int shard = 0; shard < k + m; ++shard) {
    for (size_t pos : {size_t{0}, frame_len / 2, frame_len - 5, frame_len - 4, frame_len - 1}) {
      for (std::byte flip : {std::byte{0x01}, std::byte{0x80}, std::byte{0xFF}}) {
        INFO("k=" << k << " shard " << shard << " byte " << pos);
        shards.files[shard][pos] ^= flip;
        Bytes out(size);
        auto report = DecodeStripe(*codec, ReadFrames(shards, size, 0), size, out);
        shards.files[shard][pos] ^= flip;
        REQUIRE(report.ok());
        CHECK(report->corrupt_mask == 1u << shard);
        CHECK(report->missing_mask == 0);
        CHECK(report->reconstructed == (shard < k));
        CHECK(out == object);
      }
    }
  }
}

TEST_CASE("Corruption and loss together: up to m decodes, beyond is kUnavailable", "[stripe]") {
  auto codec = MakeCodec(6, 3);
  const size_t size = 6000;
  const Bytes object = RandomBytes(size, 6);
  ShardFiles shards = WriteObject(*codec, object);
  for (uint32_t lost : LossPatterns(9, 0, 2)) {
    for (int corrupt = 0; corrupt < 9; ++corrupt) {
      if (lost & (1u << corrupt)) continue;
      INFO("lost " << lost << " corrupt " << corrupt);
      shards.files[corrupt][100] ^= std::byte{0x10};
      Bytes out(size);
      DecodeReport report;
      auto result = DecodeStripe(*codec, ReadFrames(shards, size, 0, lost), size, out, &report);
      REQUIRE(result.ok());
      CHECK(out == object);
      CHECK(report.corrupt_mask == 1u << corrupt);
      CHECK(report.missing_mask == lost);
      // A third bad shard on top of two lost ones is too many.
      if (__builtin_popcount(lost) == 2) {
        const int other = (corrupt + 1) % 9;
        if (!(lost & (1u << other))) {
          shards.files[other][0] ^= std::byte{0x01};
          CHECK(
              DecodeStripe(*codec, ReadFrames(shards, size, 0, lost), size, out).status().code() ==
              Code::kUnavailable);
          shards.files[other][0] ^= std::byte{0x01};
        }
      }
      shards.files[corrupt][100] ^= std::byte{0x10};
    }
  }
}

TEST_CASE("Frames of the wrong length or full of garbage count as corrupt", "[stripe]") {
  auto codec = MakeCodec(4, 2);
  const size_t size = 1000;
  const Bytes object = RandomBytes(size, 7);
  const ShardFiles shards = WriteObject(*codec, object);
  Bytes out(size);

  auto frames = ReadFrames(shards, size, 0);
  Bytes padded(shards.files[1]);
  padded.push_back(std::byte{0});
  frames[0] = frames[0].first(frames[0].size() - 1);  // truncated
  frames[1] = ByteSpan(padded);                       // one byte too many
  auto report = DecodeStripe(*codec, frames, size, out);
  REQUIRE(report.ok());
  CHECK(report->corrupt_mask == 0b11);
  CHECK(out == object);

  // A frame whose CRC is right for its content but whose length is for another stripe.
  Bytes tiny(4, std::byte{0});  // the frame of an empty block: CRC32C("") == 0
  frames = ReadFrames(shards, size, 0);
  frames[2] = ByteSpan(tiny);
  report = DecodeStripe(*codec, frames, size, out);
  REQUIRE(report.ok());
  CHECK(report->corrupt_mask == 0b100);

  // Random garbage of the right length in every frame.
  std::vector<Bytes> garbage;
  std::vector<ByteSpan> garbage_frames;
  for (int i = 0; i < 6; ++i) garbage.push_back(RandomBytes(frames[0].size(), 100 + i));
  for (const Bytes& g : garbage) garbage_frames.push_back(ByteSpan(g));
  DecodeReport failed;
  CHECK(DecodeStripe(*codec, garbage_frames, size, out, &failed).status().code() ==
        Code::kUnavailable);
  CHECK(failed.corrupt_mask == 0b111111);
  CHECK(failed.missing_mask == 0);
}

TEST_CASE("DecodeStripe rejects malformed arguments", "[stripe]") {
  auto codec = MakeCodec(4, 2);
  const Bytes object = RandomBytes(1000, 1);
  const ShardFiles shards = WriteObject(*codec, object);
  auto frames = ReadFrames(shards, 1000, 0);
  Bytes out(1000);
  CHECK(DecodeStripe(*codec, std::span(frames).first(5), 1000, out).status().code() ==
        Code::kInvalidArgument);
  frames.push_back(frames[0]);
  CHECK(DecodeStripe(*codec, frames, 1000, out).status().code() == Code::kInvalidArgument);
  frames.pop_back();
  CHECK(DecodeStripe(*codec, frames, 1000, MutableByteSpan(out).first(999)).status().code() ==
        Code::kInvalidArgument);
  // A data_len that does not match the frames makes every frame the wrong length.
  CHECK(DecodeStripe(*codec, frames, 996, out).status().code() == Code::kUnavailable);
  CHECK(DecodeStripe(*codec, frames, 1000, out).ok());
}

TEST_CASE("EncodeStripe writes every frame and nothing past it", "[stripe]") {
  auto codec = MakeCodec(4, 2);
  const Bytes data = RandomBytes(100, 3);  // BlockLen 25, frame 29
  std::vector<Bytes> buffers(6, Bytes(40, std::byte{0xEE}));
  std::vector<MutableByteSpan> frames(buffers.begin(), buffers.end());
  REQUIRE(EncodeStripe(*codec, data, frames) == 29);
  for (const Bytes& b : buffers) {
    CHECK(b[29] == std::byte{0xEE});
    CHECK(b[39] == std::byte{0xEE});
  }
  // An empty stripe is a frame of just the CRC of nothing.
  REQUIRE(EncodeStripe(*codec, {}, frames) == 4);
  CHECK(buffers[5][0] == std::byte{0});
  CHECK(buffers[5][3] == std::byte{0});
#ifdef NDEBUG
  // Caller bugs are refused without writing (asserted in debug builds).
  std::vector<Bytes> small(6, Bytes(28, std::byte{0xEE}));
  std::vector<MutableByteSpan> small_frames(small.begin(), small.end());
  CHECK(EncodeStripe(*codec, data, small_frames) == 0);
  CHECK(EncodeStripe(*codec, data, std::span(frames).first(5)) == 0);
  for (const Bytes& b : small) CHECK(b == Bytes(28, std::byte{0xEE}));
#endif
}

TEST_CASE("Degraded decodes of varying stripe sizes on one thread", "[stripe]") {
  // The rebuild scratch is per thread and grows: small, large, small again.
  auto codec = MakeCodec(4, 2);
  for (size_t size : {size_t{100}, size_t{1} << 20, size_t{100}, size_t{5000}}) {
    const Bytes object = RandomBytes(size, static_cast<uint32_t>(size));
    const ShardFiles shards = WriteObject(*codec, object);
    INFO("size " << size);
    CHECK(ReadObject(*codec, shards, size, 0b010001) == object);
  }
}

}  // namespace
}  // namespace strata::erasure

namespace strata::erasure {
namespace {

// The pieces, concatenated, as one byte string.
Bytes Join(const std::vector<ByteSpan>& pieces) {
  Bytes out;
  for (ByteSpan p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool Within(ByteSpan inner, ByteSpan outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

TEST_CASE("DecodeStripeViews points into intact data frames without copying",
          "[stripe][views]") {
  auto codec = MakeCodec(4, 2);
  for (size_t size : {1ul, 5ul, 64ul, 1000ul, 4096ul, 65536ul + 3}) {
    const Bytes object = RandomBytes(size, static_cast<uint32_t>(size));
    const ShardFiles shards = WriteObject(*codec, object);
    const std::vector<ByteSpan> frames = ReadFrames(shards, size, 0);
    Bytes scratch(size, std::byte{0});
    std::vector<ByteSpan> pieces(4);
    DecodeReport report;
    auto r = DecodeStripeViews(*codec, frames, size, scratch, pieces, &report);
    REQUIRE(r.ok());
    CHECK_FALSE(report.reconstructed);
    CHECK(Join(pieces) == object);
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (!pieces[i].empty()) CHECK(Within(pieces[i], frames[i]));
    }
    CHECK(std::all_of(scratch.begin(), scratch.end(), [](std::byte b) { return b == std::byte{0}; }));
  }
}

TEST_CASE("DecodeStripeViews rebuilds into scratch when a data frame is lost or corrupt",
          "[stripe][views]") {
  auto codec = MakeCodec(4, 2);
  const size_t size = 10000;
  const Bytes object = RandomBytes(size, 7);
  const ShardFiles shards = WriteObject(*codec, object);
  for (uint32_t lost : {0b000001u, 0b000110u, 0b001000u}) {
    std::vector<ByteSpan> frames = ReadFrames(shards, size, 0, lost);
    Bytes scratch(size);
    std::vector<ByteSpan> pieces(4);
    DecodeReport report;
    REQUIRE(DecodeStripeViews(*codec, frames, size, scratch, pieces, &report).ok());
    CHECK(report.reconstructed);
    CHECK(Join(pieces) == object);
    CHECK(Within(pieces[0], scratch));
  }
  // A flipped byte in data frame 2: detected, rebuilt, never forwarded.
  Bytes bad = shards.files[2];
  bad[17] ^= std::byte{0x01};
  std::vector<ByteSpan> frames = ReadFrames(shards, size, 0);
  frames[2] = ByteSpan(bad).first(frames[2].size());
  Bytes scratch(size);
  std::vector<ByteSpan> pieces(4);
  DecodeReport report;
  REQUIRE(DecodeStripeViews(*codec, frames, size, scratch, pieces, &report).ok());
  CHECK(report.corrupt_mask == 0b100u);
  CHECK(Join(pieces) == object);
}

TEST_CASE("DecodeStripeViews refuses a wrong number of piece slots and too few frames",
          "[stripe][views]") {
  auto codec = MakeCodec(4, 2);
  const Bytes object = RandomBytes(4096, 9);
  const ShardFiles shards = WriteObject(*codec, object);
  Bytes scratch(4096);
  std::vector<ByteSpan> three(3);
  auto frames = ReadFrames(shards, 4096, 0);
  CHECK(DecodeStripeViews(*codec, frames, 4096, scratch, three).status().code() ==
        Code::kInvalidArgument);
  std::vector<ByteSpan> pieces(4);
  auto lost3 = ReadFrames(shards, 4096, 0, 0b010101u);
  CHECK(DecodeStripeViews(*codec, lost3, 4096, scratch, pieces).status().code() ==
        Code::kUnavailable);
}

}  // namespace
}  // namespace strata::erasure
