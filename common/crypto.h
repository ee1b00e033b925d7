// Cryptographic hashes and HMAC over OpenSSL 3 (EVP), for SigV4/SigV2, ETags
// and flexible checksums. One-shot functions and streaming hashers.
//
// Thread safety: functions are thread-safe; a Hasher object is not (one per
// stream).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/encoding.h"

namespace strata {

enum class HashAlgorithm { kMd5, kSha1, kSha256 };

// Raw digest bytes (16, 20 or 32 bytes).
std::string Digest(HashAlgorithm algo, ByteSpan data);
inline std::string Sha256(std::string_view data) { return Digest(HashAlgorithm::kSha256, AsBytes(data)); }
inline std::string Md5(std::string_view data) { return Digest(HashAlgorithm::kMd5, AsBytes(data)); }
inline std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

// Raw HMAC bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha1(std::string_view key, std::string_view data);

// Compares two byte strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Streaming hasher. Create never fails for the three supported algorithms.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algo);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  void Update(ByteSpan data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  // Returns the raw digest; the hasher must not be used afterwards.
  std::string Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Cryptographically random bytes (RAND_bytes).
std::string RandomBytes(size_t n);

// Authenticated encryption of small secrets at rest: AES-256-GCM with a
// random 96-bit nonce. `key` must be 32 bytes. Output: nonce | ciphertext |
// 16-byte tag. `aad` is authenticated, not stored (pass the same to Open).
std::string SealAesGcm(std::string_view key, std::string_view plaintext, std::string_view aad);
// The plaintext, or nullopt when the key, the aad or any byte is wrong.
std::optional<std::string> OpenAesGcm(std::string_view key, std::string_view sealed,
                                      std::string_view aad);

}  // namespace strata
