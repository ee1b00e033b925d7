#include "metadata/records.h"

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>

namespace strata::meta {
namespace {

Segment FullSegment(uint32_t part) {
  Segment s;
  s.part_number = part;
  s.size = (uint64_t{1} << 40) + part;
  s.etag = "9b2cf535f27731c974343645a3985328";
  s.data_id = "00112233445566778899aabbccddeeff";
  s.block_size = 262144;
  s.checksums = {{"CRC32C", "yZRlqg=="}, {"SHA256", "abc="}};
  return s;
}

VersionRecord FullVersion() {
  VersionRecord r;
  r.version_id = NewVersionId(FromMicros(1'700'000'000'000'000));
  r.null_version = false;
  r.delete_marker = true;
  r.mtime = FromMicros(1'700'000'000'123'456);
  r.size = ~uint64_t{0};
  r.etag = "d41d8cd98f00b204e9800998ecf8427e-3";
  r.k = 255;
  r.m = 2;
  r.shard_index = 5;
  r.inline_data = true;
  r.storage_class = "STANDARD";
  r.headers = {{"content-type", "text/plain"},
               {"x-amz-meta-a", ""},
               {"", "empty name"},
               {"x-amz-meta-bin", std::string("\0\xff\x01", 3)}};
  r.checksums = {{"CRC32", "AAAAAA=="}};
  r.checksum_type = "COMPOSITE";
  r.segments = {FullSegment(1), FullSegment(2), Segment{}};
  r.ext = {{"tags", "a=b"}, {"retention", std::string(1000, 'x')}};
  return r;
}

BucketRecord FullBucket() {
  return BucketRecord{"my-bucket", FromMicros(-5), "eu-west-1",
                      "Suspended", true,           {{"tagging", "<Tagging/>"}, {"policy", "{}"}}};
}

UploadRecord FullUpload() {
  UploadRecord u;
  u.upload_id = "upload-1";
  u.bucket = "b";
  u.key = "dir/file.bin";
  u.initiated = FromMicros(42);
  u.storage_class = "COLD";
  u.headers = {{"content-type", "application/octet-stream"}};
  u.checksum_algorithm = "CRC32C";
  u.checksum_type = "FULL_OBJECT";
  u.k = 8;
  u.m = 3;
  u.ext = {{"x", "y"}};
  return u;
}

PartRecord FullPart() { return PartRecord{10000, FromMicros(7), 3, FullSegment(10000)}; }

// Appends one field with an arbitrary payload to an encoded record.
std::string AppendField(std::string encoded, uint8_t tag, std::string_view payload) {
  // Records in these tests have bodies < 128 bytes, so the length is byte 2.
  REQUIRE(static_cast<uint8_t>(encoded[2]) < 0x80);
  std::string field;
  field.push_back(static_cast<char>(tag));
  field.push_back(static_cast<char>(payload.size()));
  field += payload;
  encoded[2] = static_cast<char>(static_cast<uint8_t>(encoded[2]) + field.size());
  REQUIRE(static_cast<uint8_t>(encoded[2]) < 0x80);
  return encoded + field;
}

TEST_CASE("records round-trip every field", "[records]") {
  VersionRecord v = FullVersion();
  auto v2 = DecodeVersion(Encode(v));
  REQUIRE(v2.ok());
  CHECK(*v2 == v);

  BucketRecord b = FullBucket();
  auto b2 = DecodeBucket(Encode(b));
  REQUIRE(b2.ok());
  CHECK(*b2 == b);

  UploadRecord u = FullUpload();
  auto u2 = DecodeUpload(Encode(u));
  REQUIRE(u2.ok());
  CHECK(*u2 == u);

  PartRecord p = FullPart();
  auto p2 = DecodePart(Encode(p));
  REQUIRE(p2.ok());
  CHECK(*p2 == p);
}

TEST_CASE("default records round-trip, null_version default true", "[records]") {
  VersionRecord v;
  auto v2 = DecodeVersion(Encode(v));
  REQUIRE(v2.ok());
  CHECK(v2->null_version);
  CHECK(*v2 == v);
  v.null_version = false;
  CHECK_FALSE(DecodeVersion(Encode(v))->null_version);
  CHECK(DecodeBucket(Encode(BucketRecord{})).ok());
  CHECK(DecodeUpload(Encode(UploadRecord{})).ok());
  CHECK(DecodePart(Encode(PartRecord{})).ok());
}

TEST_CASE("bucket encoding matches the documented example", "[records]") {
  BucketRecord b;
  b.name = "ab";
  b.versioning = "Enabled";
  std::string expected(
      "\x01"
      "B"
      "\x0d"
      "\x01\x02"
      "ab"
      "\x04\x07"
      "Enabled",
      16);
  CHECK(Encode(b) == expected);
}

TEST_CASE("a record of one kind does not decode as another", "[records]") {
  std::string v = Encode(FullVersion());
  CHECK(DecodeBucket(v).status().code() == Code::kCorruption);
  CHECK(DecodeUpload(v).status().code() == Code::kCorruption);
  CHECK(DecodePart(v).status().code() == Code::kCorruption);
  CHECK(DecodeVersion(Encode(FullBucket())).status().code() == Code::kCorruption);
}

TEST_CASE("unknown tags are skipped", "[records]") {
  BucketRecord b{"bk", FromMicros(1), "r", "", false, {}};
  std::string enc = AppendField(Encode(b), 99, "future field");
  enc = AppendField(enc, 100, "");
  auto got = DecodeBucket(enc);
  REQUIRE(got.ok());
  CHECK(*got == b);

  // A multi-byte tag number far beyond today's.
  std::string body = Encode(b).substr(3);
  body += std::string("\xff\xff\x03\x02zz", 6);
  std::string rec = std::string(
                        "\x01"
                        "B",
                        2) +
                    static_cast<char>(body.size()) + body;
  auto got2 = DecodeBucket(rec);
  REQUIRE(got2.ok());
  CHECK(*got2 == b);
}

TEST_CASE("later fields of the same tag win; repeated fields accumulate", "[records]") {
  BucketRecord b{"first", {}, "", "", false, {}};
  std::string enc = AppendField(Encode(b), 1, "second");
  enc = AppendField(enc, 6, std::string("\x01\x01k\x02\x01v", 6));
  auto got = DecodeBucket(enc);
  REQUIRE(got.ok());
  CHECK(got->name == "second");
  CHECK(got->config.at("k") == "v");
}

TEST_CASE("every truncation and every trailing byte is corruption", "[records]") {
  const std::string encoded[] = {Encode(FullVersion()), Encode(FullBucket()), Encode(FullUpload()),
                                 Encode(FullPart())};
  auto decode = [](size_t kind, std::string_view s) -> Status {
    switch (kind) {
      case 0:
        return DecodeVersion(s).status();
      case 1:
        return DecodeBucket(s).status();
      case 2:
        return DecodeUpload(s).status();
      default:
        return DecodePart(s).status();
    }
  };
  for (size_t kind = 0; kind < 4; ++kind) {
    const std::string& e = encoded[kind];
    for (size_t len = 0; len < e.size(); ++len) {
      // A copy of exactly `len` bytes, so ASan sees any over-read.
      std::string cut = e.substr(0, len);
      INFO("kind " << kind << " len " << len);
      CHECK(decode(kind, cut).code() == Code::kCorruption);
    }
    CHECK(decode(kind, e + '\0').code() == Code::kCorruption);
    CHECK(decode(kind, e).ok());
  }
}

TEST_CASE("malformed field payloads are corruption", "[records]") {
  std::string base = Encode(VersionRecord{});
  auto bad = [&](uint8_t tag, std::string payload) {
    return DecodeVersion(AppendField(base, tag, payload)).status().code();
  };
  CHECK(bad(2, "\x02") == Code::kCorruption);      // bool of 2
  CHECK(bad(7, "\x80\x02") == Code::kCorruption);  // k = 256
  CHECK(bad(9, "") == Code::kCorruption);          // empty integer
  CHECK(bad(5, "\x01\x01") == Code::kCorruption);  // trailing byte in an integer
  CHECK(bad(5, "\x80") == Code::kCorruption);      // unterminated varint
  CHECK(bad(5, std::string(10, '\xff') + "\x01") == Code::kCorruption);  // > 64 bits
  CHECK(bad(5, std::string(9, '\xff') + "\x02") == Code::kCorruption);   // bit 64 set
  CHECK(bad(12,
            "\x01\x05"
            "ab") == Code::kCorruption);                                // pair field overruns
  CHECK(bad(15, "\x02\x01") == Code::kCorruption);                      // segment field truncated
  CHECK(bad(15, "\x01\x05\xff\xff\xff\xff\x10") == Code::kCorruption);  // part_number > u32
  CHECK(bad(5, std::string(9, '\xff') + "\x01") == Code::kOk);          // exactly 2^64-1

  std::string wrong_format = base;
  wrong_format[0] = 2;
  CHECK(DecodeVersion(wrong_format).status().code() == Code::kCorruption);
  // A field length past the end of the body.
  std::string overlong("\x01V\x02\x01\x05", 5);
  CHECK(DecodeVersion(overlong).status().code() == Code::kCorruption);
  // A body length varint that never ends.
  CHECK(DecodeVersion(std::string("\x01V\x80\x80", 4)).status().code() == Code::kCorruption);
}

TEST_CASE("random and mutated input never crashes", "[records]") {
  std::mt19937 rng(12345);
  const std::string valid = Encode(FullVersion());
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      size_t n = rng() % 64;
      for (size_t j = 0; j < n; ++j) s.push_back(static_cast<char>(rng()));
      if (i % 4 == 0 && s.size() >= 3) {  // a plausible header, random body
        s[0] = 1;
        s[1] = 'V';
        s[2] = static_cast<char>(s.size() - 3);
      }
    } else {
      s = valid;
      int flips = 1 + rng() % 4;
      for (int f = 0; f < flips; ++f) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
    }
    auto v = DecodeVersion(s);
    if (!v.ok()) CHECK(v.status().code() == Code::kCorruption);
    (void)DecodeBucket(s);
    (void)DecodeUpload(s);
    (void)DecodePart(s);
  }
}

TEST_CASE("version ids sort by time, are unique and strictly increase", "[records]") {
  // Past every time other tests use: ids are monotonic process-wide.
  SysTime t = FromMicros(int64_t{1} << 54);
  std::string a = NewVersionId(t);
  std::string b = NewVersionId(t + std::chrono::microseconds(1'000'000));
  REQUIRE(a.size() == kVersionIdSize);
  CHECK(a < b);
  CHECK(VersionIdTime(a) == t);

  // Same instant, and a clock stepping back: still strictly increasing.
  std::set<std::string> seen;
  std::string prev = b;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewVersionId(t);
    CHECK(id > prev);
    prev = id;
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  // Before the epoch: clamped, not wrapped, and still after the others.
  std::string early = NewVersionId(FromMicros(-1));
  CHECK(early.size() == kVersionIdSize);
  CHECK(early > prev);
}

TEST_CASE("version id hex form", "[records]") {
  std::string raw = NewVersionId(FromMicros(1));
  std::string hex = VersionIdHex(raw);
  CHECK(hex.size() == 32);
  auto back = VersionIdFromHex(hex);
  REQUIRE(back.ok());
  CHECK(*back == raw);
  CHECK(VersionIdFromHex("null").status().code() == Code::kInvalidArgument);
  CHECK(VersionIdFromHex(std::string(31, 'a')).status().code() == Code::kInvalidArgument);
  CHECK(VersionIdFromHex(std::string(32, 'g')).status().code() == Code::kInvalidArgument);
  CHECK(VersionIdFromHex(std::string(34, 'a')).status().code() == Code::kInvalidArgument);
  CHECK(VersionIdTime("short") == SysTime{});
}

}  // namespace
}  // namespace strata::meta
