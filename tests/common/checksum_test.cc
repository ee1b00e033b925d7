#include "common/checksum.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

const ChecksumAlgorithm kAll[] = {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c,
                                  ChecksumAlgorithm::kCrc64Nvme, ChecksumAlgorithm::kSha1,
                                  ChecksumAlgorithm::kSha256};

// Bit-at-a-time reflected CRC: slow, obviously right, independent of ISA-L and
// of the slice-by-8 tables.
uint64_t ReferenceCrc(std::string_view data, uint64_t reflected_poly, int width) {
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  uint64_t c = mask;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ reflected_poly : c >> 1;
  }
  return c ^ mask;
}

std::string RandomString(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Base64Of(ChecksumAlgorithm algo, std::string_view data) {
  Checksummer c(algo);
  c.Update(data);
  return Base64Encode(c.Finish());
}

TEST_CASE("CRC check values for \"123456789\"", "[checksum]") {
  const ByteSpan check = AsBytes("123456789");
  CHECK(Crc32(0, check) == 0xCBF43926u);
  CHECK(Crc32c(0, check) == 0xE3069283u);
  CHECK(Crc64Nvme(0, check) == 0xAE8B14860A799888ull);
}

TEST_CASE("CRCs of empty input are zero and leave a running value unchanged", "[checksum]") {
  CHECK(Crc32(0, {}) == 0u);
  CHECK(Crc32c(0, {}) == 0u);
  CHECK(Crc64Nvme(0, {}) == 0u);
  CHECK(Crc32(0x12345678, {}) == 0x12345678u);
  CHECK(Crc32c(0x12345678, {}) == 0x12345678u);
  CHECK(Crc64Nvme(0x0123456789ABCDEFull, {}) == 0x0123456789ABCDEFull);
}

TEST_CASE("AWS CRT check values", "[checksum]") {
  CHECK(Crc32(0, AsBytes("Hello")) == 4157704578u);
  CHECK(Crc32c(0, AsBytes("Hello")) == 2178485787u);
  CHECK(Crc32(0, AsBytes("{\"foo\":\"base64 encoded sha1 checksum\"}")) == 1195144130u);
  CHECK(Crc32c(0, AsBytes("{\"foo\":\"base64 encoded sha1 checksum\"}")) == 3565301023u);
  std::string zeros(32, '\0');
  std::string counting;
  for (int i = 0; i < 32; ++i) counting.push_back(static_cast<char>(i));
  CHECK(Crc64Nvme(0, AsBytes(zeros)) == 0xCF3473434D4ECF3Bull);
  CHECK(Crc64Nvme(0, AsBytes(counting)) == 0xB9D9D4A8492CBD7Full);
}

TEST_CASE("Header values match the AWS SDK flexible-checksum vectors", "[checksum]") {
  struct Vector {
    std::string_view body;
    ChecksumAlgorithm algo;
    std::string_view b64;
  };
  const Vector vectors[] = {
      {"", ChecksumAlgorithm::kCrc32, "AAAAAA=="},
      {"abc", ChecksumAlgorithm::kCrc32, "NSRBwg=="},
      {"Hello world", ChecksumAlgorithm::kCrc32, "i9aeUg=="},
      {"", ChecksumAlgorithm::kCrc32c, "AAAAAA=="},
      {"abc", ChecksumAlgorithm::kCrc32c, "Nks/tw=="},
      {"Hello world", ChecksumAlgorithm::kCrc32c, "crUfeA=="},
      {"", ChecksumAlgorithm::kCrc64Nvme, "AAAAAAAAAAA="},
      {"abc", ChecksumAlgorithm::kCrc64Nvme, "BeXKuz/B+us="},
      {"Hello world", ChecksumAlgorithm::kCrc64Nvme, "OOJZ0D8xKts="},
      {"", ChecksumAlgorithm::kSha1, "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
      {"abc", ChecksumAlgorithm::kSha1, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="},
      {"Hello world", ChecksumAlgorithm::kSha1, "e1AsOh9IyGCa4hLN+2Od7jlnP14="},
      {"", ChecksumAlgorithm::kSha256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
      {"abc", ChecksumAlgorithm::kSha256, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
      {"Hello world", ChecksumAlgorithm::kSha256, "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="},
  };
  for (const Vector& v : vectors) {
    INFO(ChecksumName(v.algo) << " of \"" << v.body << "\"");
    CHECK(Base64Of(v.algo, v.body) == v.b64);
  }
}

TEST_CASE("CRCs agree with a bitwise reference at every length and alignment", "[checksum]") {
  const std::string data = RandomString(300, 7);
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t len = 0; offset + len <= data.size(); len += (len < 40 ? 1 : 13)) {
      const std::string_view piece = std::string_view(data).substr(offset, len);
      INFO("offset " << offset << " len " << len);
      REQUIRE(Crc32(0, AsBytes(piece)) == ReferenceCrc(piece, 0xEDB88320u, 32));
      REQUIRE(Crc32c(0, AsBytes(piece)) == ReferenceCrc(piece, 0x82F63B78u, 32));
      REQUIRE(Crc64Nvme(0, AsBytes(piece)) == ReferenceCrc(piece, 0x9A6C9329AC4BC9B5ull, 64));
    }
  }
}

TEST_CASE("A single flipped bit changes every CRC", "[checksum]") {
  std::string data = RandomString(4096, 11);
  const uint32_t crc32 = Crc32(0, AsBytes(data));
  const uint32_t crc32c = Crc32c(0, AsBytes(data));
  const uint64_t crc64 = Crc64Nvme(0, AsBytes(data));
  for (size_t pos : {size_t{0}, size_t{1}, size_t{2047}, size_t{4095}}) {
    for (int bit = 0; bit < 8; ++bit) {
      data[pos] = static_cast<char>(data[pos] ^ (1 << bit));
      CHECK(Crc32(0, AsBytes(data)) != crc32);
      CHECK(Crc32c(0, AsBytes(data)) != crc32c);
      CHECK(Crc64Nvme(0, AsBytes(data)) != crc64);
      data[pos] = static_cast<char>(data[pos] ^ (1 << bit));
    }
  }
}

TEST_CASE("Chunked updates equal one-shot for every algorithm", "[checksum]") {
  const std::string data = RandomString(1 << 20, 3);
  const ChecksumAlgorithm algo =
      GENERATE(ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
               ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256);
  Checksummer one_shot(algo);
  one_shot.Update(data);
  const std::string expected = one_shot.Finish();
  REQUIRE(expected.size() == ChecksumSize(algo));

  // Odd chunk sizes, including empty updates, so no chunk boundary is aligned.
  std::mt19937 rng(static_cast<uint32_t>(algo));
  Checksummer chunked(algo);
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t n = std::min<size_t>(rng() % 9000, data.size() - pos);
    chunked.Update(std::string_view(data).substr(pos, n));
    pos += n;
  }
  CHECK(chunked.algorithm() == algo);
  CHECK(chunked.Finish() == expected);
}

TEST_CASE("Running CRC functions chain", "[checksum]") {
  const std::string data = RandomString(10000, 5);
  const std::string_view a = std::string_view(data).substr(0, 3333);
  const std::string_view b = std::string_view(data).substr(3333);
  CHECK(Crc32(Crc32(0, AsBytes(a)), AsBytes(b)) == Crc32(0, AsBytes(data)));
  CHECK(Crc32c(Crc32c(0, AsBytes(a)), AsBytes(b)) == Crc32c(0, AsBytes(data)));
  CHECK(Crc64Nvme(Crc64Nvme(0, AsBytes(a)), AsBytes(b)) == Crc64Nvme(0, AsBytes(data)));
}

TEST_CASE("CRC digests are big-endian", "[checksum]") {
  Checksummer c(ChecksumAlgorithm::kCrc32);
  c.Update("123456789");
  CHECK(HexEncode(c.Finish()) == "cbf43926");
  Checksummer c64(ChecksumAlgorithm::kCrc64Nvme);
  c64.Update("123456789");
  CHECK(HexEncode(c64.Finish()) == "ae8b14860a799888");
}

TEST_CASE("Names, headers and sizes round-trip", "[checksum]") {
  CHECK(ChecksumName(ChecksumAlgorithm::kCrc32) == "CRC32");
  CHECK(ChecksumName(ChecksumAlgorithm::kCrc32c) == "CRC32C");
  CHECK(ChecksumName(ChecksumAlgorithm::kCrc64Nvme) == "CRC64NVME");
  CHECK(ChecksumName(ChecksumAlgorithm::kSha1) == "SHA1");
  CHECK(ChecksumName(ChecksumAlgorithm::kSha256) == "SHA256");
  CHECK(ChecksumHeader(ChecksumAlgorithm::kCrc64Nvme) == "x-amz-checksum-crc64nvme");
  CHECK(ChecksumHeader(ChecksumAlgorithm::kSha256) == "x-amz-checksum-sha256");
  CHECK(ChecksumSize(ChecksumAlgorithm::kCrc32) == 4);
  CHECK(ChecksumSize(ChecksumAlgorithm::kCrc32c) == 4);
  CHECK(ChecksumSize(ChecksumAlgorithm::kCrc64Nvme) == 8);
  CHECK(ChecksumSize(ChecksumAlgorithm::kSha1) == 20);
  CHECK(ChecksumSize(ChecksumAlgorithm::kSha256) == 32);
  for (ChecksumAlgorithm algo : kAll) {
    CHECK(ParseChecksumAlgorithm(ChecksumName(algo)) == algo);
    CHECK(ChecksumFromHeader(ChecksumHeader(algo)) == algo);
  }
  CHECK(ParseChecksumAlgorithm("crc32c") == ChecksumAlgorithm::kCrc32c);
  CHECK(ParseChecksumAlgorithm("Crc64Nvme") == ChecksumAlgorithm::kCrc64Nvme);
  CHECK(ParseChecksumAlgorithm("sha256") == ChecksumAlgorithm::kSha256);
}

TEST_CASE("Unknown or malformed names are rejected", "[checksum]") {
  for (std::string_view bad : {"", "CRC", "CRC32 ", " CRC32", "CRC32CC", "CRC64", "SHA-256",
                               "SHA-1", "MD5", "sha512", "CRC3\xb2", "\xff\xfe"}) {
    INFO("name \"" << bad << "\"");
    CHECK_FALSE(ParseChecksumAlgorithm(bad).has_value());
  }
  CHECK_FALSE(ParseChecksumAlgorithm(std::string_view("CRC32\0", 6)).has_value());
  for (std::string_view bad :
       {"", "x-amz-checksum-", "x-amz-checksum-CRC32", "X-Amz-Checksum-Crc32",
        "x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-md5",
        "x-amz-checksum-crc32 ", "content-md5"}) {
    INFO("header \"" << bad << "\"");
    CHECK_FALSE(ChecksumFromHeader(bad).has_value());
  }
}

}  // namespace
}  // namespace strata
