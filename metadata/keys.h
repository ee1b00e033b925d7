// Key encoding of one drive's metadata index. Every key starts with a byte
// naming its space, so each space is one contiguous, byte-ordered range:
//
//   'b' bucket                                   -> BucketRecord
//   'v' bucket 0x00 key 0x00 ~version_id          -> VersionRecord
//   'i' bucket 0x00 key 0x00 ~version_id          -> inline shard bytes
//   'u' bucket 0x00 key 0x00 upload_id            -> UploadRecord
//   'p' upload_id 0x00 be32(part_number)          -> PartRecord
//   'n' bucket 0x00 key 0x00                      -> the key's null version ids
//   'd' data_id                                   -> "" (a shard file is referenced)
//   's' name                                      -> system value (drive identity ...)
//   'c' kind 0x00 name                            -> ConfigRecord (users, tiers)
//
// ~version_id is every byte inverted, so a key's versions list newest first.
// The 0x00 after the key makes "a" < "a/b" < "ab" hold for the encoded keys
// as it does for the plain ones, and keeps one bucket's keys apart from a
// bucket whose name extends it ("a" vs "ab").
//
// Contract: bucket names, object keys and upload ids never hold a 0x00 byte
// (S3 bucket names cannot; the gateway refuses such keys with
// InvalidArgument). The builders assert it in debug builds; MetaStore checks
// it at run time with HasNul() and refuses such input.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::meta::keys {

inline constexpr char kBucket = 'b';
inline constexpr char kVersion = 'v';
inline constexpr char kInline = 'i';
inline constexpr char kUpload = 'u';
inline constexpr char kPart = 'p';
inline constexpr char kDataRef = 'd';
inline constexpr char kNullIndex = 'n';
inline constexpr char kSys = 's';
inline constexpr char kConfig = 'c';

inline bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The smallest string greater than every string that starts with `prefix`;
// empty when there is none (all 0xff). An iterator's exclusive upper bound.
std::string PrefixSuccessor(std::string_view prefix);

std::string BucketKey(std::string_view bucket);
std::string BucketSpace();  // "b": every bucket

// Versions, and the same layout for inline shards with space = kInline.
std::string VersionKey(std::string_view bucket, std::string_view key, std::string_view version_id,
                       char space = kVersion);
// 'v' bucket 0x00: every version of the bucket.
std::string VersionBucketPrefix(std::string_view bucket);
// 'v' bucket 0x00 key 0x00: every version of one key.
std::string VersionKeyPrefix(std::string_view bucket, std::string_view key);
// 'v' bucket 0x00 key 0x01: sorts after every version of `key` and before
// the versions of any longer key that starts with `key`. Seeking here skips
// all of a key's versions at once.
std::string VersionKeyPast(std::string_view bucket, std::string_view key);

struct ParsedVersionKey {
  std::string_view bucket;
  std::string_view key;
  std::string version_id;  // not inverted
};
// Views point into `encoded`. nullopt when it is not a well-formed 'v' (or
// `space`) key.
std::optional<ParsedVersionKey> ParseVersionKey(std::string_view encoded, char space = kVersion);

// 'n' bucket 0x00 key 0x00: one record per key listing its null versions
// (normally one; two while a null overwrite is between commit and clean-up).
std::string NullIndexKey(std::string_view bucket, std::string_view key);

std::string UploadKey(std::string_view bucket, std::string_view key, std::string_view upload_id);
std::string UploadBucketPrefix(std::string_view bucket);
std::string UploadKeyPrefix(std::string_view bucket, std::string_view key);

struct ParsedUploadKey {
  std::string_view bucket;
  std::string_view key;
  std::string_view upload_id;
};
std::optional<ParsedUploadKey> ParseUploadKey(std::string_view encoded);

std::string PartKey(std::string_view upload_id, uint32_t part_number);
std::string PartPrefix(std::string_view upload_id);

std::string DataRefKey(std::string_view data_id);
std::string SysKey(std::string_view name);
std::string ConfigKey(std::string_view kind, std::string_view name);
std::string ConfigKindPrefix(std::string_view kind);  // 'c' kind 0x00

}  // namespace strata::meta::keys
