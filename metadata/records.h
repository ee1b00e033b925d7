// The records one drive keeps in its metadata index, and their binary form.
//
// Records are plain values. Each has an Encode/Decode pair; the encoded form
// is what a RocksDB value holds, so it must stay readable by every later
// build and must tolerate fields that a newer build adds:
//
//   +--------+------+----------------+------------------------------------+
//   | format | kind | body length    | body: fields, any order            |
//   | 0x01   | 'V'  | varint (bytes) | [tag varint][len varint][len bytes] |
//   +--------+------+----------------+------------------------------------+
//
//   kind: 'V' VersionRecord, 'B' BucketRecord, 'U' UploadRecord, 'P' PartRecord,
//         'C' ConfigRecord.
//   body length must equal the bytes that follow, so truncation or trailing
//   garbage is detected even at a field boundary.
//   Field payloads: strings are raw bytes; integers and booleans are one
//   LEB128 varint filling the payload exactly; times are zigzag varint
//   microseconds since the epoch; a pair (header, checksum, ext entry) or a
//   Segment is a nested body of fields (no header of its own). Repeated fields
//   repeat the tag in order. A field equal to its default is omitted.
//   Unknown tags are skipped, so a later build may add fields (tags,
//   retention, legal hold) without a format change; a build that rewrites a
//   record drops the fields it does not know. Tag numbers never get reused.
//
// Worked example: a BucketRecord{name = "ab", versioning = "Enabled"}:
//   01 'B' 0d | 01 02 'a' 'b' | 04 07 'E' 'n' 'a' 'b' 'l' 'e' 'd'
//
// Decoding never reads past its input: truncated, overlong, out-of-range or
// otherwise malformed input gives kCorruption. Bit flips inside a string
// payload are not detected here; RocksDB checksums its blocks and WAL.
//
// Thread safety: pure functions over values; NewVersionId is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace strata::meta {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// One erasure-coded run of object bytes: the whole object, or one multipart part.
struct Segment {
  uint32_t part_number = 0;  // 0 for a simple PUT
  uint64_t size = 0;         // object bytes in this segment
  std::string etag;          // hex MD5 of the segment (part ETag)
  std::string data_id;       // shard file name on the drive; empty when stored inline
  uint32_t block_size = 0;   // erasure layout block size
  StringPairs checksums;     // e.g. {"CRC32C", base64} of this part

  friend bool operator==(const Segment&, const Segment&) = default;
};

struct VersionRecord {
  std::string version_id;    // internal id: 16 raw bytes, see NewVersionId
  bool null_version = true;  // the S3 version id is "null"
  bool delete_marker = false;
  SysTime mtime{};
  uint64_t size = 0;
  std::string etag;           // without quotes: hex MD5, or "hex-N" for multipart
  uint8_t k = 0, m = 0;       // erasure code of this object
  uint8_t shard_index = 0;    // which shard (0..k+m-1) THIS drive holds
  bool inline_data = false;   // shard bytes stored under the 'i' key
  std::string storage_class;  // "STANDARD"
  StringPairs headers;        // system + user metadata as sent (content-type, x-amz-meta-*)
  StringPairs checksums;      // object-level, e.g. {"CRC32", base64}
  std::string checksum_type;  // "FULL_OBJECT" / "COMPOSITE" / empty
  std::vector<Segment> segments;
  std::map<std::string, std::string> ext;  // extension fields for later issues
  StringPairs tags;                        // object tags, in the order given
  // Last in-place change (tags...); the epoch when never changed. Set by the
  // gateway, the same on every drive: readers prefer the latest.
  SysTime updated{};
  // Object lock (WORM): enforced by the drive's committer, see CheckRemovable.
  std::string retention_mode;  // "", "GOVERNANCE" or "COMPLIANCE"
  SysTime retain_until{};
  bool legal_hold = false;
  // Where the bytes are (ARCHITECTURE.md, "Where a version's data lives"):
  // empty = on this record's own drives (segments / inline shard); else a
  // data store ("pool:cold", "tier:archive") and the object's key there.
  std::string location;
  std::string location_key;

  friend bool operator==(const VersionRecord&, const VersionRecord&) = default;
};

struct BucketRecord {
  std::string name;
  SysTime created{};
  std::string region;
  std::string versioning;  // "", "Enabled", "Suspended"
  bool object_lock = false;
  std::map<std::string, std::string> config;  // e.g. "tagging" -> encoded tag set
  SysTime updated{};  // last change of versioning or config; readers prefer the latest

  friend bool operator==(const BucketRecord&, const BucketRecord&) = default;
};

struct UploadRecord {
  std::string upload_id;
  std::string bucket, key;
  SysTime initiated{};
  std::string storage_class;
  StringPairs headers;
  std::string checksum_algorithm;
  std::string checksum_type;
  uint8_t k = 0, m = 0;
  std::map<std::string, std::string> ext;
  StringPairs tags;  // given to the object on completion
  std::string retention_mode;  // object lock given to the object on completion
  SysTime retain_until{};
  bool legal_hold = false;

  friend bool operator==(const UploadRecord&, const UploadRecord&) = default;
};

struct PartRecord {
  uint32_t part_number = 0;
  SysTime mtime{};
  uint8_t shard_index = 0;
  Segment segment;

  friend bool operator==(const PartRecord&, const PartRecord&) = default;
};

// A cluster-wide configuration entry (a user, a tier...), kept on every
// drive like bucket records. `value` is the owner's encoding (JSON); the
// drive only compares `updated` (the later change wins) and keeps removals
// as tombstones (`deleted`), so a drive that missed a removal cannot undo it.
struct ConfigRecord {
  std::string kind;  // "user", "tier": no 0x00
  std::string name;  // no 0x00
  std::string value;
  SysTime updated{};
  bool deleted = false;

  friend bool operator==(const ConfigRecord&, const ConfigRecord&) = default;
};

std::string Encode(const VersionRecord& record);
std::string Encode(const BucketRecord& record);
std::string Encode(const ConfigRecord& record);
std::string Encode(const UploadRecord& record);
std::string Encode(const PartRecord& record);

// kCorruption on malformed input, or when the record is of another kind.
Result<VersionRecord> DecodeVersion(std::string_view bytes);
Result<BucketRecord> DecodeBucket(std::string_view bytes);
Result<UploadRecord> DecodeUpload(std::string_view bytes);
Result<PartRecord> DecodePart(std::string_view bytes);
Result<ConfigRecord> DecodeConfig(std::string_view bytes);

// Object lock rules, judged at `now`.
inline constexpr std::string_view kGovernance = "GOVERNANCE";
inline constexpr std::string_view kCompliance = "COMPLIANCE";
// OK when the version may be removed; kAccessDenied while it is under legal
// hold, under COMPLIANCE retention, or under GOVERNANCE retention without
// bypass_governance.
Status CheckRemovable(const VersionRecord& record, SysTime now, bool bypass_governance);
// OK when `record`'s retention may become (mode, until) (mode "" removes
// it): extending and GOVERNANCE -> COMPLIANCE always; shortening, removing
// or COMPLIANCE -> GOVERNANCE of an active retention only for GOVERNANCE with
// bypass_governance. kAccessDenied otherwise.
Status CheckRetentionChange(const VersionRecord& record, std::string_view mode, SysTime until,
                            SysTime now, bool bypass_governance);

// Version ids: 16 raw bytes that sort by creation time.
//
//   [ 7 bytes: big-endian microseconds since the epoch ][ 9 bytes: random ]
//
// ARCHITECTURE.md sketches 48 time bits + 80 random bits, but 2^48 us is only
// 8.9 years, so the time takes 56 bits (good until the year 4253) and 72
// random bits remain. Within one process ids are strictly increasing: when
// `now` is not past the previous id's time, the previous time + 1 us is used,
// so two writes in the same microsecond (or a clock step back) still order.
inline constexpr size_t kVersionIdSize = 16;
std::string NewVersionId(SysTime now);
// The time part of a raw version id (the epoch for a malformed id).
SysTime VersionIdTime(std::string_view raw);
// The S3-visible form: 32 lower-case hex digits.
std::string VersionIdHex(std::string_view raw);
// kInvalidArgument unless `hex` is 32 hex digits. "null" is the caller's job.
Result<std::string> VersionIdFromHex(std::string_view hex);

}  // namespace strata::meta
