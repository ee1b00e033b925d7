#include "server/instrumented_drive.h"

#include <string>
#include <utility>

namespace strata::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kOpNames[kDriveOpCount] = {
    "create_shard", "append", "commit", "read_shard", "read_inline", "apply", "index_read", "list",
};
static_assert(static_cast<size_t>(DriveOp::kList) + 1 == kDriveOpCount);

// Awaits `call` and records how long it took and whether the drive failed.
// The timer starts here, not when `call` was made: an awaitable does not run
// until it is awaited.
template <typename T>
Task<T> Timed(DriveProbe& probe, DriveOp op, Task<T> call) {
  const auto start = SteadyClock::now();
  T result = co_await std::move(call);
  probe.Record(op, SteadyClock::now() - start, ToStatus(result));
  co_return result;
}

class InstrumentedWriter final : public ShardWriter {
 public:
  InstrumentedWriter(std::unique_ptr<ShardWriter> inner, std::shared_ptr<DriveProbe> probe)
      : inner_(std::move(inner)), probe_(std::move(probe)) {}

  Task<Status> Append(ByteSpan data) override {
    return Timed(*probe_, DriveOp::kAppend, inner_->Append(data));
  }
  Task<Status> Commit() override { return Timed(*probe_, DriveOp::kCommit, inner_->Commit()); }

 private:
  std::unique_ptr<ShardWriter> inner_;
  std::shared_ptr<DriveProbe> probe_;  // a writer may outlive nothing else of the drive's
};

// Every method forwards to inner_ through Timed, which adds one coroutine
// frame per call and changes nothing else: arguments are moved on as they
// came, results returned as they are.
class InstrumentedDrive final : public Drive {
 public:
  InstrumentedDrive(std::shared_ptr<Drive> inner, std::shared_ptr<DriveProbe> probe)
      : inner_(std::move(inner)), probe_(std::move(probe)) {}

  const std::string& name() const override { return inner_->name(); }
  bool online() const override { return inner_->online(); }

  Task<Result<std::unique_ptr<ShardWriter>>> CreateShard(std::string data_id) override {
    const auto start = SteadyClock::now();
    auto writer = co_await inner_->CreateShard(std::move(data_id));
    probe_->Record(DriveOp::kCreateShard, SteadyClock::now() - start, ToStatus(writer));
    if (!writer.ok()) co_return writer.status();
    co_return std::unique_ptr<ShardWriter>(new InstrumentedWriter(std::move(*writer), probe_));
  }

  Task<Result<size_t>> ReadShard(std::string data_id, uint64_t offset,
                                 MutableByteSpan out) override {
    return Timed(*probe_, DriveOp::kReadShard, inner_->ReadShard(std::move(data_id), offset, out));
  }

  Task<Status> Apply(DriveTxn txn) override {
    return Timed(*probe_, DriveOp::kApply, inner_->Apply(std::move(txn)));
  }

  Task<Result<meta::BucketRecord>> GetBucket(std::string name) override {
    return Timed(*probe_, DriveOp::kIndexRead, inner_->GetBucket(std::move(name)));
  }
  Task<Result<std::vector<meta::BucketRecord>>> ListBuckets() override {
    return Timed(*probe_, DriveOp::kList, inner_->ListBuckets());
  }
  Task<Result<bool>> BucketHasAnything(std::string bucket) override {
    return Timed(*probe_, DriveOp::kIndexRead, inner_->BucketHasAnything(std::move(bucket)));
  }
  Task<Result<std::vector<meta::VersionRecord>>> GetVersions(std::string bucket, std::string key,
                                                             size_t limit) override {
    return Timed(*probe_, DriveOp::kIndexRead,
                 inner_->GetVersions(std::move(bucket), std::move(key), limit));
  }
  Task<Result<std::vector<meta::VersionRecord>>> GetNullVersions(std::string bucket,
                                                                 std::string key) override {
    return Timed(*probe_, DriveOp::kIndexRead,
                 inner_->GetNullVersions(std::move(bucket), std::move(key)));
  }
  Task<Result<meta::VersionRecord>> GetVersion(std::string bucket, std::string key,
                                               std::string version_id) override {
    return Timed(*probe_, DriveOp::kIndexRead,
                 inner_->GetVersion(std::move(bucket), std::move(key), std::move(version_id)));
  }
  Task<Result<std::string>> GetInline(std::string bucket, std::string key,
                                      std::string version_id) override {
    return Timed(*probe_, DriveOp::kReadInline,
                 inner_->GetInline(std::move(bucket), std::move(key), std::move(version_id)));
  }
  Task<Result<ListPage>> ListLatest(ListRequest request) override {
    return Timed(*probe_, DriveOp::kList, inner_->ListLatest(std::move(request)));
  }
  Task<Result<ListPage>> ListVersions(ListRequest request) override {
    return Timed(*probe_, DriveOp::kList, inner_->ListVersions(std::move(request)));
  }
  Task<Result<meta::UploadRecord>> GetUpload(std::string bucket, std::string key,
                                             std::string upload_id) override {
    return Timed(*probe_, DriveOp::kIndexRead,
                 inner_->GetUpload(std::move(bucket), std::move(key), std::move(upload_id)));
  }
  Task<Result<std::vector<meta::PartRecord>>> ListParts(std::string upload_id) override {
    return Timed(*probe_, DriveOp::kIndexRead, inner_->ListParts(std::move(upload_id)));
  }
  Task<Result<std::vector<meta::UploadRecord>>> ListUploads(std::string bucket, std::string prefix,
                                                            std::string key_marker,
                                                            std::string upload_id_marker,
                                                            size_t limit) override {
    return Timed(*probe_, DriveOp::kList,
                 inner_->ListUploads(std::move(bucket), std::move(prefix), std::move(key_marker),
                                     std::move(upload_id_marker), limit));
  }
  Task<Result<std::vector<meta::ConfigRecord>>> ListConfig(std::string kind) override {
    return Timed(*probe_, DriveOp::kList, inner_->ListConfig(std::move(kind)));
  }

  // Scrape-time figures, not I/O on the request path: not timed.
  Result<DriveUsage> Usage() const override { return inner_->Usage(); }
  Result<IndexStats> IndexStatistics() const override { return inner_->IndexStatistics(); }

 private:
  std::shared_ptr<Drive> inner_;
  std::shared_ptr<DriveProbe> probe_;
};

}  // namespace

std::string_view DriveOpName(DriveOp op) { return kOpNames[static_cast<size_t>(op)]; }

bool IsDriveFailure(const Status& status) {
  switch (status.code()) {
    case Code::kIoError:
    case Code::kCorruption:
    case Code::kInternal:
    case Code::kUnavailable:
    case Code::kTimeout:
    case Code::kAborted:
      return true;
    default:
      return false;
  }
}

const std::vector<double>& DriveLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                               0.0025,   0.005,   0.01,   0.025,   0.05,   0.1,
                                               0.25,     0.5,     1,      2.5,     5,      10};
  return kBuckets;
}

DriveProbe::DriveProbe(metrics::Registry& registry, std::string_view pool, std::string_view drive) {
  auto& durations = registry.AddHistogram(
      "strata_drive_op_duration_seconds",
      "Time a drive took for an operation, failed or not (see docs/OPERATIONS.md for the ops).",
      {"pool", "drive", "op"}, DriveLatencyBuckets());
  auto& errors = registry.AddCounter(
      "strata_drive_errors_total",
      "Drive operations that failed (I/O error, corruption, offline), not mere not-found answers.",
      {"pool", "drive", "op"});
  for (size_t i = 0; i < kDriveOpCount; ++i) {
    durations_[i] = &durations.With({pool, drive, kOpNames[i]});
    errors_[i] = &errors.With({pool, drive, kOpNames[i]});
  }
}

std::unique_ptr<Drive> InstrumentDrive(std::shared_ptr<Drive> inner,
                                       std::shared_ptr<DriveProbe> probe) {
  return std::make_unique<InstrumentedDrive>(std::move(inner), std::move(probe));
}

}  // namespace strata::server
