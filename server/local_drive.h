// LocalDrive: a Drive over a folder on this machine.
//
//   <root>/meta/          RocksDB index (metadata::MetaStore)
//   <root>/data/<xx>/<id> shard files; xx = the last two hex digits of the
//                         data id (its random part), so files spread evenly
//
// Shard files are written as unnamed O_TMPFILE files through Asio's io_uring
// file support (writes are submitted to the io_uring of the calling thread's
// io_context), fdatasync'd on the blocking pool, then linked into place and
// the directory synced. A crash before the link leaves nothing behind; a
// file linked but never referenced by a committed record is removed by the
// sweep at Open.
//
// Thread safety: all methods are thread-safe (see Drive).
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "server/async.h"
#include "server/drive.h"

namespace strata::server {

struct LocalDriveOptions {
  std::string name;  // "hot/drive1"
  std::string root;  // the drive's folder; must exist (a missing folder is an offline drive)
  BlockingExecutor blocking;  // fdatasync / unlink / sweep
  size_t block_cache_bytes = 32 << 20;
  const Clock* clock = &Clock::Real();  // object lock expiry (tests pass a FakeClock)
};

struct SweepStats {
  uint64_t orphan_files_removed = 0;
};

// Opens the drive: creates meta/ and data/ inside root if needed, opens the
// index, and removes shard files no committed record references.
Result<std::unique_ptr<Drive>> OpenLocalDrive(const LocalDriveOptions& options,
                                              SweepStats* sweep_stats = nullptr);

}  // namespace strata::server
