#include "metadata/records.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>

#include "common/crypto.h"
#include "common/encoding.h"

namespace strata::meta {
namespace {

constexpr uint8_t kFormat = 1;
constexpr char kKindVersion = 'V';
constexpr char kKindBucket = 'B';
constexpr char kKindUpload = 'U';
constexpr char kKindPart = 'P';
constexpr char kKindConfig = 'C';

// Tag numbers are part of the on-disk format: never renumber or reuse one.
namespace pair_tag {
constexpr uint32_t kFirst = 1, kSecond = 2;
}
namespace segment_tag {
constexpr uint32_t kPartNumber = 1, kSize = 2, kEtag = 3, kDataId = 4, kBlockSize = 5,
                   kChecksum = 6;
}
namespace version_tag {
constexpr uint32_t kVersionId = 1, kNullVersion = 2, kDeleteMarker = 3, kMtime = 4, kSize = 5,
                   kEtag = 6, kK = 7, kM = 8, kShardIndex = 9, kInlineData = 10, kStorageClass = 11,
                   kHeader = 12, kChecksum = 13, kChecksumType = 14, kSegment = 15, kExt = 16,
                   kTag = 17, kUpdated = 18, kRetentionMode = 19, kRetainUntil = 20,
                   kLegalHold = 21, kLocation = 22, kLocationKey = 23;
}
namespace bucket_tag {
constexpr uint32_t kName = 1, kCreated = 2, kRegion = 3, kVersioning = 4, kObjectLock = 5,
                   kConfig = 6, kUpdated = 7;
}
namespace upload_tag {
constexpr uint32_t kUploadId = 1, kBucket = 2, kKey = 3, kInitiated = 4, kStorageClass = 5,
                   kHeader = 6, kChecksumAlgorithm = 7, kChecksumType = 8, kK = 9, kM = 10,
                   kExt = 11, kTag = 12, kRetentionMode = 13, kRetainUntil = 14,
                   kLegalHold = 15;
}
namespace config_tag {
constexpr uint32_t kKind = 1, kName = 2, kValue = 3, kUpdated = 4, kDeleted = 5;
}
namespace part_tag {
constexpr uint32_t kPartNumber = 1, kMtime = 2, kShardIndex = 3, kSegment = 4;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Reads LEB128 from [*p, end). Rejects truncation and values past 64 bits.
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*(*p)++);
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

// Appends fields of one body; omits those equal to their default.
class FieldWriter {
 public:
  void Bytes(uint32_t tag, std::string_view s) {
    if (!s.empty()) RawField(tag, s);
  }
  void Uint(uint32_t tag, uint64_t v) {
    if (v != 0) Varint(tag, v);
  }
  void Bool(uint32_t tag, bool v, bool default_value) {
    if (v != default_value) Varint(tag, v ? 1 : 0);
  }
  void Time(uint32_t tag, SysTime t) {
    if (ToMicros(t) != 0) Varint(tag, ZigZag(ToMicros(t)));
  }
  void Pair(uint32_t tag, std::string_view first, std::string_view second) {
    FieldWriter nested;
    nested.Bytes(pair_tag::kFirst, first);
    nested.Bytes(pair_tag::kSecond, second);
    RawField(tag, nested.out_);
  }
  template <typename PairRange>
  void Pairs(uint32_t tag, const PairRange& pairs) {
    for (const auto& [first, second] : pairs) Pair(tag, first, second);
  }
  void Nested(uint32_t tag, const FieldWriter& nested) { RawField(tag, nested.out_); }

  // The complete record: format, kind, body length, body.
  std::string Finish(char kind) const {
    std::string out;
    out.reserve(out_.size() + 12);
    out.push_back(static_cast<char>(kFormat));
    out.push_back(kind);
    PutVarint(&out, out_.size());
    out += out_;
    return out;
  }

 private:
  void Varint(uint32_t tag, uint64_t v) {
    std::string payload;
    PutVarint(&payload, v);
    RawField(tag, payload);
  }
  void RawField(uint32_t tag, std::string_view payload) {
    PutVarint(&out_, tag);
    PutVarint(&out_, payload.size());
    out_ += payload;
  }

  std::string out_;
};

// Walks the fields of one body. Every accessor checks bounds and ranges;
// after a failure `ok()` is false and the caller gives up.
class FieldReader {
 public:
  explicit FieldReader(std::string_view body) : p_(body.data()), end_(body.data() + body.size()) {}

  // Advances to the next field; false at the end or on malformed input.
  bool Next() {
    if (!ok_ || p_ == end_) return false;
    uint64_t tag = 0, len = 0;
    if (!GetVarint(&p_, end_, &tag) || !GetVarint(&p_, end_, &len) ||
        len > static_cast<uint64_t>(end_ - p_) || tag > std::numeric_limits<uint32_t>::max()) {
      ok_ = false;
      return false;
    }
    tag_ = static_cast<uint32_t>(tag);
    payload_ = std::string_view(p_, len);
    p_ += len;
    return true;
  }

  uint32_t tag() const { return tag_; }
  std::string_view payload() const { return payload_; }
  bool ok() const { return ok_; }
  void Fail() { ok_ = false; }

  std::string Bytes() { return std::string(payload_); }
  uint64_t Uint(uint64_t max) {
    uint64_t v = 0;
    const char* p = payload_.data();
    const char* end = p + payload_.size();
    if (!GetVarint(&p, end, &v) || p != end || v > max) ok_ = false;
    return ok_ ? v : 0;
  }
  uint8_t U8() { return static_cast<uint8_t>(Uint(std::numeric_limits<uint8_t>::max())); }
  uint32_t U32() { return static_cast<uint32_t>(Uint(std::numeric_limits<uint32_t>::max())); }
  uint64_t U64() { return Uint(std::numeric_limits<uint64_t>::max()); }
  bool Bool() { return Uint(1) == 1; }
  SysTime Time() { return FromMicros(UnZigZag(U64())); }
  std::pair<std::string, std::string> Pair() {
    std::pair<std::string, std::string> out;
    FieldReader nested(payload_);
    while (nested.Next()) {
      if (nested.tag() == pair_tag::kFirst) out.first = nested.Bytes();
      if (nested.tag() == pair_tag::kSecond) out.second = nested.Bytes();
    }
    if (!nested.ok()) ok_ = false;
    return out;
  }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
  uint32_t tag_ = 0;
  std::string_view payload_;
};

// Checks the record header and returns its body.
std::optional<std::string_view> OpenBody(std::string_view bytes, char kind) {
  if (bytes.size() < 3 || static_cast<uint8_t>(bytes[0]) != kFormat || bytes[1] != kind) {
    return std::nullopt;
  }
  const char* p = bytes.data() + 2;
  const char* end = bytes.data() + bytes.size();
  uint64_t len = 0;
  if (!GetVarint(&p, end, &len) || len != static_cast<uint64_t>(end - p)) return std::nullopt;
  return std::string_view(p, len);
}

Status Corrupt(std::string_view what) {
  return Status(Code::kCorruption, "malformed " + std::string(what) + " record");
}

void WriteSegment(FieldWriter& w, const Segment& s) {
  w.Uint(segment_tag::kPartNumber, s.part_number);
  w.Uint(segment_tag::kSize, s.size);
  w.Bytes(segment_tag::kEtag, s.etag);
  w.Bytes(segment_tag::kDataId, s.data_id);
  w.Uint(segment_tag::kBlockSize, s.block_size);
  w.Pairs(segment_tag::kChecksum, s.checksums);
}

bool ReadSegment(std::string_view body, Segment* s) {
  FieldReader r(body);
  while (r.Next()) {
    switch (r.tag()) {
      case segment_tag::kPartNumber:
        s->part_number = r.U32();
        break;
      case segment_tag::kSize:
        s->size = r.U64();
        break;
      case segment_tag::kEtag:
        s->etag = r.Bytes();
        break;
      case segment_tag::kDataId:
        s->data_id = r.Bytes();
        break;
      case segment_tag::kBlockSize:
        s->block_size = r.U32();
        break;
      case segment_tag::kChecksum:
        s->checksums.push_back(r.Pair());
        break;
      default:
        break;  // a later build's field
    }
  }
  return r.ok();
}

// Process-wide high-water mark of version id times, for strict monotonicity.
std::atomic<uint64_t> last_version_micros{0};

constexpr size_t kVersionTimeBytes = 7;
constexpr uint64_t kMaxVersionMicros = (uint64_t{1} << (8 * kVersionTimeBytes)) - 1;

}  // namespace

std::string Encode(const VersionRecord& r) {
  using namespace version_tag;
  FieldWriter w;
  w.Bytes(kVersionId, r.version_id);
  w.Bool(kNullVersion, r.null_version, true);
  w.Bool(kDeleteMarker, r.delete_marker, false);
  w.Time(kMtime, r.mtime);
  w.Uint(kSize, r.size);
  w.Bytes(kEtag, r.etag);
  w.Uint(kK, r.k);
  w.Uint(kM, r.m);
  w.Uint(kShardIndex, r.shard_index);
  w.Bool(kInlineData, r.inline_data, false);
  w.Bytes(kStorageClass, r.storage_class);
  w.Pairs(kHeader, r.headers);
  w.Pairs(kChecksum, r.checksums);
  w.Bytes(kChecksumType, r.checksum_type);
  for (const Segment& s : r.segments) {
    FieldWriter nested;
    WriteSegment(nested, s);
    w.Nested(kSegment, nested);
  }
  w.Pairs(kExt, r.ext);
  w.Pairs(kTag, r.tags);
  w.Time(kUpdated, r.updated);
  w.Bytes(kRetentionMode, r.retention_mode);
  w.Time(kRetainUntil, r.retain_until);
  w.Bool(kLegalHold, r.legal_hold, false);
  w.Bytes(kLocation, r.location);
  w.Bytes(kLocationKey, r.location_key);
  return w.Finish(kKindVersion);
}

Result<VersionRecord> DecodeVersion(std::string_view bytes) {
  using namespace version_tag;
  auto body = OpenBody(bytes, kKindVersion);
  if (!body) return Corrupt("version");
  VersionRecord out;
  FieldReader r(*body);
  while (r.Next()) {
    switch (r.tag()) {
      case kVersionId:
        out.version_id = r.Bytes();
        break;
      case kNullVersion:
        out.null_version = r.Bool();
        break;
      case kDeleteMarker:
        out.delete_marker = r.Bool();
        break;
      case kMtime:
        out.mtime = r.Time();
        break;
      case kSize:
        out.size = r.U64();
        break;
      case kEtag:
        out.etag = r.Bytes();
        break;
      case kK:
        out.k = r.U8();
        break;
      case kM:
        out.m = r.U8();
        break;
      case kShardIndex:
        out.shard_index = r.U8();
        break;
      case kInlineData:
        out.inline_data = r.Bool();
        break;
      case kStorageClass:
        out.storage_class = r.Bytes();
        break;
      case kHeader:
        out.headers.push_back(r.Pair());
        break;
      case kChecksum:
        out.checksums.push_back(r.Pair());
        break;
      case kChecksumType:
        out.checksum_type = r.Bytes();
        break;
      case kSegment:
        if (!ReadSegment(r.payload(), &out.segments.emplace_back())) r.Fail();
        break;
      case kExt: {
        auto [name, value] = r.Pair();
        out.ext.insert_or_assign(std::move(name), std::move(value));
        break;
      }
      case kTag:
        out.tags.push_back(r.Pair());
        break;
      case kUpdated:
        out.updated = r.Time();
        break;
      case kRetentionMode:
        out.retention_mode = r.Bytes();
        break;
      case kRetainUntil:
        out.retain_until = r.Time();
        break;
      case kLegalHold:
        out.legal_hold = r.Bool();
        break;
      case kLocation:
        out.location = r.Bytes();
        break;
      case kLocationKey:
        out.location_key = r.Bytes();
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return Corrupt("version");
  return out;
}

std::string Encode(const BucketRecord& r) {
  using namespace bucket_tag;
  FieldWriter w;
  w.Bytes(kName, r.name);
  w.Time(kCreated, r.created);
  w.Bytes(kRegion, r.region);
  w.Bytes(kVersioning, r.versioning);
  w.Bool(kObjectLock, r.object_lock, false);
  w.Pairs(kConfig, r.config);
  w.Time(kUpdated, r.updated);
  return w.Finish(kKindBucket);
}

Result<BucketRecord> DecodeBucket(std::string_view bytes) {
  using namespace bucket_tag;
  auto body = OpenBody(bytes, kKindBucket);
  if (!body) return Corrupt("bucket");
  BucketRecord out;
  FieldReader r(*body);
  while (r.Next()) {
    switch (r.tag()) {
      case kName:
        out.name = r.Bytes();
        break;
      case kCreated:
        out.created = r.Time();
        break;
      case kRegion:
        out.region = r.Bytes();
        break;
      case kVersioning:
        out.versioning = r.Bytes();
        break;
      case kObjectLock:
        out.object_lock = r.Bool();
        break;
      case kConfig: {
        auto [name, value] = r.Pair();
        out.config.insert_or_assign(std::move(name), std::move(value));
        break;
      }
      case kUpdated:
        out.updated = r.Time();
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return Corrupt("bucket");
  return out;
}

std::string Encode(const ConfigRecord& r) {
  using namespace config_tag;
  FieldWriter w;
  w.Bytes(kKind, r.kind);
  w.Bytes(kName, r.name);
  w.Bytes(kValue, r.value);
  w.Time(kUpdated, r.updated);
  w.Bool(kDeleted, r.deleted, false);
  return w.Finish(kKindConfig);
}

Result<ConfigRecord> DecodeConfig(std::string_view bytes) {
  using namespace config_tag;
  auto body = OpenBody(bytes, kKindConfig);
  if (!body) return Corrupt("config");
  ConfigRecord out;
  FieldReader r(*body);
  while (r.Next()) {
    switch (r.tag()) {
      case kKind:
        out.kind = r.Bytes();
        break;
      case kName:
        out.name = r.Bytes();
        break;
      case kValue:
        out.value = r.Bytes();
        break;
      case kUpdated:
        out.updated = r.Time();
        break;
      case kDeleted:
        out.deleted = r.Bool();
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return Corrupt("config");
  return out;
}

std::string Encode(const UploadRecord& r) {
  using namespace upload_tag;
  FieldWriter w;
  w.Bytes(kUploadId, r.upload_id);
  w.Bytes(kBucket, r.bucket);
  w.Bytes(kKey, r.key);
  w.Time(kInitiated, r.initiated);
  w.Bytes(kStorageClass, r.storage_class);
  w.Pairs(kHeader, r.headers);
  w.Bytes(kChecksumAlgorithm, r.checksum_algorithm);
  w.Bytes(kChecksumType, r.checksum_type);
  w.Uint(kK, r.k);
  w.Uint(kM, r.m);
  w.Pairs(kExt, r.ext);
  w.Pairs(kTag, r.tags);
  w.Bytes(kRetentionMode, r.retention_mode);
  w.Time(kRetainUntil, r.retain_until);
  w.Bool(kLegalHold, r.legal_hold, false);
  return w.Finish(kKindUpload);
}

Result<UploadRecord> DecodeUpload(std::string_view bytes) {
  using namespace upload_tag;
  auto body = OpenBody(bytes, kKindUpload);
  if (!body) return Corrupt("upload");
  UploadRecord out;
  FieldReader r(*body);
  while (r.Next()) {
    switch (r.tag()) {
      case kUploadId:
        out.upload_id = r.Bytes();
        break;
      case kBucket:
        out.bucket = r.Bytes();
        break;
      case kKey:
        out.key = r.Bytes();
        break;
      case kInitiated:
        out.initiated = r.Time();
        break;
      case kStorageClass:
        out.storage_class = r.Bytes();
        break;
      case kHeader:
        out.headers.push_back(r.Pair());
        break;
      case kChecksumAlgorithm:
        out.checksum_algorithm = r.Bytes();
        break;
      case kChecksumType:
        out.checksum_type = r.Bytes();
        break;
      case kK:
        out.k = r.U8();
        break;
      case kM:
        out.m = r.U8();
        break;
      case kExt: {
        auto [name, value] = r.Pair();
        out.ext.insert_or_assign(std::move(name), std::move(value));
        break;
      }
      case kTag:
        out.tags.push_back(r.Pair());
        break;
      case kRetentionMode:
        out.retention_mode = r.Bytes();
        break;
      case kRetainUntil:
        out.retain_until = r.Time();
        break;
      case kLegalHold:
        out.legal_hold = r.Bool();
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return Corrupt("upload");
  return out;
}

std::string Encode(const PartRecord& r) {
  using namespace part_tag;
  FieldWriter w;
  w.Uint(kPartNumber, r.part_number);
  w.Time(kMtime, r.mtime);
  w.Uint(kShardIndex, r.shard_index);
  FieldWriter nested;
  WriteSegment(nested, r.segment);
  w.Nested(kSegment, nested);
  return w.Finish(kKindPart);
}

Result<PartRecord> DecodePart(std::string_view bytes) {
  using namespace part_tag;
  auto body = OpenBody(bytes, kKindPart);
  if (!body) return Corrupt("part");
  PartRecord out;
  FieldReader r(*body);
  while (r.Next()) {
    switch (r.tag()) {
      case kPartNumber:
        out.part_number = r.U32();
        break;
      case kMtime:
        out.mtime = r.Time();
        break;
      case kShardIndex:
        out.shard_index = r.U8();
        break;
      case kSegment:
        out.segment = Segment{};
        if (!ReadSegment(r.payload(), &out.segment)) r.Fail();
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return Corrupt("part");
  return out;
}

std::string NewVersionId(SysTime now) {
  int64_t now_us = ToMicros(now);
  uint64_t t =
      now_us < 0 ? 0 : std::min<uint64_t>(static_cast<uint64_t>(now_us), kMaxVersionMicros);
  uint64_t last = last_version_micros.load(std::memory_order_relaxed);
  uint64_t chosen;
  do {
    chosen = t > last ? t : std::min(last + 1, kMaxVersionMicros);
  } while (!last_version_micros.compare_exchange_weak(last, chosen, std::memory_order_relaxed));

  std::string id;
  id.reserve(kVersionIdSize);
  for (int i = kVersionTimeBytes - 1; i >= 0; --i) {
    id.push_back(static_cast<char>((chosen >> (8 * i)) & 0xff));
  }
  id += RandomBytes(kVersionIdSize - kVersionTimeBytes);
  return id;
}

SysTime VersionIdTime(std::string_view raw) {
  if (raw.size() != kVersionIdSize) return SysTime{};
  uint64_t t = 0;
  for (size_t i = 0; i < kVersionTimeBytes; ++i) t = (t << 8) | static_cast<unsigned char>(raw[i]);
  return FromMicros(static_cast<int64_t>(t));
}

std::string VersionIdHex(std::string_view raw) { return HexEncode(raw); }

Result<std::string> VersionIdFromHex(std::string_view hex) {
  if (hex.size() != 2 * kVersionIdSize) return Status(Code::kInvalidArgument, "invalid version id");
  auto raw = HexDecode(hex);
  if (!raw) return Status(Code::kInvalidArgument, "invalid version id");
  return std::move(*raw);
}

Status CheckRemovable(const VersionRecord& record, SysTime now, bool bypass_governance) {
  if (record.legal_hold) return Status(Code::kAccessDenied, "the object version is under legal hold");
  if (record.retention_mode.empty() || record.retain_until <= now) return Status();
  if (record.retention_mode == kGovernance && bypass_governance) return Status();
  return Status(Code::kAccessDenied, "the object version is under " + record.retention_mode +
                                         " retention");
}

Status CheckRetentionChange(const VersionRecord& record, std::string_view mode, SysTime until,
                            SysTime now, bool bypass_governance) {
  const bool active = !record.retention_mode.empty() && record.retain_until > now;
  if (!active) return Status();
  const bool keeps_or_tightens =
      !mode.empty() && until >= record.retain_until &&
      (mode == record.retention_mode || mode == kCompliance);
  if (keeps_or_tightens) return Status();
  if (record.retention_mode == kGovernance && bypass_governance) return Status();
  return Status(Code::kAccessDenied, "the object version is under " + record.retention_mode +
                                         " retention");
}

}  // namespace strata::meta
