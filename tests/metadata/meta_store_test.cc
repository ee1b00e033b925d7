#include "metadata/meta_store.h"

#include <rocksdb/db.h>
#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "metadata/keys.h"

namespace strata::meta {
namespace {

// A fresh folder under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/strata-meta-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<MetaStore> OpenStore(const std::string& path) {
  auto store = MetaStore::Open(MetaStore::Options{path + "/meta"});
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

// A version id; ids are strictly increasing within the process, so each call
// makes a newer version than the one before.
std::string IdAt(int64_t seconds) { return NewVersionId(FromMicros(seconds * 1'000'000)); }

VersionRecord Version(std::string id, std::string etag, std::string data_id = "") {
  VersionRecord r;
  r.version_id = std::move(id);
  r.etag = std::move(etag);
  r.k = 4;
  r.m = 2;
  r.shard_index = 1;
  r.storage_class = "STANDARD";
  if (!data_id.empty()) {
    Segment s;
    s.size = 10;
    s.data_id = std::move(data_id);
    s.block_size = 1 << 18;
    r.segments.push_back(s);
  }
  return r;
}

std::vector<std::string> AllLatestKeys(MetaStore& store, std::string_view bucket) {
  std::vector<std::string> out;
  auto c = store.NewLatestCursor(bucket);
  for (c->Seek(""); c->Valid(); c->Next()) out.emplace_back(c->key());
  REQUIRE(c->status().ok());
  return out;
}

TEST_CASE("committed records survive a reopen", "[meta_store]") {
  TempDir dir;
  BucketRecord bucket{"photos",  FromMicros(99), "us-east-1",
                      "Enabled", true,           {{"tagging", "<T/>"}}};
  VersionRecord v = Version(IdAt(100), "etag1", "data01");
  v.inline_data = false;
  VersionRecord inl = Version(IdAt(101), "etag2");
  inl.inline_data = true;
  UploadRecord up;
  up.upload_id = "up1";
  up.bucket = "photos";
  up.key = "big.bin";
  up.k = 4;
  PartRecord part{3, FromMicros(5), 1, Segment{3, 100, "pe", "partdata3", 4096, {}}};
  {
    auto store = OpenStore(dir.path());
    MetaStore::Batch batch;
    batch.PutBucket(bucket);
    batch.PutVersion("photos", "cat.jpg", v);
    batch.PutVersion("photos", "dog.jpg", inl);
    batch.PutInline("photos", "dog.jpg", inl.version_id, std::string(70000, 'z'));
    batch.PutUpload(up);
    batch.PutPart("up1", part);
    batch.PutSys("drive_id", "abc");
    REQUIRE_FALSE(batch.empty());
    REQUIRE(store->CommitSync(std::move(batch)).ok());
  }
  auto store = OpenStore(dir.path());
  auto b = store->GetBucket("photos");
  REQUIRE(b.ok());
  CHECK(*b == bucket);
  CHECK(store->GetBucket("nope").status().code() == Code::kNoSuchBucket);
  auto buckets = store->ListBuckets();
  REQUIRE(buckets.ok());
  REQUIRE(buckets->size() == 1);

  auto got = store->GetVersion("photos", "cat.jpg", v.version_id);
  REQUIRE(got.ok());
  CHECK(*got == v);
  CHECK(store->GetVersion("photos", "cat.jpg", inl.version_id).status().code() == Code::kNotFound);
  auto bytes = store->GetInline("photos", "dog.jpg", inl.version_id);
  REQUIRE(bytes.ok());
  CHECK(*bytes == std::string(70000, 'z'));
  CHECK(store->GetInline("photos", "cat.jpg", v.version_id).status().code() == Code::kNotFound);

  auto u = store->GetUpload("photos", "big.bin", "up1");
  REQUIRE(u.ok());
  CHECK(*u == up);
  CHECK(store->GetUpload("photos", "big.bin", "up2").status().code() == Code::kNoSuchUpload);
  auto parts = store->ListParts("up1");
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 1);
  CHECK((*parts)[0] == part);

  CHECK(store->HasDataRef("data01"));
  CHECK(store->HasDataRef("partdata3"));
  CHECK_FALSE(store->HasDataRef("data02"));
  auto sys = store->GetSys("drive_id");
  REQUIRE(sys.ok());
  CHECK(*sys == std::optional<std::string>("abc"));
  CHECK_FALSE(store->GetSys("other")->has_value());
  CHECK(*store->BucketHasAnything("photos"));
  CHECK_FALSE(*store->BucketHasAnything("photo"));
  CHECK_FALSE(*store->BucketHasAnything("photos2"));
}

TEST_CASE("versions list newest first; DeleteVersion removes v, i and d", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  VersionRecord v1 = Version(IdAt(1), "e1", "d1");
  VersionRecord v2 = Version(IdAt(2), "e2");
  v2.inline_data = true;
  VersionRecord v3 = Version(IdAt(3), "e3", "d3");
  MetaStore::Batch batch;
  batch.PutVersion("b", "k", v2);  // order of submission does not matter
  batch.PutInline("b", "k", v2.version_id, "inline");
  batch.PutVersion("b", "k", v3);
  batch.PutVersion("b", "k", v1);
  batch.PutVersion("b", "k2", Version(IdAt(4), "other"));
  REQUIRE(store->CommitSync(std::move(batch)).ok());

  auto versions = store->GetVersions("b", "k");
  REQUIRE(versions.ok());
  REQUIRE(versions->size() == 3);
  CHECK((*versions)[0] == v3);
  CHECK((*versions)[1] == v2);
  CHECK((*versions)[2] == v1);
  CHECK(store->GetVersions("b", "nothing")->empty());
  CHECK(store->GetVersions("b", "")->empty());

  MetaStore::Batch del;
  del.DeleteVersion("b", "k", v2);
  del.DeleteVersion("b", "k", v1);
  REQUIRE(store->CommitSync(std::move(del)).ok());
  CHECK(store->GetVersion("b", "k", v2.version_id).status().code() == Code::kNotFound);
  CHECK(store->GetInline("b", "k", v2.version_id).status().code() == Code::kNotFound);
  CHECK_FALSE(store->HasDataRef("d1"));
  CHECK(store->HasDataRef("d3"));
  versions = store->GetVersions("b", "k");
  REQUIRE(versions->size() == 1);
  CHECK((*versions)[0] == v3);
}

TEST_CASE("batches apply in submission order, also inside one group", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::atomic<int> calls{0};
  std::latch all(3);
  auto done = [&](Status s) {
    CHECK(s.ok());
    ++calls;
    all.count_down();
  };
  MetaStore::Batch a, b, c;
  a.PutSys("x", "first");
  b.PutSys("x", "second");
  b.PutSys("y", "1");
  c.PutSys("x", "third");
  c.PutBucket(BucketRecord{"bk"});
  c.DeleteBucket("bk");  // within a batch, call order too
  store->Commit(std::move(a), done);
  store->Commit(std::move(b), done);
  store->Commit(std::move(c), done);
  all.wait();
  CHECK(calls == 3);
  CHECK(**store->GetSys("x") == "third");
  CHECK(store->GetBucket("bk").status().code() == Code::kNoSuchBucket);
}

TEST_CASE("batches queued while the committer is busy share one synced write", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  MetaStore::Batch first;
  first.PutSys("first", "1");
  // The first callback holds the committer, so everything below queues up.
  store->Commit(std::move(first), [&](Status s) {
    CHECK(s.ok());
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  const MetaStore::CommitStats before = store->commit_stats();
  constexpr int kQueued = 25;
  std::latch all(kQueued);
  for (int i = 0; i < kQueued; ++i) {
    MetaStore::Batch b;
    b.PutSys("q" + std::to_string(i), std::to_string(i));
    store->Commit(std::move(b), [&](Status s) {
      CHECK(s.ok());
      all.count_down();
    });
  }
  release.set_value();
  all.wait();
  const MetaStore::CommitStats after = store->commit_stats();
  CHECK(after.writes - before.writes == 1);
  // The first batch was counted before its callback ran (stats never lag a
  // done() a caller has seen), so only the queued ones are new.
  CHECK(after.batches - before.batches == kQueued);
  for (int i = 0; i < kQueued; ++i)
    CHECK(**store->GetSys("q" + std::to_string(i)) == std::to_string(i));
}

TEST_CASE("many threads commit concurrently; every callback runs once", "[meta_store]") {
  TempDir dir;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 60;
  std::vector<std::atomic<int>> calls(kThreads * kPerThread);
  std::atomic<int> failures{0};
  {
    auto store = OpenStore(dir.path());
    std::latch all(kThreads * kPerThread);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          int n = t * kPerThread + i;
          MetaStore::Batch b;
          std::string key = "t" + std::to_string(t) + "/k" + std::to_string(i);
          b.PutVersion("bkt", key, Version(IdAt(n + 1), key, "data" + std::to_string(n)));
          // Catch2 assertions are not thread-safe: count here, check below.
          store->Commit(std::move(b), [&calls, &failures, &all, n](Status s) {
            if (!s.ok()) ++failures;
            ++calls[n];
            all.count_down();
          });
        }
      });
    }
    for (auto& th : threads) th.join();
    all.wait();
    auto stats = store->commit_stats();
    CHECK(stats.batches == uint64_t{kThreads * kPerThread});
    CHECK(stats.writes <= stats.batches);
    CHECK(stats.writes >= 1);
  }
  CHECK(failures == 0);
  for (auto& c : calls) CHECK(c == 1);
  auto store = OpenStore(dir.path());
  auto keys = AllLatestKeys(*store, "bkt");
  CHECK(keys.size() == size_t{kThreads * kPerThread});
  for (int n = 0; n < kThreads * kPerThread; ++n)
    CHECK(store->HasDataRef("data" + std::to_string(n)));
}

TEST_CASE("the destructor commits everything queued", "[meta_store]") {
  TempDir dir;
  std::atomic<int> ok_calls{0};
  constexpr int kBatches = 200;
  {
    auto store = OpenStore(dir.path());
    for (int i = 0; i < kBatches; ++i) {
      MetaStore::Batch b;
      b.PutSys("k" + std::to_string(i), "v");
      store->Commit(std::move(b), [&](Status s) { ok_calls += s.ok() ? 1 : 0; });
    }
  }
  CHECK(ok_calls == kBatches);
  auto store = OpenStore(dir.path());
  for (int i = 0; i < kBatches; ++i) CHECK(store->GetSys("k" + std::to_string(i))->has_value());
}

TEST_CASE("keys with NUL poison their batch only", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::string nul_key("a\0b", 3);
  MetaStore::Batch bad;
  bad.PutSys("bad-was-written", "1");
  bad.PutVersion("b", nul_key, Version(IdAt(1), "e"));
  CHECK_FALSE(bad.empty());
  MetaStore::Batch no_id;
  no_id.PutVersion("b", "k", VersionRecord{});
  MetaStore::Batch good;
  good.PutSys("good", "1");

  std::latch all(3);
  Status bad_status, no_id_status, good_status;
  store->Commit(std::move(bad), [&](Status s) {
    bad_status = s;
    all.count_down();
  });
  store->Commit(std::move(no_id), [&](Status s) {
    no_id_status = s;
    all.count_down();
  });
  store->Commit(std::move(good), [&](Status s) {
    good_status = s;
    all.count_down();
  });
  all.wait();
  CHECK(bad_status.code() == Code::kInvalidArgument);
  CHECK(no_id_status.code() == Code::kInvalidArgument);
  CHECK(good_status.ok());
  CHECK_FALSE(store->GetSys("bad-was-written")->has_value());
  CHECK(store->GetSys("good")->has_value());

  CHECK(store->GetVersions("b", nul_key).status().code() == Code::kInvalidArgument);
  CHECK(store->GetBucket(nul_key).status().code() == Code::kInvalidArgument);
  auto cursor = store->NewLatestCursor(nul_key);
  cursor->Seek("");
  CHECK_FALSE(cursor->Valid());
  CHECK(cursor->status().code() == Code::kInvalidArgument);
  CHECK(store->CommitSync(MetaStore::Batch{}).ok());  // empty batch: nothing to do
}

TEST_CASE("LatestCursor yields each key's newest version in key order", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::vector<std::string> keys = {"a", "a/b", "a/c/d", "ab", "b", "b\x01", "z"};
  MetaStore::Batch batch;
  int64_t t = 10;
  for (const auto& k : keys) {
    for (int v = 0; v < 5; ++v) {
      VersionRecord r = Version(IdAt(t++), k + "#" + std::to_string(v));
      r.delete_marker = (k == "b" && v == 4);
      batch.PutVersion("bkt", k, r);
    }
  }
  // Neighbouring buckets must not leak in.
  batch.PutVersion("bk", "a", Version(IdAt(1000), "other bucket"));
  batch.PutVersion("bkt2", "a", Version(IdAt(1001), "other bucket"));
  REQUIRE(store->CommitSync(std::move(batch)).ok());

  auto c = store->NewLatestCursor("bkt");
  c->Seek("");
  for (const auto& k : keys) {
    REQUIRE(c->Valid());
    CHECK(c->key() == k);
    CHECK(c->record().etag == k + "#4");
    CHECK(c->record().delete_marker == (k == "b"));
    c->Next();
  }
  CHECK_FALSE(c->Valid());
  CHECK(c->status().ok());
  c->Next();  // past the end: stays invalid
  CHECK_FALSE(c->Valid());

  SECTION("Seek goes to the first key >= its argument") {
    c->Seek("a/b");
    REQUIRE(c->Valid());
    CHECK(c->key() == "a/b");
    c->Seek("a/bb");
    REQUIRE(c->Valid());
    CHECK(c->key() == "a/c/d");
    c->Seek("b\x01");
    REQUIRE(c->Valid());
    CHECK(c->key() == "b\x01");
    c->Seek(std::string("b\0zzz", 5));  // nothing holds NUL: first key after "b"
    REQUIRE(c->Valid());
    CHECK(c->key() == "b\x01");
    c->Seek("za");
    CHECK_FALSE(c->Valid());
    CHECK(c->status().ok());
    c->Seek("");  // seeking back works
    REQUIRE(c->Valid());
    CHECK(c->key() == "a");
  }

  SECTION("delimiter-style listing skips a common prefix with one Seek") {
    // List with delimiter "/": "a", "a/" (prefix), "ab", "b", "b\x01", "z".
    std::vector<std::string> listed;
    c->Seek("");
    while (c->Valid()) {
      std::string k(c->key());
      size_t slash = k.find('/');
      if (slash != std::string::npos) {
        std::string common = k.substr(0, slash + 1);
        listed.push_back(common);
        c->Seek(keys::PrefixSuccessor(common));
        continue;
      }
      listed.push_back(k);
      c->Next();
    }
    CHECK(c->status().ok());
    CHECK(listed == std::vector<std::string>{"a", "a/", "ab", "b", "b\x01", "z"});
  }

  SECTION("a cursor reads the snapshot it was created on") {
    MetaStore::Batch more;
    more.PutVersion("bkt", "a0", Version(IdAt(2000), "new"));
    more.PutVersion("bkt", "a", Version(IdAt(2001), "newest a"));
    REQUIRE(store->CommitSync(std::move(more)).ok());
    c->Seek("a");
    REQUIRE(c->Valid());
    CHECK(c->record().etag == "a#4");
    c->Next();
    REQUIRE(c->Valid());
    CHECK(c->key() == "a/b");

    auto fresh = store->NewLatestCursor("bkt");
    fresh->Seek("a");
    REQUIRE(fresh->Valid());
    CHECK(fresh->record().etag == "newest a");
    fresh->Next();
    REQUIRE(fresh->Valid());
    CHECK(fresh->key() == "a/b");  // "a/" < "a0"
  }
}

TEST_CASE("LatestCursor skips a key with many versions", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  MetaStore::Batch batch;
  for (int v = 0; v < 3000; ++v) batch.PutVersion("b", "many", Version(IdAt(v + 1), "m"));
  batch.PutVersion("b", "next", Version(IdAt(5000), "n"));
  REQUIRE(store->CommitSync(std::move(batch)).ok());
  CHECK(AllLatestKeys(*store, "b") == std::vector<std::string>{"many", "next"});
  CHECK(store->GetVersions("b", "many")->size() == 3000);
}

TEST_CASE("uploads list by (key, upload id) after the markers; parts ascend", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  MetaStore::Batch batch;
  auto add = [&](std::string bucket, std::string key, std::string id) {
    UploadRecord u;
    u.bucket = std::move(bucket);
    u.key = std::move(key);
    u.upload_id = std::move(id);
    batch.PutUpload(u);
  };
  add("b", "x/2", "u1");
  add("b", "x/1", "u2");
  add("b", "x/1", "u1");
  add("b", "y", "u0");
  add("b", "x", "u9");
  add("b2", "x/1", "u5");
  for (uint32_t n : {10000u, 2u, 256u, 1u}) {
    batch.PutPart("u1", PartRecord{n, {}, 0, Segment{n, 1, "e", "pd" + std::to_string(n), 1, {}}});
  }
  batch.PutPart("u10", PartRecord{7, {}, 0, Segment{}});
  REQUIRE(store->CommitSync(std::move(batch)).ok());

  auto ids = [&](std::string_view prefix, std::string_view km, std::string_view um, size_t lim) {
    std::vector<std::string> out;
    auto r = store->ListUploads("b", prefix, km, um, lim);
    REQUIRE(r.ok());
    for (const auto& u : *r) out.push_back(u.key + ":" + u.upload_id);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(ids("", "", "", 100) == V{"x:u9", "x/1:u1", "x/1:u2", "x/2:u1", "y:u0"});
  CHECK(ids("x/", "", "", 100) == V{"x/1:u1", "x/1:u2", "x/2:u1"});
  CHECK(ids("", "x/1", "", 100) == V{"x/2:u1", "y:u0"});
  CHECK(ids("", "x/1", "u1", 100) == V{"x/1:u2", "x/2:u1", "y:u0"});
  CHECK(ids("", "x/1", "u0", 2) == V{"x/1:u1", "x/1:u2"});
  CHECK(ids("x/", "a", "", 100) == V{"x/1:u1", "x/1:u2", "x/2:u1"});  // marker before prefix
  CHECK(ids("x/", "x/9", "", 100).empty());
  CHECK(ids("", "", "", 0).empty());
  CHECK(ids("q", "", "", 10).empty());
  CHECK(store->ListUploads("b", std::string("\0", 1), "", "", 1).status().code() ==
        Code::kInvalidArgument);

  auto parts = store->ListParts("u1");
  REQUIRE(parts.ok());
  std::vector<uint32_t> numbers;
  for (const auto& p : *parts) numbers.push_back(p.part_number);
  CHECK(numbers == std::vector<uint32_t>{1, 2, 256, 10000});
  CHECK(store->ListParts("u")->empty());

  MetaStore::Batch del;
  del.DeletePart("u1", 2, "pd2");  // aborted: drop the ref
  del.DeletePart("u1", 1, "");     // moved into an object: keep the ref
  del.DeleteUpload("b", "x/1", "u1");
  REQUIRE(store->CommitSync(std::move(del)).ok());
  CHECK(store->ListParts("u1")->size() == 2);
  CHECK_FALSE(store->HasDataRef("pd2"));
  CHECK(store->HasDataRef("pd1"));
  CHECK(store->GetUpload("b", "x/1", "u1").status().code() == Code::kNoSuchUpload);
  CHECK(ids("", "", "", 100) == V{"x:u9", "x/1:u2", "x/2:u1", "y:u0"});
}

TEST_CASE("ForEachVersion visits every version and can stop", "[meta_store]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  MetaStore::Batch batch;
  batch.PutVersion("a", "k1", Version(IdAt(1), "1"));
  batch.PutVersion("a", "k1", Version(IdAt(2), "2"));
  batch.PutVersion("b", "k2", Version(IdAt(3), "3"));
  batch.PutBucket(BucketRecord{"a"});
  REQUIRE(store->CommitSync(std::move(batch)).ok());
  std::vector<std::string> seen;
  REQUIRE(store
              ->ForEachVersion([&](std::string_view b, std::string_view k, const VersionRecord& r) {
                seen.push_back(std::string(b) + "/" + std::string(k) + "=" + r.etag);
                return true;
              })
              .ok());
  CHECK(seen == std::vector<std::string>{"a/k1=2", "a/k1=1", "b/k2=3"});
  int calls = 0;
  REQUIRE(store->ForEachVersion([&](auto, auto, const auto&) { return ++calls < 2; }).ok());
  CHECK(calls == 2);
}

TEST_CASE("corrupt values on disk are reported, not trusted", "[meta_store]") {
  TempDir dir;
  std::string good_id = IdAt(1), bad_id = IdAt(2), moved_id = IdAt(3);
  {
    auto store = OpenStore(dir.path());
    MetaStore::Batch batch;
    batch.PutVersion("b", "k", Version(good_id, "good"));
    batch.PutVersion("b", "j", Version(good_id, "good"));
    REQUIRE(store->CommitSync(std::move(batch)).ok());
  }
  {
    // Write behind the store's back with RocksDB itself.
    rocksdb::DB* raw = nullptr;
    rocksdb::Options o;
    REQUIRE(rocksdb::DB::Open(o, dir.path() + "/meta", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    REQUIRE(db->Put({}, keys::VersionKey("b", "k", bad_id), "\x01V\x05garbage").ok());
    // A valid record filed under another version's key.
    REQUIRE(db->Put({}, keys::VersionKey("b", "m", moved_id), Encode(Version(good_id, "x"))).ok());
    REQUIRE(db->Put({}, keys::BucketKey("bad"), "nonsense").ok());
    REQUIRE(db->Close().ok());
  }
  auto store = OpenStore(dir.path());
  CHECK(store->GetVersions("b", "k").status().code() == Code::kCorruption);
  CHECK(store->GetVersion("b", "k", bad_id).status().code() == Code::kCorruption);
  CHECK(store->GetVersion("b", "k", good_id).ok());
  CHECK(store->GetVersions("b", "m").status().code() == Code::kCorruption);
  CHECK(store->GetBucket("bad").status().code() == Code::kCorruption);
  CHECK(store->ListBuckets().status().code() == Code::kCorruption);

  auto c = store->NewLatestCursor("b");
  c->Seek("");
  REQUIRE(c->Valid());
  CHECK(c->key() == "j");
  c->Next();
  CHECK_FALSE(c->Valid());
  CHECK(c->status().code() == Code::kCorruption);
  CHECK(store->ForEachVersion([](auto, auto, const auto&) { return true; }).code() ==
        Code::kCorruption);
}

TEST_CASE("Open fails cleanly on a path it cannot use", "[meta_store]") {
  TempDir dir;
  std::string file = dir.path() + "/file";
  std::ofstream(file) << "x";
  CHECK_FALSE(MetaStore::Open(MetaStore::Options{file}).ok());
  CHECK_FALSE(MetaStore::Open(MetaStore::Options{file + "/sub"}).ok());
  CHECK(MetaStore::Open(MetaStore::Options{""}).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace strata::meta
