// DataStore: a place that holds versions' bytes apart from their home set
// (docs/ARCHITECTURE.md, "Where a version's data lives"): another pool of
// this cluster, an archive bucket here, or a bucket on another S3 endpoint.
// A version record names one by `location` ("pool:cold", "tier:archive")
// and its object there by `location_key`.
//
// Objects in a store are written once, read by range, and deleted; they are
// never changed in place. Keys are "<bucket>/<key>/<version id hex>" of the
// owning version (under the tier's prefix), so a store can be listed by
// owner for orphan sweeps and for refusing to remove a tier in use.
//
// Thread safety: implementations are safe to call from any I/O thread
// concurrently; awaitables complete on the caller's executor.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "gateway/object_layer.h"

namespace strata::gw {

class DataStore {
 public:
  virtual ~DataStore() = default;

  // Writes the bytes of `body` (`size` of them when known) as `key`,
  // durably, replacing nothing (keys are unique per version). On failure
  // nothing readable is left.
  virtual Task<Status> Put(std::string key, std::optional<uint64_t> size, BodySource& body) = 0;
  // Bytes [offset, offset + length) of `key`. kNotFound when it is absent.
  virtual Task<Status> Read(std::string key, uint64_t offset, uint64_t length,
                            BodySink& sink) = 0;
  // OK when absent.
  virtual Task<Status> Delete(std::string key) = 0;

  struct Entry {
    std::string key;
    uint64_t size = 0;
    SysTime mtime{};
  };
  // Keys starting with `prefix`, after `start_after`, in order; at most `max`.
  virtual Task<Result<std::vector<Entry>>> List(std::string prefix, std::string start_after,
                                               size_t max) = 0;
};

// The key of a version's object in a store: "<bucket>/<key>/<version hex>".
std::string StoreKey(std::string_view bucket, std::string_view key,
                     std::string_view version_id_raw);

// A BodySource over [offset, offset + length) of something readable by
// range (an object, a store's object): pulls `chunk` bytes per Read through
// `read`, so a copy between stores holds one chunk in memory.
using RangeReader =
    std::function<Task<Status>(uint64_t offset, uint64_t length, BodySink& sink)>;
std::unique_ptr<BodySource> MakeRangeSource(RangeReader read, uint64_t length,
                                            size_t chunk = 4 << 20);

}  // namespace strata::gw
