// Read-modify-write through the group committer (Batch::UpdateVersion /
// UpdateBucket) and the version cursor.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "metadata/meta_store.h"

namespace strata::meta {
namespace {

class Dir {
 public:
  Dir() {
    char tmpl[] = "/tmp/strata-rmw-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_ + "/meta"; }

 private:
  std::string path_;
};

VersionRecord V(int64_t t) {
  VersionRecord r;
  r.version_id = NewVersionId(FromMicros(t));
  r.null_version = false;
  r.etag = "e";
  return r;
}

TEST_CASE("concurrent read-modify-writes of one record lose no update", "[rmw]") {
  Dir dir;
  auto store = std::move(*MetaStore::Open({dir.path()}));
  VersionRecord r = V(1'000'000);
  MetaStore::Batch put;
  put.PutVersion("b", "k", r);
  REQUIRE(store->CommitSync(std::move(put)).ok());
  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        MetaStore::Batch b;
        b.UpdateVersion("b", "k", r.version_id, [](VersionRecord& rec, SysTime) {
          rec.size += 1;  // a counter: a lost update would show
          return Status();
        });
        REQUIRE(store->CommitSync(std::move(b)).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(store->GetVersion("b", "k", r.version_id)->size == uint64_t(kThreads * kEach));
  CHECK(store->commit_stats().writes < store->commit_stats().batches);  // groups formed
}

TEST_CASE("an update sees earlier puts of its batch; a failing one rolls back its batch",
          "[rmw]") {
  Dir dir;
  auto store = std::move(*MetaStore::Open({dir.path()}));
  VersionRecord r = V(2'000'000);
  MetaStore::Batch b;
  b.PutVersion("b", "k", r);
  b.UpdateVersion("b", "k", r.version_id, [](VersionRecord& rec, SysTime) {
    rec.tags = {{"seen", "yes"}};
    return Status();
  });
  REQUIRE(store->CommitSync(std::move(b)).ok());
  CHECK(store->GetVersion("b", "k", r.version_id)->tags == StringPairs{{"seen", "yes"}});

  MetaStore::Batch failing;
  failing.PutSys("should-not", "exist");
  failing.UpdateVersion("b", "k", r.version_id,
                        [](VersionRecord&, SysTime) { return Status(Code::kInvalidObjectState); });
  CHECK(store->CommitSync(std::move(failing)).code() == Code::kInvalidObjectState);
  CHECK_FALSE(store->GetSys("should-not").value().has_value());

  MetaStore::Batch absent;
  absent.UpdateVersion("b", "k", "nope", [](VersionRecord&, SysTime) { return Status(); });
  CHECK(store->CommitSync(std::move(absent)).code() == Code::kNotFound);
  MetaStore::Batch no_bucket;
  no_bucket.UpdateBucket("nobucket", [](BucketRecord&) { return Status(); });
  CHECK(store->CommitSync(std::move(no_bucket)).code() == Code::kNoSuchBucket);

  BucketRecord bucket;
  bucket.name = "bk";
  bucket.versioning = "Enabled";
  MetaStore::Batch pb;
  pb.PutBucket(bucket);
  pb.UpdateBucket("bk", [](BucketRecord& rec) {
    rec.config["tagging"] = "a=1";
    return Status();
  });
  REQUIRE(store->CommitSync(std::move(pb)).ok());
  auto got = store->GetBucket("bk");
  REQUIRE(got.ok());
  CHECK(got->versioning == "Enabled");  // other fields kept
  CHECK(got->config.at("tagging") == "a=1");
}

TEST_CASE("GetVersions with a limit returns the newest; the version cursor walks versions",
          "[rmw][cursor]") {
  Dir dir;
  auto store = std::move(*MetaStore::Open({dir.path()}));
  std::vector<VersionRecord> a, ab;
  MetaStore::Batch b;
  for (int i = 0; i < 5; ++i) {
    a.push_back(V(10'000'000 + i));
    b.PutVersion("bk", "a", a.back());
  }
  for (int i = 0; i < 2; ++i) {
    ab.push_back(V(20'000'000 + i));
    b.PutVersion("bk", "a/b", ab.back());
  }
  VersionRecord ab2 = V(30'000'000);
  b.PutVersion("bk", "ab", ab2);
  b.PutVersion("other", "a", V(40'000'000));
  REQUIRE(store->CommitSync(std::move(b)).ok());
  auto newest = store->GetVersions("bk", "a", 2);
  REQUIRE(newest.ok());
  REQUIRE(newest->size() == 2);
  CHECK((*newest)[0].version_id == a[4].version_id);
  CHECK((*newest)[1].version_id == a[3].version_id);

  auto walk = [&](auto&& position) {
    auto cursor = store->NewVersionCursor("bk");
    position(*cursor);
    std::vector<std::pair<std::string, std::string>> out;
    for (; cursor->Valid(); cursor->Next()) {
      out.emplace_back(std::string(cursor->key()), cursor->record().version_id);
    }
    REQUIRE(cursor->status().ok());
    return out;
  };
  auto all = walk([](MetaStore::VersionCursor& c) { c.Seek(""); });
  REQUIRE(all.size() == 8);  // "a" x5, "a/b" x2, "ab": the other bucket is not here
  CHECK(all[0] == std::make_pair(std::string("a"), a[4].version_id));
  CHECK(all[4] == std::make_pair(std::string("a"), a[0].version_id));
  CHECK(all[5].first == "a/b");
  CHECK(all[7].first == "ab");
  auto after = walk([&](MetaStore::VersionCursor& c) { c.SeekAfter("a", a[2].version_id); });
  REQUIRE(after.size() == 5);
  CHECK(after[0].second == a[1].version_id);
  CHECK(after[2].first == "a/b");
  auto skipped = walk([](MetaStore::VersionCursor& c) {
    c.Seek("a/");
    c.SkipPrefix("a/");
  });
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].first == "ab");
  auto refused = store->NewVersionCursor(std::string("b\0d", 3));
  refused->Seek("");
  CHECK_FALSE(refused->Valid());
  CHECK(refused->status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace strata::meta
