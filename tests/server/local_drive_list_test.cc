// Contract tests of Drive::ListLatest over the real LocalDrive: prefix,
// delimiter roll-up, start_after, max_entries/truncated, paging and delete
// markers. See local_drive_test.cc for the setup.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/server/drive_test_util.h"

namespace strata::server {
namespace {

using namespace testing;  // NOLINT: test helpers only
class ListingFixture : public DriveFixture {
 public:
  // Puts one data-less version per key in one txn.
  void PutKeys(const std::vector<std::string>& keys) {
    DriveTxn txn;
    for (const auto& k : keys) txn.put_versions.push_back({kBucket, k, MakeVersion("", 1), "x"});
    REQUIRE(Apply(std::move(txn)).ok());
  }
  ListPage ListPageOf(const ListRequest& req) {
    auto r = Run(drive().ListLatest(req));
    REQUIRE(r.ok());
    return std::move(*r);
  }
};

TEST_CASE("LocalDrive: ListLatest by prefix and delimiter", "[local_drive][list]") {
  ListingFixture f;
  f.PutKeys({"a", "b/1", "b/2", "b/c/3", "b/c/4", "b0", "c", "d/x/y", "dd", "é/1", "\xff"});
  // Another bucket whose name extends this one's must not leak in.
  DriveTxn other;
  other.put_versions.push_back({"bkt2", "b/9", MakeVersion("", 1), "x"});
  other.put_versions.push_back({"bk", "b/8", MakeVersion("", 1), "x"});
  REQUIRE(f.Apply(std::move(other)).ok());
  using V = std::vector<std::string>;

  CHECK(Keys(f.ListPageOf(List(""))) ==
        V{"a", "b/1", "b/2", "b/c/3", "b/c/4", "b0", "c", "d/x/y", "dd", "é/1", "\xff"});
  CHECK(Keys(f.ListPageOf(List("b/"))) == V{"b/1", "b/2", "b/c/3", "b/c/4"});
  CHECK(Keys(f.ListPageOf(List("b"))) == V{"b/1", "b/2", "b/c/3", "b/c/4", "b0"});
  CHECK(Keys(f.ListPageOf(List("zzz"))).empty());
  CHECK(Keys(f.ListPageOf(List("b/c/4/longer"))).empty());

  // Each common prefix once, in key order among the keys.
  CHECK(Keys(f.ListPageOf(List("", "/"))) ==
        V{"a", "P:b/", "b0", "c", "P:d/", "dd", "P:é/", "\xff"});
  CHECK(Keys(f.ListPageOf(List("b/", "/"))) == V{"b/1", "b/2", "P:b/c/"});
  CHECK(Keys(f.ListPageOf(List("d/", "/"))) == V{"P:d/x/"});
  // A multi-character delimiter; and one that never occurs.
  CHECK(Keys(f.ListPageOf(List("", "/c/"))) ==
        V{"a", "b/1", "b/2", "P:b/c/", "b0", "c", "d/x/y", "dd", "é/1", "\xff"});
  CHECK(Keys(f.ListPageOf(List("", "#"))).size() == 11);
  // The delimiter is looked for only after the prefix.
  CHECK(Keys(f.ListPageOf(List("b/", "b"))) == V{"b/1", "b/2", "b/c/3", "b/c/4"});

  for (const auto& e : f.ListPageOf(List("", "/")).entries) {
    CAPTURE(e.key);
    if (e.is_prefix) {
      CHECK(e.record.version_id.empty());
    } else {
      CHECK(e.record.version_id.size() == meta::kVersionIdSize);
    }
  }
}

TEST_CASE("LocalDrive: ListLatest start_after is exclusive", "[local_drive][list]") {
  ListingFixture f;
  f.PutKeys({"a", "b/1", "b/2", "b/c/3", "c"});
  using V = std::vector<std::string>;
  CHECK(Keys(f.ListPageOf(List("", "", "a"))) == V{"b/1", "b/2", "b/c/3", "c"});
  CHECK(Keys(f.ListPageOf(List("", "", "b/1"))) == V{"b/2", "b/c/3", "c"});
  // Between keys, before all, after all.
  CHECK(Keys(f.ListPageOf(List("", "", "b/10"))) == V{"b/2", "b/c/3", "c"});
  CHECK(Keys(f.ListPageOf(List("", "", "0"))).size() == 5);
  CHECK(Keys(f.ListPageOf(List("", "", "c"))).empty());
  CHECK(Keys(f.ListPageOf(List("", "", "\xff\xff"))).empty());
  // Before the prefix: the prefix wins; after it: nothing.
  CHECK(Keys(f.ListPageOf(List("b/", "", "a"))) == V{"b/1", "b/2", "b/c/3"});
  CHECK(Keys(f.ListPageOf(List("b/", "", "bz"))).empty());
  // A common prefix already returned is not returned again.
  CHECK(Keys(f.ListPageOf(List("", "/", "a"))) == V{"P:b/", "c"});
  CHECK(Keys(f.ListPageOf(List("", "/", "b/"))) == V{"c"});
  CHECK(Keys(f.ListPageOf(List("b/", "/", "b/2"))) == V{"P:b/c/"});
  CHECK(Keys(f.ListPageOf(List("b/", "/", "b/c/"))).empty());
}

TEST_CASE("LocalDrive: ListLatest max_entries and truncated", "[local_drive][list]") {
  ListingFixture f;
  f.PutKeys({"a", "b", "c/1", "c/2", "d"});
  using V = std::vector<std::string>;

  ListPage p = f.ListPageOf(List("", "", "", 2));
  CHECK(Keys(p) == V{"a", "b"});
  CHECK(p.truncated);
  p = f.ListPageOf(List("", "", "b", 3));
  CHECK(Keys(p) == V{"c/1", "c/2", "d"});
  CHECK_FALSE(p.truncated);  // exactly the rest
  p = f.ListPageOf(List("", "", "", 5));
  CHECK(p.entries.size() == 5);
  CHECK_FALSE(p.truncated);
  p = f.ListPageOf(List("", "/", "", 3));
  CHECK(Keys(p) == V{"a", "b", "P:c/"});
  CHECK(p.truncated);
  p = f.ListPageOf(List("", "/", "c/", 1));
  CHECK(Keys(p) == V{"d"});
  CHECK_FALSE(p.truncated);
  p = f.ListPageOf(List("", "", "", 1));
  CHECK(Keys(p) == V{"a"});
  CHECK(p.truncated);
}

TEST_CASE("LocalDrive: paging through 2500 keys yields each key once, in order",
          "[local_drive][list]") {
  ListingFixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "key%05d", (i * 7919) % 2500);  // inserted shuffled
    keys.push_back(buf);
  }
  f.PutKeys(keys);
  std::sort(keys.begin(), keys.end());

  std::vector<std::string> seen;
  std::vector<size_t> page_sizes;
  std::string after;
  for (int guard = 0; guard < 10; ++guard) {
    ListPage p = f.ListPageOf(List("key", "", after, 1000));
    page_sizes.push_back(p.entries.size());
    for (const auto& e : p.entries) {
      CHECK_FALSE(e.is_prefix);
      seen.push_back(e.key);
    }
    if (!p.truncated) break;
    REQUIRE_FALSE(p.entries.empty());
    after = p.entries.back().key;
  }
  CHECK(page_sizes == std::vector<size_t>{1000, 1000, 500});
  CHECK(seen == keys);
}

TEST_CASE("LocalDrive: paging with a delimiter yields each common prefix once",
          "[local_drive][list]") {
  ListingFixture f;
  // 1200 folders of three keys each, plus loose keys between them.
  std::vector<std::string> keys, expected;
  for (int i = 0; i < 1200; ++i) {
    char dir[32];
    std::snprintf(dir, sizeof dir, "d%04d/", i);
    for (const char* leaf : {"x", "y/z", "zz"}) keys.push_back(std::string(dir) + leaf);
    expected.push_back("P:" + std::string(dir));
    if (i % 100 == 0) {
      char file[32];
      std::snprintf(file, sizeof file, "d%04d~", i);  // sorts after "d%04d/"
      keys.push_back(file);
      expected.push_back(file);
    }
  }
  f.PutKeys(keys);  // `expected` is already in listing order

  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (; pages < 10; ++pages) {
    ListPage p = f.ListPageOf(List("", "/", after, 500));
    for (const auto& e : p.entries) seen.push_back(e.is_prefix ? "P:" + e.key : e.key);
    if (!p.truncated) break;
    REQUIRE_FALSE(p.entries.empty());
    after = p.entries.back().key;
  }
  CHECK(pages == 2);  // 1212 entries in pages of 500
  CHECK(seen == expected);
}

TEST_CASE("LocalDrive: ListLatest skips keys whose newest version is a delete marker",
          "[local_drive][list]") {
  ListingFixture f;
  f.PutKeys({"a", "b", "dir/only", "e"});
  // b: a delete marker on top hides it.
  REQUIRE(f.Apply(PutVersionTxn("b", MakeDeleteMarker())).ok());
  // dir/only: hidden, so no "dir/" roll-up either.
  REQUIRE(f.Apply(PutVersionTxn("dir/only", MakeDeleteMarker())).ok());
  // c: only a delete marker.
  REQUIRE(f.Apply(PutVersionTxn("c", MakeDeleteMarker())).ok());
  // e: a marker below a newer version is history; e is listed with the newest.
  REQUIRE(f.Apply(PutVersionTxn("e", MakeDeleteMarker())).ok());
  meta::VersionRecord newest = MakeVersion("", 42);
  REQUIRE(f.Apply(PutVersionTxn("e", newest, "x")).ok());
  using V = std::vector<std::string>;

  ListPage p = f.ListPageOf(List(""));
  CHECK(Keys(p) == V{"a", "e"});
  REQUIRE(p.entries.size() == 2);
  CHECK(p.entries[1].record == newest);
  CHECK(Keys(f.ListPageOf(List("", "/"))) == V{"a", "e"});
  CHECK(Keys(f.ListPageOf(List("dir/"))).empty());
  // The versions are all still there for GetVersions.
  CHECK(f.Run(f.drive().GetVersions(kBucket, "b")).value().size() == 2);
}

TEST_CASE("LocalDrive: a page followed only by delete markers is not truncated",
          "[local_drive][list]") {
  // ListLatestSync sets truncated as soon as the page is full and any key
  // follows, before skipping delete markers: with only hidden keys after the
  // page, a client gets IsTruncated=true and then an empty page.
  ListingFixture f;
  f.PutKeys({"a", "b"});
  REQUIRE(f.Apply(PutVersionTxn("b", MakeDeleteMarker())).ok());
  ListPage p = f.ListPageOf(List("", "", "", 1));
  CHECK(Keys(p) == std::vector<std::string>{"a"});
  CHECK_FALSE(p.truncated);
}

TEST_CASE("LocalDrive: ListLatest of an empty or unknown bucket is an empty page",
          "[local_drive][list]") {
  ListingFixture f;
  ListRequest req = List("");
  req.bucket = "nobody";
  ListPage p = f.ListPageOf(req);
  CHECK(p.entries.empty());
  CHECK_FALSE(p.truncated);
  req.bucket = "";
  CHECK(f.ListPageOf(req).entries.empty());
}

TEST_CASE("LocalDrive: roll-ups at the top of the byte range end the listing cleanly",
          "[local_drive][list][hostile]") {
  ListingFixture f;
  f.PutKeys({"a", "a\xff", "a\xff\xffz", "b", "\xff", "\xff\xff/a", "\xff/b"});
  using V = std::vector<std::string>;
  // A common prefix made only of 0xff bytes has no successor to seek to.
  CHECK(Keys(f.ListPageOf(List("", "\xff"))) == V{"a", "P:a\xff", "b", "P:\xff"});
  CHECK(Keys(f.ListPageOf(List("\xff", "/"))) == V{"\xff", "P:\xff/", "P:\xff\xff/"});
  CHECK(Keys(f.ListPageOf(List("\xff\xff", "/", "\xff\xff/"))).empty());
  CHECK(Keys(f.ListPageOf(List("", "", "", 0))).empty());
}

}  // namespace
}  // namespace strata::server
