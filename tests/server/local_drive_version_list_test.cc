// LocalDrive::ListVersions: every version in (key, newest first) order, pages
// that resume mid-key and after whole keys or rolled-up prefixes.
#include <catch2/catch.hpp>

#include "tests/server/drive_test_util.h"

namespace strata::server {
namespace {

using namespace testing;

using Entry = std::pair<std::string, std::string>;  // key or "P:prefix", version id

std::vector<Entry> Entries(const ListPage& page) {
  std::vector<Entry> out;
  for (const auto& e : page.entries) {
    out.emplace_back(e.is_prefix ? "P:" + e.key : e.key, e.record.version_id);
  }
  return out;
}

TEST_CASE("LocalDrive: version pages resume anywhere and equal one big page",
          "[local_drive][list_versions]") {
  DriveFixture f;
  std::vector<Entry> expected;
  for (const char* key : {"a", "d/1", "d/2", "m", "z"}) {
    std::vector<meta::VersionRecord> versions;
    const int n = std::string(key) == "m" ? 6 : 2;
    for (int i = 0; i < n; ++i) {
      versions.push_back(i == n - 1 && std::string(key) == "z" ? MakeDeleteMarker()
                                                               : MakeVersion("", 1));
      REQUIRE(f.Run(f.drive().Apply(PutVersionTxn(key, versions.back(), "s"))).ok());
    }
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      expected.emplace_back(key, it->version_id);
    }
  }
  auto whole = f.Run(f.drive().ListVersions(List("")));
  REQUIRE(whole.ok());
  CHECK_FALSE(whole->truncated);
  CHECK(Entries(*whole) == expected);  // markers included

  for (size_t page : {1, 2, 3, 4}) {
    std::vector<Entry> got;
    ListRequest req = List("", "", "", page);
    for (int guard = 0; guard < 100; ++guard) {
      auto r = f.Run(f.drive().ListVersions(req));
      REQUIRE(r.ok());
      REQUIRE(r->entries.size() <= page);
      auto e = Entries(*r);
      got.insert(got.end(), e.begin(), e.end());
      if (!r->truncated) break;
      req.start_after = r->entries.back().key;
      req.start_version = r->entries.back().record.version_id;
    }
    CHECK(got == expected);
  }
  // Without a version, start_after skips every version of that key.
  auto after_m = f.Run(f.drive().ListVersions(List("", "", "m")));
  REQUIRE(after_m.ok());
  REQUIRE(after_m->entries.size() == 2);
  CHECK(after_m->entries[0].key == "z");
  // Delimiters roll a prefix up once, and resuming after it skips it.
  auto rolled = f.Run(f.drive().ListVersions(List("", "/")));
  REQUIRE(rolled.ok());
  std::vector<std::string> keys;
  for (const auto& e : rolled->entries) keys.push_back(e.is_prefix ? "P:" + e.key : e.key);
  CHECK(keys == std::vector<std::string>{"a", "a", "P:d/", "m", "m", "m", "m", "m", "m", "z",
                                         "z"});
  auto past = f.Run(f.drive().ListVersions(List("", "/", "d/")));
  REQUIRE(past.ok());
  CHECK(past->entries.front().key == "m");
  auto under = f.Run(f.drive().ListVersions(List("d/")));
  REQUIRE(under.ok());
  CHECK(under->entries.size() == 4);
}

TEST_CASE("LocalDrive: GetVersion and GetNullVersions are point reads",
          "[local_drive][list_versions]") {
  DriveFixture f;
  meta::VersionRecord null_one = MakeVersion("", 1);
  meta::VersionRecord named = MakeVersion("", 1);
  named.null_version = false;
  REQUIRE(f.Run(f.drive().Apply(PutVersionTxn("k", null_one, "s"))).ok());
  REQUIRE(f.Run(f.drive().Apply(PutVersionTxn("k", named, "s"))).ok());
  CHECK(f.Run(f.drive().GetVersion(kBucket, "k", named.version_id))->version_id ==
        named.version_id);
  CHECK(f.Run(f.drive().GetVersion(kBucket, "k", "absent")).status().code() == Code::kNotFound);
  auto nulls = f.Run(f.drive().GetNullVersions(kBucket, "k"));
  REQUIRE(nulls.ok());
  REQUIRE(nulls->size() == 1);
  CHECK(nulls->front().version_id == null_one.version_id);
  auto newest = f.Run(f.drive().GetVersions(kBucket, "k", 1));
  REQUIRE(newest.ok());
  REQUIRE(newest->size() == 1);
  CHECK(newest->front().version_id == named.version_id);
}

}  // namespace
}  // namespace strata::server
