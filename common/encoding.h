// Hex, base64 and byte-span helpers. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata {

using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex.
std::string HexEncode(ByteSpan bytes);
inline std::string HexEncode(std::string_view s) { return HexEncode(AsBytes(s)); }
// Accepts upper and lower case; nullopt on odd length or a non-hex digit.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4).
std::string Base64Encode(ByteSpan bytes);
inline std::string Base64Encode(std::string_view s) { return Base64Encode(AsBytes(s)); }
// Strict: requires correct padding, rejects characters outside the alphabet.
std::optional<std::string> Base64Decode(std::string_view b64);

// Big-endian fixed-width integers, for sortable keys.
void PutBigEndian64(std::string* out, uint64_t v);
void PutBigEndian32(std::string* out, uint32_t v);
uint64_t GetBigEndian64(const char* p);
uint32_t GetBigEndian32(const char* p);

}  // namespace strata
