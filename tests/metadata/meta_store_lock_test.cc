// Object lock in the metadata layer: the rules (CheckRemovable,
// CheckRetentionChange) and their enforcement by the group committer, which
// judges every delete against the record as stored at commit time.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "metadata/meta_store.h"

namespace strata::meta {
namespace {

using std::chrono::hours;

const SysTime kNow = FromMicros(1'900'000'000'000'000);  // 2030

class Dir {
 public:
  Dir() {
    char tmpl[] = "/tmp/strata-lock-XXXXXX";
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

VersionRecord Locked(std::string mode, SysTime until, bool hold = false) {
  VersionRecord r;
  r.version_id = NewVersionId(kNow);
  r.null_version = false;
  r.etag = "e";
  r.retention_mode = std::move(mode);
  r.retain_until = until;
  r.legal_hold = hold;
  Segment s;
  s.data_id = "00112233445566778899aabbccddeeff";
  r.segments.push_back(s);
  return r;
}

TEST_CASE("CheckRemovable: legal hold, modes, expiry and bypass", "[lock]") {
  const SysTime later = kNow + hours(1), earlier = kNow - hours(1);
  struct Row {
    std::string mode;
    SysTime until;
    bool hold, bypass, removable;
  };
  const Row rows[] = {
      {"", {}, false, false, true},
      {"", {}, true, true, false},                  // legal hold beats everything
      {"GOVERNANCE", later, false, false, false},
      {"GOVERNANCE", later, false, true, true},     // bypass
      {"GOVERNANCE", later, true, true, false},     // bypass does not lift a hold
      {"COMPLIANCE", later, false, true, false},    // nobody
      {"COMPLIANCE", earlier, false, false, true},  // expired
      {"COMPLIANCE", kNow, false, false, true},     // the date itself counts as passed
      {"GOVERNANCE", earlier, true, false, false},
  };
  for (const auto& row : rows) {
    INFO(row.mode << " hold=" << row.hold << " bypass=" << row.bypass);
    Status st = CheckRemovable(Locked(row.mode, row.until, row.hold), kNow, row.bypass);
    CHECK(st.ok() == row.removable);
    if (!row.removable) CHECK(st.code() == Code::kAccessDenied);
  }
}

TEST_CASE("CheckRetentionChange: extend and tighten always, loosen only with bypass", "[lock]") {
  const SysTime until = kNow + hours(24);
  auto allowed = [&](const std::string& from, const std::string& to, SysTime new_until,
                     bool bypass) {
    return CheckRetentionChange(Locked(from, until), to, new_until, kNow, bypass).ok();
  };
  CHECK(allowed("COMPLIANCE", "COMPLIANCE", until + hours(1), false));
  CHECK(allowed("COMPLIANCE", "COMPLIANCE", until, false));
  CHECK_FALSE(allowed("COMPLIANCE", "COMPLIANCE", until - hours(1), true));
  CHECK_FALSE(allowed("COMPLIANCE", "GOVERNANCE", until + hours(1), true));
  CHECK_FALSE(allowed("COMPLIANCE", "", {}, true));
  CHECK(allowed("GOVERNANCE", "COMPLIANCE", until, false));
  CHECK(allowed("GOVERNANCE", "GOVERNANCE", until + hours(1), false));
  CHECK_FALSE(allowed("GOVERNANCE", "GOVERNANCE", until - hours(1), false));
  CHECK(allowed("GOVERNANCE", "GOVERNANCE", until - hours(1), true));
  CHECK_FALSE(allowed("GOVERNANCE", "", {}, false));
  CHECK(allowed("GOVERNANCE", "", {}, true));
  // An expired retention is no retention.
  CHECK(CheckRetentionChange(Locked("COMPLIANCE", kNow - hours(1)), "", {}, kNow, false).ok());
}

struct LockedStore {
  Dir dir;
  FakeClock clock{kNow};
  std::unique_ptr<MetaStore> store;
  LockedStore() { Open(); }
  void Open() {
    store.reset();
    MetaStore::Options o;
    o.path = dir.path();
    o.clock = &clock;
    auto s = MetaStore::Open(o);
    REQUIRE(s.ok());
    store = std::move(*s);
  }
};

TEST_CASE("a locked version's delete fails and rolls back its whole batch only", "[lock]") {
  LockedStore s;
  VersionRecord locked = Locked("COMPLIANCE", kNow + hours(1));
  locked.inline_data = true;
  locked.null_version = true;  // also in the null index
  VersionRecord free = Locked("", {});
  free.segments[0].data_id = "ffeeddccbbaa99887766554433221100";
  {
    MetaStore::Batch b;
    b.PutVersion("bk", "k", locked);
    b.PutInline("bk", "k", locked.version_id, "shard bytes");
    b.PutVersion("bk", "other", free);
    REQUIRE(s.store->CommitSync(std::move(b)).ok());
  }
  // The refused batch also touches another key; a second batch in the same
  // group deletes an unlocked version and must go through.
  MetaStore::Batch refused;
  refused.DeleteVersion("bk", "other", free);
  refused.DeleteVersion("bk", "k", locked, /*bypass_governance=*/true);
  MetaStore::Batch fine;
  fine.PutSys("marker", "written");
  std::promise<Status> first;
  s.store->Commit(std::move(refused), [&](Status st) { first.set_value(st); });
  REQUIRE(s.store->CommitSync(std::move(fine)).ok());
  Status st = first.get_future().get();
  CHECK(st.code() == Code::kAccessDenied);
  CHECK(s.store->GetVersion("bk", "k", locked.version_id).ok());
  CHECK(s.store->GetInline("bk", "k", locked.version_id).value() == "shard bytes");
  CHECK(s.store->HasDataRef(locked.segments[0].data_id));
  CHECK(s.store->GetNullVersions("bk", "k")->size() == 1);
  CHECK(s.store->GetVersion("bk", "other", free.version_id).ok());  // rolled back too
  CHECK(s.store->GetSys("marker").value() == std::optional<std::string>("written"));

  // A caller with a stale, unlocked view of the record is refused all the same.
  VersionRecord stale = locked;
  stale.retention_mode.clear();
  stale.legal_hold = false;
  MetaStore::Batch b2;
  b2.DeleteVersion("bk", "k", stale);
  CHECK(s.store->CommitSync(std::move(b2)).code() == Code::kAccessDenied);

  // Nor can a PUT of the same id replace it.
  VersionRecord replacement = stale;
  MetaStore::Batch b3;
  b3.PutVersion("bk", "k", replacement);
  CHECK(s.store->CommitSync(std::move(b3)).code() == Code::kAccessDenied);
  CHECK(s.store->GetVersion("bk", "k", locked.version_id)->retention_mode == "COMPLIANCE");

  // Lock state survives a reopen; once the date passes the delete goes through.
  s.Open();
  MetaStore::Batch b4;
  b4.DeleteVersion("bk", "k", locked);
  CHECK(s.store->CommitSync(std::move(b4)).code() == Code::kAccessDenied);
  s.clock.Advance(hours(1));
  MetaStore::Batch b5;
  b5.DeleteVersion("bk", "k", locked);
  REQUIRE(s.store->CommitSync(std::move(b5)).ok());
  CHECK(s.store->GetVersion("bk", "k", locked.version_id).status().code() == Code::kNotFound);
  CHECK_FALSE(s.store->HasDataRef(locked.segments[0].data_id));
  CHECK(s.store->GetNullVersions("bk", "k")->empty());
}

TEST_CASE("GOVERNANCE yields to bypass, legal hold does not", "[lock]") {
  LockedStore s;
  VersionRecord gov = Locked("GOVERNANCE", kNow + hours(5));
  VersionRecord held = Locked("", {}, /*hold=*/true);
  MetaStore::Batch put;
  put.PutVersion("bk", "g", gov);
  put.PutVersion("bk", "h", held);
  REQUIRE(s.store->CommitSync(std::move(put)).ok());
  auto remove = [&](const char* key, const VersionRecord& r, bool bypass) {
    MetaStore::Batch b;
    b.DeleteVersion("bk", key, r, bypass);
    return s.store->CommitSync(std::move(b));
  };
  CHECK(remove("g", gov, false).code() == Code::kAccessDenied);
  CHECK(remove("h", held, true).code() == Code::kAccessDenied);
  CHECK(remove("g", gov, true).ok());
  // Lifting the hold (an in-place update) makes it removable.
  MetaStore::Batch lift;
  lift.UpdateVersion("bk", "h", held.version_id, [](VersionRecord& r, SysTime) {
    r.legal_hold = false;
    return Status();
  });
  REQUIRE(s.store->CommitSync(std::move(lift)).ok());
  CHECK(remove("h", held, false).ok());
}

}  // namespace
}  // namespace strata::meta
