#include "common/checksum.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <array>
#include <cstddef>

namespace strata {
namespace {

struct AlgorithmInfo {
  ChecksumAlgorithm algo;
  std::string_view name;
  std::string_view header;
  size_t size;
};

constexpr std::array<AlgorithmInfo, 5> kAlgorithms = {{
    {ChecksumAlgorithm::kCrc32, "CRC32", "x-amz-checksum-crc32", 4},
    {ChecksumAlgorithm::kCrc32c, "CRC32C", "x-amz-checksum-crc32c", 4},
    {ChecksumAlgorithm::kCrc64Nvme, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    {ChecksumAlgorithm::kSha1, "SHA1", "x-amz-checksum-sha1", 20},
    {ChecksumAlgorithm::kSha256, "SHA256", "x-amz-checksum-sha256", 32},
}};

const AlgorithmInfo& Info(ChecksumAlgorithm algo) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.algo == algo) return info;
  }
  return kAlgorithms[0];  // unreachable for a valid enum value
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;  // b is an upper-case canonical name
  }
  return true;
}

// ISA-L takes non-const pointers although it only reads; some entry points
// take an int length, so long spans are fed in pieces.
unsigned char* Mutable(const std::byte* p) {
  return const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(p));
}
constexpr size_t kMaxIsalChunk = size_t{1} << 30;

// CRC64/NVME (reflected poly 0x9A6C9329AC4BC9B5, init and xorout all ones),
// slice-by-8: table[j][b] is the CRC contribution of byte b followed by j zero bytes.
constexpr uint64_t kCrc64NvmePoly = 0x9A6C9329AC4BC9B5ULL;

using Crc64Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Crc64Tables MakeCrc64Tables() {
  Crc64Tables t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ kCrc64NvmePoly : c >> 1;
    t[0][i] = c;
  }
  for (size_t j = 1; j < 8; ++j) {
    for (size_t i = 0; i < 256; ++i) {
      t[j][i] = (t[j - 1][i] >> 8) ^ t[0][t[j - 1][i] & 0xff];
    }
  }
  return t;
}

constexpr Crc64Tables kCrc64Tables = MakeCrc64Tables();

inline uint64_t LoadLittleEndian64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<uint64_t>(p[i]);
  return v;
}

std::string BigEndianBytes(uint64_t v, size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[size - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace

std::string_view ChecksumName(ChecksumAlgorithm algo) { return Info(algo).name; }

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (EqualsIgnoreAsciiCase(name, info.name)) return info.algo;
  }
  return std::nullopt;
}

std::string_view ChecksumHeader(ChecksumAlgorithm algo) { return Info(algo).header; }

std::optional<ChecksumAlgorithm> ChecksumFromHeader(std::string_view lower_header_name) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (lower_header_name == info.header) return info.algo;
  }
  return std::nullopt;
}

size_t ChecksumSize(ChecksumAlgorithm algo) { return Info(algo).size; }

uint32_t Crc32(uint32_t crc, ByteSpan data) {
  // crc32_gzip_refl inverts on entry and exit itself, so its seed is the running value.
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kMaxIsalChunk);
    crc = crc32_gzip_refl(crc, Mutable(data.data()), n);
    data = data.subspan(n);
  }
  return crc;
}

uint32_t Crc32c(uint32_t crc, ByteSpan data) {
  // crc32_iscsi neither inverts the seed nor the result: do both here so the
  // value is the standard CRC32C and chains like Crc32.
  uint32_t raw = ~crc;
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kMaxIsalChunk);
    raw = crc32_iscsi(Mutable(data.data()), static_cast<int>(n), raw);
    data = data.subspan(n);
  }
  return ~raw;
}

uint64_t Crc64Nvme(uint64_t crc, ByteSpan data) {
  const Crc64Tables& t = kCrc64Tables;
  uint64_t c = ~crc;
  const std::byte* p = data.data();
  size_t n = data.size();
  for (; n >= 8; n -= 8, p += 8) {
    c ^= LoadLittleEndian64(p);
    c = t[7][c & 0xff] ^ t[6][(c >> 8) & 0xff] ^ t[5][(c >> 16) & 0xff] ^ t[4][(c >> 24) & 0xff] ^
        t[3][(c >> 32) & 0xff] ^ t[2][(c >> 40) & 0xff] ^ t[1][(c >> 48) & 0xff] ^ t[0][c >> 56];
  }
  for (; n > 0; --n, ++p) {
    c = (c >> 8) ^ t[0][(c ^ std::to_integer<uint64_t>(*p)) & 0xff];
  }
  return ~c;
}

Checksummer::Checksummer(ChecksumAlgorithm algo) : algo_(algo), state_(uint32_t{0}) {
  switch (algo) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c:
      break;
    case ChecksumAlgorithm::kCrc64Nvme:
      state_.emplace<uint64_t>(0);
      break;
    case ChecksumAlgorithm::kSha1:
      state_.emplace<Hasher>(HashAlgorithm::kSha1);
      break;
    case ChecksumAlgorithm::kSha256:
      state_.emplace<Hasher>(HashAlgorithm::kSha256);
      break;
  }
}

void Checksummer::Update(ByteSpan data) {
  switch (algo_) {
    case ChecksumAlgorithm::kCrc32:
      std::get<uint32_t>(state_) = Crc32(std::get<uint32_t>(state_), data);
      break;
    case ChecksumAlgorithm::kCrc32c:
      std::get<uint32_t>(state_) = Crc32c(std::get<uint32_t>(state_), data);
      break;
    case ChecksumAlgorithm::kCrc64Nvme:
      std::get<uint64_t>(state_) = Crc64Nvme(std::get<uint64_t>(state_), data);
      break;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256:
      std::get<Hasher>(state_).Update(data);
      break;
  }
}

std::string Checksummer::Finish() {
  switch (algo_) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c:
      return BigEndianBytes(std::get<uint32_t>(state_), 4);
    case ChecksumAlgorithm::kCrc64Nvme:
      return BigEndianBytes(std::get<uint64_t>(state_), 8);
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256:
      return std::get<Hasher>(state_).Finish();
  }
  return {};
}

}  // namespace strata
