// Tiers: named targets that lifecycle transitions move data to, outside the
// cluster's own pools: an archive bucket of this cluster, or a bucket on
// another S3 endpoint (another Strata, AWS, any S3). A tier's name is a
// storage class for lifecycle rules and what HEAD/GET/listings report for a
// version that lives there (docs/ARCHITECTURE.md, "Tiers").
//
// Tiers are cluster config records (kind "tier") like users; a remote
// tier's secret key is sealed at rest with the key users' secrets use.
// Objects in a tier are named "<prefix><bucket>/<key>/<version hex>".
//
// Thread safety: Find and List from any thread (shared lock); Add, Remove
// and Reload are coroutines that write the drives first, then swap the table.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "gateway/data_store.h"
#include "gateway/object_layer.h"
#include "gateway/s3_service.h"

namespace strata::gw {

struct TierSpec {
  std::string name;        // "ARCHIVE": A-Z, 0-9, '-', '_' (1-64)
  std::string bucket;      // the archive bucket
  std::string prefix;      // inside it (may be empty)
  std::string endpoint;    // empty: a bucket of this cluster
  std::string access_key;  // remote only
  std::string secret_key;  // remote only; empty in List()
};

class TierRegistry {
 public:
  struct Options {
    ObjectLayer* objects = nullptr;  // not owned; outlives the registry
    Credentials root;                // its secret seals remote secrets
    Clock* clock = &Clock::Real();
  };
  static Task<Result<std::unique_ptr<TierRegistry>>> Open(Options options);
  ~TierRegistry();

  // The store of a tier (nullptr when unknown): the ObjectLayer's resolver.
  std::shared_ptr<DataStore> Find(std::string_view name) const;
  std::vector<TierSpec> List() const;
  // Every tier's store, by location name ("tier:NAME"), for orphan sweeps.
  std::vector<std::pair<std::string, std::shared_ptr<DataStore>>> Stores() const;

  // kInvalidArgument for a bad name or spec, kAlreadyExists for a taken name
  // (a tier's or a storage class's), kNoSuchBucket / kAccessDenied /
  // kUnavailable when the target bucket cannot be reached.
  Task<Status> Add(TierSpec spec);
  // kNotFound; kInvalidRequest while objects live in the tier.
  Task<Status> Remove(std::string name);
  Task<Status> Reload();

 private:
  explicit TierRegistry(Options options);
  struct Entry {
    TierSpec spec;
    std::shared_ptr<DataStore> store;
  };
  Task<Result<std::map<std::string, Entry>>> Load() const;
  Result<std::shared_ptr<DataStore>> MakeStore(const TierSpec& spec) const;

  Options options_;
  std::string seal_key_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry> tiers_;  // guarded by mu_
  uint64_t changes_ = 0;                // guarded by mu_
};

}  // namespace strata::gw
