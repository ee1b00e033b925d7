#include "metadata/keys.h"

#include <cassert>

#include "common/encoding.h"

namespace strata::meta::keys {
namespace {

// space a 0x00 b 0x00, with room for `extra` more bytes.
std::string Compose(char space, std::string_view a, std::string_view b, size_t extra) {
  assert(!HasNul(a) && !HasNul(b));
  std::string out;
  out.reserve(1 + a.size() + 1 + b.size() + 1 + extra);
  out.push_back(space);
  out += a;
  out.push_back('\0');
  out += b;
  out.push_back('\0');
  return out;
}

std::string Simple(char space, std::string_view name) {
  std::string out;
  out.reserve(1 + name.size());
  out.push_back(space);
  out += name;
  return out;
}

// Splits "bucket 0x00 key 0x00 rest" after the space byte.
bool SplitThree(std::string_view encoded, char space, std::string_view* bucket,
                std::string_view* key, std::string_view* rest) {
  if (encoded.empty() || encoded[0] != space) return false;
  std::string_view s = encoded.substr(1);
  size_t a = s.find('\0');
  if (a == std::string_view::npos) return false;
  size_t b = s.find('\0', a + 1);
  if (b == std::string_view::npos) return false;
  *bucket = s.substr(0, a);
  *key = s.substr(a + 1, b - a - 1);
  *rest = s.substr(b + 1);
  return true;
}

}  // namespace

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s.back());
    if (c != 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

std::string BucketKey(std::string_view bucket) {
  assert(!HasNul(bucket));
  return Simple(kBucket, bucket);
}

std::string BucketSpace() { return std::string(1, kBucket); }

std::string VersionKey(std::string_view bucket, std::string_view key, std::string_view version_id,
                       char space) {
  std::string out = Compose(space, bucket, key, version_id.size());
  for (char c : version_id) out.push_back(static_cast<char>(~static_cast<unsigned char>(c)));
  return out;
}

std::string VersionBucketPrefix(std::string_view bucket) {
  assert(!HasNul(bucket));
  std::string out = Simple(kVersion, bucket);
  out.push_back('\0');
  return out;
}

std::string VersionKeyPrefix(std::string_view bucket, std::string_view key) {
  return Compose(kVersion, bucket, key, 0);
}

std::string NullIndexKey(std::string_view bucket, std::string_view key) {
  return Compose(kNullIndex, bucket, key, 0);
}

std::string VersionKeyPast(std::string_view bucket, std::string_view key) {
  std::string out = Compose(kVersion, bucket, key, 0);
  out.back() = '\x01';
  return out;
}

std::optional<ParsedVersionKey> ParseVersionKey(std::string_view encoded, char space) {
  ParsedVersionKey out;
  std::string_view inverted;
  if (!SplitThree(encoded, space, &out.bucket, &out.key, &inverted) || inverted.empty()) {
    return std::nullopt;
  }
  out.version_id.reserve(inverted.size());
  for (char c : inverted)
    out.version_id.push_back(static_cast<char>(~static_cast<unsigned char>(c)));
  return out;
}

std::string UploadKey(std::string_view bucket, std::string_view key, std::string_view upload_id) {
  assert(!HasNul(upload_id));
  std::string out = Compose(kUpload, bucket, key, upload_id.size());
  out += upload_id;
  return out;
}

std::string UploadBucketPrefix(std::string_view bucket) {
  assert(!HasNul(bucket));
  std::string out = Simple(kUpload, bucket);
  out.push_back('\0');
  return out;
}

std::string UploadKeyPrefix(std::string_view bucket, std::string_view key) {
  return Compose(kUpload, bucket, key, 0);
}

std::optional<ParsedUploadKey> ParseUploadKey(std::string_view encoded) {
  ParsedUploadKey out;
  if (!SplitThree(encoded, kUpload, &out.bucket, &out.key, &out.upload_id) ||
      out.upload_id.empty() || HasNul(out.upload_id)) {
    return std::nullopt;
  }
  return out;
}

std::string PartKey(std::string_view upload_id, uint32_t part_number) {
  std::string out = PartPrefix(upload_id);
  PutBigEndian32(&out, part_number);
  return out;
}

std::string PartPrefix(std::string_view upload_id) {
  assert(!HasNul(upload_id));
  std::string out = Simple(kPart, upload_id);
  out.push_back('\0');
  return out;
}

std::string DataRefKey(std::string_view data_id) { return Simple(kDataRef, data_id); }

std::string SysKey(std::string_view name) { return Simple(kSys, name); }

std::string ConfigKindPrefix(std::string_view kind) {
  std::string out(1, kConfig);
  out.append(kind).push_back('\0');
  return out;
}

std::string ConfigKey(std::string_view kind, std::string_view name) {
  return ConfigKindPrefix(kind).append(name);
}

}  // namespace strata::meta::keys
