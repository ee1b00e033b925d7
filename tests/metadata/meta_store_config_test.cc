// Cluster configuration records on one drive: encoding, last-writer-wins by
// `updated` inside the committer (whatever order changes arrive in),
// tombstones, and listing by kind.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "metadata/meta_store.h"
#include "metadata/records.h"

namespace strata::meta {
namespace {

class ConfigDir {
 public:
  ConfigDir() {
    char tmpl[] = "/tmp/strata-config-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~ConfigDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::unique_ptr<MetaStore> Open() {
    auto store = MetaStore::Open(MetaStore::Options{path_ + "/meta"});
    REQUIRE(store.ok());
    return std::move(*store);
  }

 private:
  std::string path_;
};

ConfigRecord Config(std::string kind, std::string name, std::string value, int64_t updated_us,
                    bool deleted = false) {
  return ConfigRecord{std::move(kind), std::move(name), std::move(value), FromMicros(updated_us),
                      deleted};
}

Status Put(MetaStore& store, const ConfigRecord& r) {
  MetaStore::Batch b;
  b.PutConfig(r);
  return store.CommitSync(std::move(b));
}

TEST_CASE("config records encode and decode, and refuse garbage", "[config]") {
  ConfigRecord r = Config("user", "alice", R"({"policy":"readonly"})", 1234567, true);
  auto back = DecodeConfig(Encode(r));
  REQUIRE(back.ok());
  CHECK(*back == r);
  std::string bytes = Encode(r);
  CHECK(DecodeConfig(bytes.substr(0, bytes.size() - 1)).status().code() == Code::kCorruption);
  CHECK(DecodeConfig(Encode(BucketRecord{})).status().code() == Code::kCorruption);
  CHECK(DecodeConfig("").status().code() == Code::kCorruption);
}

TEST_CASE("the later change of a config record wins, in any arrival order", "[config]") {
  ConfigDir dir;
  auto store = dir.Open();
  REQUIRE(Put(*store, Config("user", "alice", "v2", 200)).ok());
  // An older change arriving late (a slow gateway) is ignored.
  REQUIRE(Put(*store, Config("user", "alice", "v1", 100)).ok());
  auto list = store->ListConfig("user");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().value == "v2");

  // A removal is a tombstone that an older add cannot undo.
  REQUIRE(Put(*store, Config("user", "alice", "", 300, true)).ok());
  REQUIRE(Put(*store, Config("user", "alice", "v1", 250)).ok());
  list = store->ListConfig("user");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().deleted);

  // A later add brings the name back.
  REQUIRE(Put(*store, Config("user", "alice", "v3", 400)).ok());
  list = store->ListConfig("user");
  REQUIRE(list.ok());
  CHECK_FALSE(list->front().deleted);
  CHECK(list->front().value == "v3");
}

TEST_CASE("config records list by kind, by name, and survive a reopen", "[config]") {
  ConfigDir dir;
  {
    auto store = dir.Open();
    REQUIRE(Put(*store, Config("user", "bob", "b", 1)).ok());
    REQUIRE(Put(*store, Config("user", "alice", "a", 1)).ok());
    REQUIRE(Put(*store, Config("tier", "archive", "t", 1)).ok());
    // A kind that extends another's name must not leak into it.
    REQUIRE(Put(*store, Config("users", "carol", "c", 1)).ok());
  }
  auto store = dir.Open();
  auto users = store->ListConfig("user");
  REQUIRE(users.ok());
  REQUIRE(users->size() == 2);
  CHECK((*users)[0].name == "alice");
  CHECK((*users)[1].name == "bob");
  auto tiers = store->ListConfig("tier");
  REQUIRE(tiers.ok());
  REQUIRE(tiers->size() == 1);
  CHECK(tiers->front().value == "t");
  CHECK(store->ListConfig("none")->empty());
}

TEST_CASE("config names and kinds with NUL are refused", "[config]") {
  ConfigDir dir;
  auto store = dir.Open();
  CHECK(Put(*store, Config("user", std::string("a\0b", 3), "x", 1)).code() ==
        Code::kInvalidArgument);
  CHECK(Put(*store, Config(std::string("u\0", 2), "a", "x", 1)).code() == Code::kInvalidArgument);
  CHECK(store->ListConfig(std::string("u\0", 2)).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace strata::meta
