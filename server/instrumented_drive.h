// InstrumentedDrive: a Drive decorator that times every call of the drive
// it wraps, and of the ShardWriters it hands out, and counts the calls that
// failed, per drive and per operation. The object layer sees an ordinary
// Drive; the decorator changes no result.
//
// It records into a DriveProbe, the drive's one link to the metrics
// registry (the per-module "probe" of STYLE.md): the probe registers
//
//   strata_drive_op_duration_seconds{pool,drive,op}  histogram
//   strata_drive_errors_total{pool,drive,op}         counter
//
// and looks up every (pool, drive, op) child once, at construction, so every
// series exists (at zero) from the first scrape and recording a call is two
// clock reads plus relaxed atomic adds: no lock, no map lookup, no string.
//
// Operations (the `op` label):
//   create_shard, append, commit   a shard file being written
//   read_shard                     a shard file read
//   read_inline                    GetInline (shard bytes kept in the index)
//   apply                          a DriveTxn (one synced index write)
//   index_read                     point reads of the index: GetBucket,
//                                  GetVersions, GetNullVersions, GetVersion,
//                                  GetUpload, BucketHasAnything, ListParts
//   list                           scans: ListLatest, ListVersions,
//                                  ListUploads, ListBuckets, ListConfig
//
// What counts as an error: the drive failed (kIoError, kCorruption,
// kInternal, kUnavailable, kTimeout, kAborted). Answers are not errors:
// kNotFound ("this drive does not hold that version" is routine during
// quorum reads), kAccessDenied (WORM refused a delete), kNoSuchBucket,
// kInvalidArgument and the like. A shard file that a record names but the
// drive lacks shows up as strata_erasure_missing_shards_total instead.
// Every call is timed, failed or not.
//
// Ownership: the decorator shares ownership of the wrapped drive and of its
// probe; writers keep the probe alive too. The probe points into the
// Registry, which must outlive every drive and writer that records into it.
// Thread safety: as server::Drive; the probe is safe from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "server/drive.h"

namespace strata::server {

enum class DriveOp : uint8_t {
  kCreateShard,
  kAppend,
  kCommit,
  kReadShard,
  kReadInline,
  kApply,
  kIndexRead,
  kList,
};
inline constexpr size_t kDriveOpCount = 8;

// The `op` label value, e.g. "read_shard".
std::string_view DriveOpName(DriveOp op);

// True when `status` means the drive failed, not that it answered "no".
bool IsDriveFailure(const Status& status);

class DriveProbe {
 public:
  // Registers the drive families on `registry` (or finds them when another
  // drive's probe did) and looks up this drive's children.
  DriveProbe(metrics::Registry& registry, std::string_view pool, std::string_view drive);

  void Record(DriveOp op, std::chrono::steady_clock::duration elapsed, const Status& status) {
    const auto i = static_cast<size_t>(op);
    durations_[i]->Observe(std::chrono::duration<double>(elapsed).count());
    if (!status.ok() && IsDriveFailure(status)) errors_[i]->Inc();
  }

 private:
  std::array<metrics::Histogram*, kDriveOpCount> durations_{};
  std::array<metrics::Counter*, kDriveOpCount> errors_{};
};

// Bucket bounds of strata_drive_op_duration_seconds: 25 us .. 10 s (an
// NVMe append takes tens of microseconds, a stalled fsync seconds).
const std::vector<double>& DriveLatencyBuckets();

// `inner` and `probe` must be non-null.
std::unique_ptr<Drive> InstrumentDrive(std::shared_ptr<Drive> inner,
                                       std::shared_ptr<DriveProbe> probe);

}  // namespace strata::server
