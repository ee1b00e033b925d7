#include "metadata/keys.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "metadata/records.h"

namespace strata::meta::keys {
namespace {

TEST_CASE("a key's versions sort newest first", "[keys]") {
  std::string older = NewVersionId(FromMicros(1'000'000));
  std::string newer = NewVersionId(FromMicros(2'000'000));
  REQUIRE(older < newer);
  CHECK(VersionKey("b", "k", newer) < VersionKey("b", "k", older));
  // Versions of "k" sort before those of "k" + anything, and after
  // VersionKeyPast they are all behind.
  CHECK(VersionKey("b", "k", older) < VersionKey("b", "k\x01", newer));
  CHECK(VersionKey("b", "k", older) < VersionKeyPast("b", "k"));
  CHECK(VersionKeyPast("b", "k") < VersionKey("b", "k\x01", newer));
  CHECK(VersionKeyPast("b", "k") < VersionKey("b", "k/", newer));
}

TEST_CASE("keys sort within a bucket as their plain bytes do", "[keys]") {
  std::string id = NewVersionId(FromMicros(5));
  std::vector<std::string> plain = {"a", "a/b", "ab", "a\x01", "", "b", "a/b/c", "\xff", "a.b"};
  std::vector<std::string> encoded;
  for (const auto& k : plain) encoded.push_back(VersionKey("bkt", k, id));
  std::sort(plain.begin(), plain.end());
  std::sort(encoded.begin(), encoded.end());
  for (size_t i = 0; i < plain.size(); ++i) {
    auto parsed = ParseVersionKey(encoded[i]);
    REQUIRE(parsed);
    CHECK(parsed->key == plain[i]);
    CHECK(parsed->bucket == "bkt");
    CHECK(parsed->version_id == id);
  }
  CHECK(VersionKey("b", "a", id) < VersionKey("b", "a/b", id));
  CHECK(VersionKey("b", "a/b", id) < VersionKey("b", "ab", id));
}

TEST_CASE("buckets are separate ranges", "[keys]") {
  std::string id = NewVersionId(FromMicros(5));
  std::string a_prefix = VersionBucketPrefix("a");
  std::string a_end = PrefixSuccessor(a_prefix);
  for (std::string k : {"", "x", "\xff\xff"}) {
    std::string in_a = VersionKey("a", k, id);
    std::string in_ab = VersionKey("ab", k, id);
    CHECK(in_a.starts_with(a_prefix));
    CHECK_FALSE(in_ab.starts_with(a_prefix));
    CHECK(in_a < a_end);
    CHECK(in_ab >= a_end);
  }
  CHECK(UploadKey("a", "k", "u").starts_with(UploadBucketPrefix("a")));
  CHECK_FALSE(UploadKey("ab", "k", "u").starts_with(UploadBucketPrefix("a")));
  // Each space is its own range.
  CHECK(BucketKey("zzz") < VersionKey("a", "", id));
  CHECK(VersionKey("a", "", id, kInline)[0] == 'i');
  CHECK(BucketKey("\xff") < DataRefKey(""));
}

TEST_CASE("part keys sort by number", "[keys]") {
  CHECK(PartKey("u", 1) < PartKey("u", 2));
  CHECK(PartKey("u", 255) < PartKey("u", 256));
  CHECK(PartKey("u", 9999) < PartKey("u", 10000));
  CHECK(PartKey("u", 10000).starts_with(PartPrefix("u")));
  CHECK_FALSE(PartKey("uu", 1).starts_with(PartPrefix("u")));
}

TEST_CASE("parsing rejects malformed keys", "[keys]") {
  CHECK_FALSE(ParseVersionKey(""));
  CHECK_FALSE(ParseVersionKey("v"));
  CHECK_FALSE(ParseVersionKey(std::string("vb\0k", 4)));
  CHECK_FALSE(ParseVersionKey(std::string("vb\0k\0", 5)));   // no version id
  CHECK_FALSE(ParseVersionKey(std::string("ub\0k\0x", 7)));  // wrong space
  CHECK(ParseVersionKey(std::string("ub\0k\0x", 7), 'u'));
  // A version id holding bytes that invert to 0x00 parses back whole.
  std::string id("\xff\x00\xff", 3);
  const std::string encoded = VersionKey("b", "k", id);
  auto parsed = ParseVersionKey(encoded);
  REQUIRE(parsed);
  CHECK(parsed->version_id == id);

  const std::string upload_key = UploadKey("b", "dir/k", "up1");  // parsed views point into it
  auto up = ParseUploadKey(upload_key);
  REQUIRE(up);
  CHECK(up->bucket == "b");
  CHECK(up->key == "dir/k");
  CHECK(up->upload_id == "up1");
  CHECK_FALSE(ParseUploadKey(std::string("ub\0k\0", 5)));
  CHECK_FALSE(ParseUploadKey(std::string("ub\0k\0a\0b", 8)));
  CHECK_FALSE(ParseUploadKey("u"));
}

TEST_CASE("prefix successor", "[keys]") {
  CHECK(PrefixSuccessor("ab") == "ac");
  CHECK(PrefixSuccessor(std::string("a\xff", 2)) == "b");
  CHECK(PrefixSuccessor("\xff\xff").empty());
  CHECK(PrefixSuccessor("").empty());
  CHECK(HasNul(std::string("a\0", 2)));
  CHECK_FALSE(HasNul("a"));
}

}  // namespace
}  // namespace strata::meta::keys
