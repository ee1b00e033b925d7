// Transitions: a committed version's bytes move to another pool or a tier,
// and its home record is switched to point there in one atomic change per
// drive. See docs/ARCHITECTURE.md, "Transitions".
#include "gateway/data_store.h"
#include "gateway/object_layer_impl.h"
#include "server/parallel.h"

namespace strata::gw {

using server::DriveTxn;
using server::ParallelEach;

namespace {

std::vector<std::string> DataIds(const meta::VersionRecord& record) {
  std::vector<std::string> ids;
  for (const auto& seg : record.segments) {
    if (!seg.data_id.empty()) ids.push_back(seg.data_id);
  }
  return ids;
}

}  // namespace

Task<Status> ObjectLayer::Transition(std::string bucket, std::string key, std::string version_id,
                                     std::string target) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string location, impl_->LocationOf(target, true));
  Placement home = impl_->Place(bucket, key);
  VersionRef ref{VersionRef::Kind::kId, version_id};
  STRATA_CO_ASSIGN_OR_RETURN(meta::VersionRecord record,
                             co_await impl_->Head(home, bucket, key, ref));
  if (record.delete_marker) co_return Status(Code::kInvalidArgument, "a delete marker has no data");
  if (record.location == location && record.storage_class == target) co_return Status();
  if (location.empty() && !record.location.empty()) {
    co_return Status(Code::kNotImplemented, "transitions back into the home pool");
  }

  // 1. The bytes, durable in the target (unless they are there already and
  //    only the class name changes, e.g. STANDARD_IA -> GLACIER in one pool).
  std::string new_key = record.location_key;
  std::shared_ptr<DataStore> store;
  const bool move = record.location != location;
  if (move) {
    STRATA_CO_ASSIGN_OR_RETURN(store, impl_->Store(location));
    new_key = StoreKey(bucket, key, record.version_id);
    auto source = MakeRangeSource(
        [this, bucket, key, record](uint64_t offset, uint64_t length, BodySink& sink) {
          return ReadObject(bucket, key, record, offset, length, sink);
        },
        record.size);
    STRATA_CO_TRY(co_await store->Put(new_key, record.size, *source));
  }

  // 2. The switch, checked by each drive against what was read.
  DriveTxn::SetLocation op{bucket,   key,     record.version_id, record.location,
                           DataIds(record), location, new_key,    target,
                           impl_->options.clock->Now()};
  const auto& drives = home.set->drives;
  std::vector<bool> switched(drives.size(), false);
  bool changed_meanwhile = false;
  co_await ParallelEach(drives.size(), [&](size_t i) -> Task<void> {
    if (!drives[i] || !drives[i]->online()) co_return;
    DriveTxn txn;
    txn.set_locations.push_back(op);
    Status st = co_await drives[i]->Apply(std::move(txn));
    switched[i] = st.ok();
    if (st.code() == Code::kPreconditionFailed) changed_meanwhile = true;
  });
  const int count = static_cast<int>(std::count(switched.begin(), switched.end(), true));
  if (count == 0) {
    // Nobody points at the new copy: it goes again.
    if (move) (co_await store->Delete(new_key)).IgnoreError();
    if (changed_meanwhile) co_return Status(Code::kPreconditionFailed, "the version changed");
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "no drive took the transition");
  }
  if (count < Impl::WriteQuorum(*home.set)) {
    // Readers already prefer the switched records (latest `updated`), so the
    // new copy stays; so does the old one, which the others still name.
    impl_->stats.quorum_failures.fetch_add(1, std::memory_order_relaxed);
    co_return Status(Code::kUnavailable, "transition below write quorum");
  }
  // 3. The old bytes: local shards went with the switch; another store's go now.
  if (move && !record.location.empty()) co_await impl_->ReleaseLocation(record);
  co_return Status();
}

}  // namespace strata::gw
