// The per-key null-version index kept by PutVersion / DeleteVersion.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "metadata/meta_store.h"

namespace strata::meta {
namespace {

class Dir {
 public:
  Dir() {
    char tmpl[] = "/tmp/strata-nullidx-XXXXXX";
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

VersionRecord Null(std::string id, bool null_version = true) {
  VersionRecord r;
  r.version_id = std::move(id);
  r.null_version = null_version;
  r.etag = "e";
  return r;
}

std::vector<std::string> Ids(const std::vector<VersionRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.version_id);
  return out;
}

TEST_CASE("null index lists a key's null versions, newest first, and only those") {
  Dir dir;
  auto store = std::move(*MetaStore::Open({dir.path()}));
  const std::string a = NewVersionId(FromMicros(1'000'000));
  const std::string b = NewVersionId(FromMicros(2'000'000));
  const std::string c = NewVersionId(FromMicros(3'000'000));
  MetaStore::Batch batch;
  batch.PutVersion("bk", "k", Null(a));
  batch.PutVersion("bk", "k", Null(b, /*null_version=*/false));
  batch.PutVersion("bk", "k", Null(c));
  batch.PutVersion("bk", "k2", Null(b));
  REQUIRE(store->CommitSync(std::move(batch)).ok());
  CHECK(Ids(*store->GetNullVersions("bk", "k")) == std::vector<std::string>{c, a});
  CHECK(Ids(*store->GetNullVersions("bk", "k2")) == std::vector<std::string>{b});
  CHECK(store->GetNullVersions("bk", "none")->empty());
  CHECK(store->GetNullVersions("other", "k")->empty());

  MetaStore::Batch del;
  del.DeleteVersion("bk", "k", Null(a));
  REQUIRE(store->CommitSync(std::move(del)).ok());
  CHECK(Ids(*store->GetNullVersions("bk", "k")) == std::vector<std::string>{c});

  // Survives a reopen; deleting the last one empties the index.
  store.reset();
  store = std::move(*MetaStore::Open({dir.path()}));
  CHECK(Ids(*store->GetNullVersions("bk", "k")) == std::vector<std::string>{c});
  MetaStore::Batch last;
  last.DeleteVersion("bk", "k", Null(c));
  REQUIRE(store->CommitSync(std::move(last)).ok());
  CHECK(store->GetNullVersions("bk", "k")->empty());
  CHECK(store->GetVersions("bk", "k")->size() == 1);  // the non-null one stays
}

TEST_CASE("null index stays exact under many overwrites in one group and across groups") {
  Dir dir;
  auto store = std::move(*MetaStore::Open({dir.path()}));
  std::string previous;
  for (int i = 0; i < 500; ++i) {
    std::string id = NewVersionId(FromMicros(10'000'000 + i));
    MetaStore::Batch put;
    put.PutVersion("bk", "hot", Null(id));
    MetaStore::Batch clean;
    if (!previous.empty()) clean.DeleteVersion("bk", "hot", Null(previous));
    // Both queued back to back: often merged into one group by the committer.
    store->Commit(std::move(put), [](Status) {});
    REQUIRE(store->CommitSync(std::move(clean)).ok());
    previous = id;
  }
  CHECK(Ids(*store->GetNullVersions("bk", "hot")) == std::vector<std::string>{previous});
  CHECK(store->GetVersions("bk", "hot")->size() == 1);
}

TEST_CASE("null index refuses a NUL in bucket or key") {
  Dir dir;
  auto store = std::move(*MetaStore::Open({dir.path()}));
  CHECK(store->GetNullVersions(std::string("b\0x", 3), "k").status().code() ==
        Code::kInvalidArgument);
  CHECK(store->GetNullVersions("b", std::string("k\0", 2)).status().code() ==
        Code::kInvalidArgument);
}

}  // namespace
}  // namespace strata::meta
