// S3 flexible checksums (x-amz-checksum-*) and the CRCs the storage layer uses.
//
// Five algorithms, as S3 names them: CRC32, CRC32C, CRC64NVME, SHA1, SHA256.
// S3 sends a checksum as base64 of its raw bytes; a CRC's raw bytes are its
// value in big-endian order, so "Hello world" has CRC32 0x8BD69E52 and the
// header value base64({8B D6 9E 52}) = "i9aeUg==".
//
// The CRC functions take and return the finished (post-xor) value, so they
// chain: Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b). Start with 0.
// CRC32 and CRC32C run on ISA-L; CRC64NVME is a table-driven slice-by-8 here,
// because ISA-L 2.30 has no NVMe polynomial.
//
// Thread safety: the free functions are pure and thread-safe. A Checksummer
// is one stream's state: use it from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/crypto.h"
#include "common/encoding.h"

namespace strata {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (x-amz-checksum-algorithm values).
std::string_view ChecksumName(ChecksumAlgorithm algo);
// Case-insensitive inverse of ChecksumName; nullopt for anything else.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);

// "x-amz-checksum-crc32", ..., all lower case.
std::string_view ChecksumHeader(ChecksumAlgorithm algo);
// Inverse of ChecksumHeader for an already lower-cased header name.
std::optional<ChecksumAlgorithm> ChecksumFromHeader(std::string_view lower_header_name);

// Raw digest size in bytes: 4, 4, 8, 20, 32.
size_t ChecksumSize(ChecksumAlgorithm algo);

// Running CRCs (see the header comment): pass 0 first, then the last result.
uint32_t Crc32(uint32_t crc, ByteSpan data);      // reflected 0x04C11DB7 (zlib, gzip)
uint32_t Crc32c(uint32_t crc, ByteSpan data);     // Castagnoli (iSCSI)
uint64_t Crc64Nvme(uint64_t crc, ByteSpan data);  // NVMe, reflected 0x9A6C9329AC4BC9B5

// Streaming checksum of one body.
class Checksummer {
 public:
  explicit Checksummer(ChecksumAlgorithm algo);

  void Update(ByteSpan data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  // Raw digest bytes (CRCs big-endian), ChecksumSize(algorithm()) long; base64 of
  // them is the header value. The Checksummer must not be used afterwards.
  std::string Finish();

  ChecksumAlgorithm algorithm() const { return algo_; }

 private:
  ChecksumAlgorithm algo_;
  std::variant<uint32_t, uint64_t, Hasher> state_;
};

}  // namespace strata
