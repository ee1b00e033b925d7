// Listing: a merge of per-drive pages of newest versions. From each set we
// read L = max(k, m + 1) drives: every committed version is on at least one
// of any m + 1 drives, and a version all of k drives hold is readable, so a
// key all L drives agree on is accepted as is; anything else is resolved like
// a HEAD. A common prefix is accepted when every listed drive of some set
// rolls it up, otherwise only once a quorum-checked key under it is found (a
// write that crashed below quorum must not conjure a folder). Delimiter
// roll-up happens on the drives, so a page costs O(max_keys) whatever the
// bucket holds.
#include <algorithm>

#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::ParallelEach;

namespace {

struct DriveStream {
  server::Drive* drive = nullptr;
  const ErasureSet* set = nullptr;
  std::vector<server::ListEntry> entries;
  size_t pos = 0;
  bool more = true;  // the drive may have entries after the buffered ones
  std::string last;  // the last entry fetched, to resume after
  bool failed = false;

  bool HasFront() const { return pos < entries.size(); }
  const server::ListEntry& Front() const { return entries[pos]; }
};

// True when, in some set, every listed drive has `prefix` at its front.
bool EverySetDriveHas(const std::vector<DriveStream>& streams, const std::string& prefix) {
  for (size_t begin = 0; begin < streams.size();) {
    size_t end = begin;
    bool all = true;
    for (; end < streams.size() && streams[end].set == streams[begin].set; ++end) {
      const auto& s = streams[end];
      all = all && s.HasFront() && s.Front().is_prefix && s.Front().key == prefix;
    }
    if (all) return true;
    begin = end;
  }
  return false;
}

}  // namespace

Task<Result<ListResult>> ObjectLayer::ListObjects(ListArgs args) {
  ListResult result;
  if (args.max_keys == 0) co_return result;
  std::vector<DriveStream> streams;
  std::vector<const server::Drive*> tried;
  for (const auto& pool : impl_->options.pools) {
    for (const auto& set : pool.sets) {
      const int want = std::max(set.k, set.m + 1);
      int picked = 0;
      for (const auto& d : set.drives) {
        if (picked == want) break;
        if (!d || !d->online()) continue;
        streams.push_back(DriveStream{d.get(), &set, {}, 0, true, args.start_after, false});
        tried.push_back(d.get());
        ++picked;
      }
      // Fewer than k online: nothing in this set is readable, and listing it
      // from the survivors could show keys no GET can serve.
      if (picked < set.k) co_return Status(Code::kUnavailable, "read quorum not available");
    }
  }
  const size_t page = std::min<size_t>(args.max_keys + 1, 1001);

  auto refill = [&]() -> Task<Status> {
    for (;;) {
      co_await ParallelEach(streams.size(), [&](size_t i) -> Task<void> {
        DriveStream& s = streams[i];
        if (s.HasFront() || !s.more || s.failed) co_return;
        server::ListRequest req;
        req.bucket = args.bucket;
        req.prefix = args.prefix;
        req.delimiter = args.delimiter;
        req.start_after = s.last;
        req.max_entries = page;
        auto r = co_await s.drive->ListLatest(std::move(req));
        if (!r.ok()) {
          s.failed = true;
          co_return;
        }
        s.entries = std::move(r->entries);
        s.pos = 0;
        s.more = r->truncated;
        if (!s.entries.empty()) s.last = s.entries.back().key;
        if (s.entries.empty()) s.more = false;
      });
      bool replaced = false;
      if (!ReplaceFailedListDrives(streams, tried, &replaced)) {
        co_return Status(Code::kUnavailable, "a drive failed during the listing");
      }
      if (!replaced) co_return Status();
    }
  };

  size_t emitted = 0;
  std::string last_emitted;
  while (true) {
    STRATA_CO_TRY(co_await refill());
    const server::ListEntry* min = nullptr;
    for (const auto& s : streams) {
      if (s.HasFront() && (!min || s.Front().key < min->key)) min = &s.Front();
    }
    if (!min) break;
    if (emitted == args.max_keys) {
      result.truncated = true;
      break;
    }
    std::string key = min->key;
    bool is_prefix = min->is_prefix;
    // Gather agreement from the streams whose front is this key.
    const ErasureSet* set = nullptr;
    int agree = 0, holders = 0;
    std::string version;
    const meta::VersionRecord* record = nullptr;
    for (auto& s : streams) {
      if (!s.HasFront() || s.Front().key != key) continue;
      ++holders;
      if (!is_prefix) {
        const auto& rec = s.Front().record;
        if (!record) {
          record = &rec;
          version = rec.version_id;
          set = s.set;
        }
        if (rec.version_id == version) ++agree;
      }
    }
    if (is_prefix) {
      bool accept = EverySetDriveHas(streams, key);
      if (!accept) {
        ListArgs under{args.bucket, key, "", "", 1};
        STRATA_CO_ASSIGN_OR_RETURN(auto found, co_await ListObjects(std::move(under)));
        accept = !found.objects.empty();
      }
      if (accept) {
        result.common_prefixes.push_back(key);
        ++emitted;
        last_emitted = key;
      }
    } else {
      int in_set = 0;
      for (const auto& s : streams) in_set += (s.set == set) ? 1 : 0;
      if (agree == in_set && holders == in_set) {
        result.objects.emplace_back(key, *record);
        ++emitted;
        last_emitted = key;
      } else {
        auto head = co_await HeadObject(args.bucket, key);
        if (head.ok() && head->delete_marker) {
          // Its newest version is a delete marker: not listed.
        } else if (head.ok()) {
          result.objects.emplace_back(key, std::move(*head));
          ++emitted;
          last_emitted = key;
        } else if (head.status().code() == Code::kUnavailable) {
          // Its newest version is not readable right now (too few of its
          // drives answer). The listing stays available and leaves it out;
          // a GET of the key answers 503.
          impl_->stats.unresolved_list_keys.fetch_add(1, std::memory_order_relaxed);
        } else if (head.status().code() != Code::kNoSuchKey) {
          co_return head.status();
        }
      }
    }
    for (auto& s : streams) {
      if (s.HasFront() && s.Front().key == key) ++s.pos;
    }
  }
  if (result.truncated) result.next_marker = last_emitted;
  co_return result;
}

}  // namespace strata::gw
